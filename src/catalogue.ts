// The catalogue: every probe perfscope has, in order, one line each. The keyboard, the tab row,
// the status line, the layout, the overview, --probes, --help, the --json writer and the bench's
// subjects all read it; nothing else lists probes. A line is the probe's spec (its module under
// src/probes/, see ProbeSpec in src/probes/types.ts) and the loader of its pane (loaded only
// when a screen is drawn; --json never loads Ink). Adding a probe: docs/architecture.md,
// "Adding a probe".
import { exec } from './probes/exec-spec.js';
import { isolation } from './probes/isolation-spec.js';
import { offcpu } from './probes/offcpu-spec.js';
import { open } from './probes/open-spec.js';
import { proc } from './probes/proc-spec.js';
import { profile } from './probes/profile-spec.js';
import { runqlat } from './probes/runqlat-spec.js';
import { tcp } from './probes/tcp-spec.js';
import { trace } from './probes/trace-spec.js';
import type { ProbeHealth, ProbeSpec } from './probes/types.js';
import type { PaneComponent } from './ui/pane.js';

export interface CatalogueEntry<N extends string = string, S = unknown, E = unknown> extends ProbeSpec<N, S, E> {
  /** Its pane; without one the screen shows the probe's overview lines in a plain pane. */
  readonly pane?: () => Promise<PaneComponent>;
}

function entry<N extends string, S, E>(spec: ProbeSpec<N, S, E>, pane?: () => Promise<PaneComponent>): CatalogueEntry<N, S, E> {
  return pane ? { ...spec, pane } : spec;
}

export const CATALOGUE = [
  entry(offcpu, () => import('./ui/components/OffcpuPane.js').then((m) => m.OffcpuPane)),
  entry(runqlat, () => import('./ui/components/RunqlatPane.js').then((m) => m.RunqlatPane)),
  entry(exec, () => import('./ui/components/ExecPane.js').then((m) => m.ExecPane)),
  entry(open, () => import('./ui/components/OpenPane.js').then((m) => m.OpenPane)),
  entry(tcp, () => import('./ui/components/TcpPane.js').then((m) => m.TcpPane)),
  entry(proc, () => import('./ui/components/ProcPane.js').then((m) => m.ProcPane)),
  entry(trace, () => import('./ui/components/TracePane.js').then((m) => m.TracePane)),
  entry(profile, () => import('./ui/components/ProfilePane.js').then((m) => m.ProfilePane)),
  entry(isolation, () => import('./ui/components/IsolationPane.js').then((m) => m.IsolationPane)),
] as const;

type Entry = (typeof CATALOGUE)[number];
export type ProbeName = Entry['name'];
export type SpecOf<N extends ProbeName> = Extract<Entry, { readonly name: N }>;
/** The sample one interval of probe N holds. */
export type SampleOf<N extends ProbeName> = NonNullable<ReturnType<SpecOf<N>['fromJson']>>;
/** The probes whose sample is a list of events. */
export type FeedName = { [N in ProbeName]: SampleOf<N> extends readonly unknown[] ? N : never }[ProbeName];
export type EventOf<N extends FeedName> = SampleOf<N> extends readonly (infer E)[] ? E : never;

/**
 * A catalogue as the layers take it (the default one, or a test's own). Generic code sees its
 * entries through their common shape: a spec's functions are only ever called with the sample
 * its own probe produced (the manager keeps each sample under its probe's name).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEntry = CatalogueEntry<ProbeName, any, any>;
export type Catalogue = readonly AnyEntry[];

/** Every probe's data of one interval, by name (null: the probe did not run). */
export type IntervalData = { readonly [N in ProbeName]: SampleOf<N> | null };

/** One interval, as the manager hands it to every sink (the store, --json, ...). */
export interface Interval {
  /** End of the interval (ISO 8601). */
  readonly time: string;
  /** Its measured length. */
  readonly interval_s: number;
  readonly pinned_cpu: number | null;
  /** CPUs online at the end of the interval (CPU hotplug; absent in recordings made before it). */
  readonly online_cpus?: readonly number[];
  readonly probes: Readonly<Record<ProbeName, ProbeHealth>>;
  readonly data: IntervalData;
}

/** A probe's slot of an interval, for code that walks the catalogue. */
export function sampleOf(iv: Interval, name: string): unknown {
  return (iv.data as Readonly<Record<string, unknown>>)[name] ?? null;
}

/** The health a probe of the catalogue has in an interval (off when the interval does not list it). */
export function healthOf(iv: Interval, name: string): ProbeHealth {
  return (iv.probes as Readonly<Record<string, ProbeHealth>>)[name] ?? { state: 'off' };
}

/**
 * A spec's pure function applied to its sample, for code that walks the catalogue: a probe whose
 * function throws (a bug, a sample of another shape from a replayed file) gives `fallback` and
 * takes nothing else down.
 */
export function fromSpec<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

export function probeNames(cat: Catalogue): ProbeName[] {
  return cat.map((s) => s.name);
}

export function findProbe(cat: Catalogue, name: string): AnyEntry | undefined {
  return cat.find((s) => s.name === name);
}
