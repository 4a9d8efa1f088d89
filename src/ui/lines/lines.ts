// A line of text a pane shows, with how it is styled.
export type LineKind = 'heading' | 'text' | 'highlight' | 'dim';
export interface Line {
  readonly text: string;
  readonly kind: LineKind;
}
