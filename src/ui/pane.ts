// What the screen hands a probe's pane: its spec (title, toggle key, ...) and its rectangle.
// A pane reads its probe's data from the store by its own name.
import type React from 'react';
import type { ScreenEntry } from '../views/view.js';
import type { AppState } from '../store/store.js';

export interface PaneProps {
  readonly spec: ScreenEntry;
  readonly width: number;
  readonly height: number;
}

export type PaneComponent = (props: PaneProps) => React.JSX.Element;

/** Lines of content a pane has now (its frame excluded), and whether it uses rows past them (src/ui/pane-needs.ts). */
export interface PaneWant {
  readonly body: number;
  readonly grows: boolean;
}

/** A pane's want, given the store and its inside width; called only while its probe runs and has a sample. */
export type WantFn = (s: AppState, width: number, spec: ScreenEntry) => PaneWant;

/** The header row of a pane's sortable table (its row inside the pane, frame included) and its text, for the mouse; null: none shown. */
export type HeaderFn = (s: AppState, width: number, height: number) => { readonly row: number; readonly text: string } | null;
