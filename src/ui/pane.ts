// What the screen hands a probe's pane: its spec (title, toggle key, ...) and its rectangle.
// A pane reads its probe's data from the store by its own name.
import type React from 'react';
import type { ScreenEntry } from '../views/view.js';

export interface PaneProps {
  readonly spec: ScreenEntry;
  readonly width: number;
  readonly height: number;
}

export type PaneComponent = (props: PaneProps) => React.JSX.Element;
