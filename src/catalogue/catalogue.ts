// The catalogue: every probe perfscope has, in order, one line each: its data spec (src/probes/
// <name>-spec.ts, see ProbeSpec) and the loader of its implementation (src/probes/<name>.ts,
// imported only when the probe starts). The manager, --probes, the --json codec, Prometheus, the
// recorder, replay and the bench's subjects read it; the screen reads it through the views
// (src/views/views.ts), which give each probe its title, key, place and pane. Nothing else lists
// probes. Adding a probe: docs/architecture.md, "Adding a probe".
import { containers } from '../probes/containers-spec.js';
import { exec } from '../probes/exec-spec.js';
import { isolation } from '../probes/isolation-spec.js';
import { offcpu } from '../probes/offcpu-spec.js';
import { open } from '../probes/open-spec.js';
import { print } from '../probes/print-spec.js';
import { proc } from '../probes/proc-spec.js';
import { profile } from '../probes/profile-spec.js';
import { runqlat } from '../probes/runqlat-spec.js';
import { tcp } from '../probes/tcp-spec.js';
import { trace } from '../probes/trace-spec.js';
import type { Probe, ProbeHealth, ProbeSpec } from '../probes/types.js';

export interface CatalogueEntry<N extends string = string, S = unknown, E = unknown> extends ProbeSpec<N, S, E> {
  /** A fresh, not yet started instance (the implementation is imported only now). */
  create(): Promise<Probe<S, E>>;
}

function entry<N extends string, S, E>(spec: ProbeSpec<N, S, E>, create: () => Promise<Probe<S, E>>): CatalogueEntry<N, S, E> {
  return { ...spec, create };
}

export const CATALOGUE = [
  entry(offcpu, async () => new (await import('../probes/offcpu.js')).OffcpuProbe()),
  entry(runqlat, async () => new (await import('../probes/runqlat.js')).RunqlatProbe()),
  entry(exec, async () => new (await import('../probes/exec.js')).ExecProbe()),
  entry(open, async () => new (await import('../probes/open.js')).OpenProbe()),
  entry(tcp, async () => new (await import('../probes/tcp.js')).TcpProbe()),
  entry(proc, async () => new (await import('../probes/proc.js')).ProcProbe()),
  entry(trace, async () => new (await import('../probes/trace.js')).TraceProbe()),
  entry(print, async () => new (await import('../probes/print.js')).PrintProbe()),
  entry(profile, async () => new (await import('../probes/profile.js')).ProfileProbe()),
  entry(isolation, async () => new (await import('../probes/isolation.js')).IsolationProbe()),
  entry(containers, async () => new (await import('../probes/containers.js')).ContainersProbe()),
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
// biome-ignore lint/suspicious/noExplicitAny: the one place where generic code meets each probe's own sample type
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
  /** The outputs' health (SinkHealth by sink name), present only when one has failed or lost something. */
  readonly sinks?: Readonly<Record<string, SinkHealth>>;
  readonly data: IntervalData;
}

/**
 * An output's health as the probe manager reports it (the shape of a probe's: `state`, `reason`,
 * `lost`): `failed` while its last call threw (`reason`: that error's first line), `errors` the
 * calls that threw since the start, `lost` the intervals it could not write (the --json writer's
 * lines dropped at a full stdout).
 */
export interface SinkHealth {
  readonly state: 'running' | 'failed';
  readonly reason?: string;
  readonly errors?: number;
  readonly lost?: number;
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

export function findProbe<E extends AnyEntry>(cat: readonly E[], name: string): E | undefined {
  return cat.find((s) => s.name === name);
}
