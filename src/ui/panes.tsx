// The panes of a catalogue, loaded when a screen is drawn (a --json run never loads Ink), and
// handed to the components through a context. A probe without a pane of its own gets the plain
// pane: its overview lines in a frame.
import React, { createContext, useContext } from 'react';
import type { Catalogue } from '../catalogue.js';
import type { PaneComponent } from './pane.js';

export type Panes = ReadonlyMap<string, PaneComponent>;

export const PanesContext = createContext<Panes>(new Map());

export function usePanes(): Panes {
  return useContext(PanesContext);
}

/** Import every probe's pane (in parallel). */
export async function loadPanes(cat: Catalogue): Promise<Panes> {
  const loaded = await Promise.all(cat.map(async (s) => [s.name, s.pane ? await s.pane() : null] as const));
  const out = new Map<string, PaneComponent>();
  for (const [name, pane] of loaded) if (pane) out.set(name, pane);
  return out;
}

export function PanesProvider({ panes, children }: { readonly panes: Panes; readonly children?: React.ReactNode }): React.JSX.Element {
  return <PanesContext.Provider value={panes}>{children}</PanesContext.Provider>;
}
