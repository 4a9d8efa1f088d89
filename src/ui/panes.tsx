// The panes of a catalogue, attached here by the screen (not by the data catalogue), loaded when
// a screen is drawn (a --json run never loads Ink), and handed to the components through a
// context. A probe without a pane of its own gets the plain pane: its overview lines in a frame.
import type React from 'react';
import { createContext, useContext } from 'react';
import type { ProbeName } from '../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../views/view.js';
import type { PaneComponent } from './pane.js';

export type Panes = ReadonlyMap<string, PaneComponent>;

export const PanesContext = createContext<Panes>(new Map());

export function usePanes(): Panes {
  return useContext(PanesContext);
}

export type PaneLoaders = Readonly<Record<string, () => Promise<PaneComponent>>>;

/** Each probe's own pane, by probe name, imported only when a screen is drawn; a probe not here gets the plain pane. */
export const PANE_LOADERS: { readonly [N in ProbeName]?: () => Promise<PaneComponent> } = {
  offcpu: () => import('./components/OffcpuPane.js').then((m) => m.OffcpuPane),
  runqlat: () => import('./components/RunqlatPane.js').then((m) => m.RunqlatPane),
  exec: () => import('./components/ExecPane.js').then((m) => m.ExecPane),
  open: () => import('./components/OpenPane.js').then((m) => m.OpenPane),
  tcp: () => import('./components/TcpPane.js').then((m) => m.TcpPane),
  proc: () => import('./components/ProcPane.js').then((m) => m.ProcPane),
  trace: () => import('./components/TracePane.js').then((m) => m.TracePane),
  profile: () => import('./components/ProfilePane.js').then((m) => m.ProfilePane),
  isolation: () => import('./components/IsolationPane.js').then((m) => m.IsolationPane),
  containers: () => import('./components/ContainersPane.js').then((m) => m.ContainersPane),
};

/** Import every probe's pane (in parallel). */
export async function loadPanes(cat: ScreenCatalogue, loaders: PaneLoaders = PANE_LOADERS): Promise<Panes> {
  const loaded = await Promise.all(cat.map(async (s) => [s.name, loaders[s.name] ? await loaders[s.name]() : null] as const));
  const out = new Map<string, PaneComponent>();
  for (const [name, pane] of loaded) if (pane) out.set(name, pane);
  return out;
}

export function PanesProvider({ panes, children }: { readonly panes: Panes; readonly children?: React.ReactNode }): React.JSX.Element {
  return <PanesContext.Provider value={panes}>{children}</PanesContext.Provider>;
}
