// The panes of a catalogue, attached here by the screen (not by the data catalogue), loaded when
// a screen is drawn (a --json run never loads Ink), and handed to the components through a
// context. A probe without a pane of its own gets the plain pane: its overview lines in a frame.
import type { ContainersSample } from '../probes/containers-spec.js';
import { containersTable } from './lines/containers-table.js';
import type React from 'react';
import { createContext, useContext } from 'react';
import type { ProbeName } from '../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../views/view.js';
import type { HeaderFn, PaneComponent, WantFn } from './pane.js';
import { paneSample, sortOf } from '../store/store.js';
import { offcpuRowOrder } from '../views/offcpu.js';
import { shownSlots } from '../views/runqlat.js';
import { histRange } from '../model/hist.js';
import type { OffcpuSample } from '../probes/offcpu-spec.js';
import type { CountersSample } from '../probes/proc/types.js';
import type { TraceSample } from '../probes/trace-spec.js';
import type { ProfileSample } from '../probes/profile-spec.js';
import type { IsolationSample } from '../probes/isolation-spec.js';
import { countersLines } from './lines/proc-lines.js';
import { isolationLines } from './lines/isolation-lines.js';
import { offcpuTable } from './lines/offcpu-table.js';
import { traceLines } from './lines/trace-lines.js';

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
  print: () => import('./components/PrintPane.js').then((m) => m.PrintPane),
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

/** Lines asked for "all of it" when a want is computed. */
const TALL = 500;

/**
 * What each probe's pane holds now, for the layout (src/ui/pane-needs.ts): its lines of content
 * and whether it uses more. A feed wants its events, a probe not here its overview lines.
 */
export const PANE_WANTS: { readonly [N in ProbeName]?: WantFn } = {
  containers: (s) => {
    const d = s.shown?.data.containers as ContainersSample | undefined;
    return d ? { body: 1 + Math.max(1, d.rows.length), grows: true } : { body: 1, grows: false };
  },
  offcpu: (s) => {
    const d = s.shown?.data.offcpu as OffcpuSample | undefined;
    if (!d) return { body: 1, grows: false };
    const rows = offcpuRowOrder(d, s.pinnedCpu, s.showIdle, sortOf(s, 'offcpu')).length;
    return { body: 1 + Math.max(1, rows) + (d.overflow > 0 ? 1 : 0), grows: true };
  },
  runqlat: (s) => {
    const d = s.shown?.data.runqlat;
    const range = d ? histRange(shownSlots(d, s.pinnedCpu)) : null;
    return { body: 1 + (range ? range.hi - range.lo + 1 : 1), grows: false };
  },
  proc: (s, width) => {
    const d = s.shown?.data.proc as CountersSample | undefined;
    return { body: d ? countersLines(d, { width, height: TALL, pinned: s.pinnedCpu }).length : 1, grows: false };
  },
  trace: (s) => {
    const d = paneSample(s, 'trace') as TraceSample | null;
    const prompt = s.argsPrompt?.probe === 'trace' ? 1 + Math.min(3, s.argsPrompt.choices.length) : 0;
    const n = d?.tracepoints.length ?? 0;
    if (n === 0) return { body: 1 + prompt, grows: false };
    const hist = d!.tracepoints.some((r) => r.hist && r.hist.count > 0) ? 1 + 12 : 0;
    return { body: 1 + n + hist + prompt, grows: false };
  },
  profile: (s) => {
    const d = paneSample(s, 'profile') as ProfileSample | null;
    return { body: Math.max(1, d?.stacks.length ?? 1) * 2, grows: true };
  },
  isolation: (s, width) => {
    const d = s.shown?.data.isolation as IsolationSample | undefined;
    if (!d) return { body: 1, grows: false };
    return { body: isolationLines(d, { offMaxUs: [], drops: [], irqS: [] }, width, TALL).length, grows: d.cpu !== null };
  },
};

/** Where each sortable table's header is in its pane (for a click on a column: src/ui/mouse.ts). */
export const PANE_HEADERS: { readonly [N in ProbeName]?: HeaderFn } = {
  containers: (s, width) => {
    const d = s.shown?.data.containers as ContainersSample | undefined;
    if (!d) return null;
    return { row: 2, text: containersTable(d, width - 2, 1, undefined, sortOf(s, 'containers')).header };
  },
  offcpu: (s, width) => {
    const d = s.shown?.data.offcpu as OffcpuSample | undefined;
    if (!d || s.detail?.pane === 'offcpu') return null;
    const text = offcpuTable(d, { pinned: s.pinnedCpu, showIdle: s.showIdle, width: width - 2, height: 1, sort: sortOf(s, 'offcpu') }).header;
    return { row: 2 + (d.overflow > 0 ? 1 : 0), text };
  },
  proc: (s, width, height) => {
    const d = paneSample(s, 'proc') as CountersSample | null;
    if (!d) return null;
    const lines = countersLines(d, { width: width - 2, height: Math.max(0, height - 3), pinned: s.pinnedCpu, sort: sortOf(s, 'proc') });
    const i = lines.findIndex((l) => l.kind === 'heading' && /^ *PID/.test(l.text));
    return i < 0 ? null : { row: 2 + i, text: lines[i].text };
  },
  trace: (s, width, height) => {
    const d = paneSample(s, 'trace') as TraceSample | null;
    if (!d?.tracepoints.length) return null;
    return { row: 2, text: traceLines(d, 0, width - 2, Math.max(0, height - 3), sortOf(s, 'trace')).header };
  },
};
