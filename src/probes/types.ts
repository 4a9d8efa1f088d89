// What a probe is to the layers that carry its data: the life cycle a data source follows (Probe:
// start once, sample() each tick, stop once) and the data spec that describes it (ProbeSpec: name,
// kind, the JSON codec, options, Prometheus and folded exports). Its view (title, key, pane,
// overview) is a ViewSpec in src/views/. Types (and two error classes) only; nothing here loads
// the native addon. The list of probes, in order, is the catalogue (src/catalogue/catalogue.ts).
import type { StackRow } from '../stacks/frames.js';
import type { PromSpec } from './prom.js';

/** 'starting': the user asked for it and its programs are being loaded (off the render path). */
export type ProbeState = 'running' | 'starting' | 'off' | 'unavailable' | 'failed';

export interface ProbeConfig {
  /** CPU the view is pinned to, or null for all CPUs. Probes that filter in the kernel follow it live. */
  readonly pinnedCpu: number | null;
  /** Only this process (tgid), or null for all. */
  readonly pid: number | null;
  /** Only tasks whose comm contains this text, or null. */
  readonly comm: string | null;
  /**
   * perfscope's own process (tgid), left out of the feeds, the per-task tables (off-CPU, top,
   * profile, off-CPU stacks, trace) by default; null or absent: nothing left out (--include-self).
   */
  readonly selfTgid?: number | null;
  readonly intervalS: number;
  /** Root of the proc filesystem (tests point it at fixture trees). */
  readonly procRoot: string;
  /** Root of sysfs (default /sys; tests point it at fixture trees). */
  readonly sysRoot?: string;
  /** Online CPUs at start. */
  readonly cpus: readonly number[];
  /** The values of the probe's own option (ProbeSpec.args: e.g. the tracepoints of --trace), resolved; none when absent. */
  readonly args?: readonly string[];
  /** The values of the probe's settings (ProbeSpec.options), by flag; a setting absent here has its default. */
  readonly options?: Readonly<Record<string, OptionValue>>;
  /**
   * --cgroup: only tasks of these v2 cgroup ids (the subtrees of the values, resolved), filtered
   * in the kernel; null or absent: every cgroup. An empty list lets nothing through.
   */
  readonly cgroups?: readonly number[] | null;
  /**
   * BPF may be used (false: --no-bpf, or no root, no BTF): a probe that can do without (the proc
   * probe's top table from the scheduler) then does. Absent: it may try.
   */
  readonly bpf?: boolean;
}

/** BPF cost and losses of one interval (absent for probes without BPF programs). */
export interface ProbeCost {
  run_ns?: number;
  run_cnt?: number;
  ns_per_event?: number | null;
  /** Events dropped in this interval (ring buffer full, map full). */
  lost?: number;
}

export interface ProbeHealth {
  state: ProbeState;
  reason?: string;
  cost?: ProbeCost;
}

export interface Probe<S, E = never> {
  /** Needs BPF (root or CAP_BPF+CAP_PERFMON, kernel BTF). */
  readonly bpf: boolean;
  /** Load and attach. Throws or rejects (ideally with a BpfError) when it cannot run. */
  start(config: ProbeConfig): void | Promise<void>;
  /** The same without holding the event loop while the kernel verifies its programs (the manager prefers it). */
  startAsync?(config: ProbeConfig): Promise<void>;
  /** The data of the interval that ends now. */
  sample(): S;
  /** Cost and losses of the interval that ends now (called right after sample()). */
  cost?(): ProbeCost;
  /** Feed probes: the events that arrived since the last drain, in order. */
  drain?(): E[];
  /** Feed probes: keep only the newest n events per interval, counting the others (null: all). */
  keepNewest?(n: number | null): void;
  /** Follow a live change of the pinned CPU (kernel-side filters). */
  setPinnedCpu?(cpu: number | null): void;
  /** Follow a live change of the --cgroup filter (the ids let through, null: all), in the kernel. */
  setCgroups?(ids: readonly number[] | null): void;
  /** CPUs went offline or came back (hotplug): the CPUs online now. */
  setOnlineCpus?(cpus: readonly number[]): void;
  /**
   * Probes with an option of their own (ProbeSpec.args): follow a live change of its values
   * (resolved), attaching what is new and detaching what is gone. Rejects with one line for the
   * user, and then nothing has changed.
   */
  setArgs?(values: readonly string[]): Promise<void>;
  /**
   * Probes with settings (ProbeSpec.options): follow a live change of one (a value already
   * checked against the option). Rejects with one line for the user, and then nothing changed.
   */
  setOption?(flag: string, value: OptionValue): Promise<void>;
  /** Detach everything and free the kernel objects. Must be safe to call twice. */
  stop(): void;
}

/**
 * A probe's own repeatable option, on the command line (--FLAG VALUE, repeatable) and at the
 * screen's prompt (+ adds a value, - removes the one of the selected row).
 */
export interface ProbeArgs {
  /** The long option, without its dashes ("trace"). */
  readonly flag: string;
  /** What a value looks like, for --help ("CAT:NAME[:FIELD]"). */
  readonly metavar: string;
  /** One line for --help. */
  readonly help: string;
  /** Values the bench runs the probe with (on its context-switch load). */
  readonly bench: readonly string[];
  /**
   * Values as typed -> the resolved list (expanded, checked against this host, each once, in
   * order); throws ProbeArgError with the one line the user sees. ctx.pid: -p (the trace probe's
   * user-space probes are looked up in that process's maps and mount namespace).
   */
  resolve(values: readonly string[], ctx?: { readonly pid: number | null }): string[];
  /** Completions of a partly typed value, for the prompt (sorted, a bounded number). */
  complete(text: string): string[];
  /** The values of the rows its pane shows for a sample, top to bottom (what - removes). */
  rowValues(sample: unknown): string[];
}

export type OptionValue = number | boolean;

/**
 * A setting of a probe: on the command line (--FLAG [VALUE], -SHORT), kept by the manager across
 * off/on, changed live from the screen (an integer setting cycles through `cycle` with `key`
 * while the probe's pane has the focus; a boolean one is switched by what the pane offers).
 */
export interface ProbeOption {
  /** The long option, without its dashes ("frequency"). */
  readonly flag: string;
  /** A one-letter alias ("F"), if any. */
  readonly short?: string;
  readonly kind: 'integer' | 'boolean';
  /** What a value looks like, for --help ("HZ"); integers only. */
  readonly metavar?: string;
  /** One line for --help. */
  readonly help: string;
  readonly default: OptionValue;
  /** Bounds of an integer value (inclusive). */
  readonly min?: number;
  readonly max?: number;
  /** Integers: the values the pane's key steps through. */
  readonly cycle?: readonly number[];
  /** Integers: the key that steps through `cycle` while the probe's pane has the focus. */
  readonly key?: string;
  /** Booleans: Enter on a row of the probe's pane (its detail view) turns it on. */
  readonly detail?: boolean;
}

/** The value of an option as typed, checked: the value, or throws ProbeArgError with the user's line. */
export function parseOption(o: ProbeOption, text: string | boolean): OptionValue {
  if (o.kind === 'boolean') return text === true || text === 'true' || text === '1' || text === 'on';
  const t = String(text).trim();
  const v = /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(v) || (o.min !== undefined && v < o.min) || (o.max !== undefined && v > o.max)) {
    throw new ProbeArgError(
      `--${o.flag} must be a whole number${o.min !== undefined && o.max !== undefined ? ` from ${o.min} to ${o.max}` : ''}, not '${t.slice(0, 40)}'`,
    );
  }
  return v;
}

/** The value of a setting for a probe's config: as set, or its default. */
export function optionOf<T extends OptionValue>(config: ProbeConfig, o: ProbeOption & { default: T }): T {
  const v = config.options?.[o.flag];
  return (typeof v === typeof o.default ? v : o.default) as T;
}

/** One stack of a sample as --folded prints it, and its weight. */
export interface FoldedRow {
  readonly row: StackRow;
  readonly count: number;
}

export interface FoldedSpec<S> {
  /** The probe --folded samples when --probes does not say. */
  readonly default: boolean;
  /** What a count is ("samples", "us"). */
  readonly unit: string;
  /** Settings it needs for stacks (offcpu: --offcpu-stacks). */
  readonly options?: Readonly<Record<string, OptionValue>>;
  rows(sample: S): readonly FoldedRow[];
  /** --pprof: the profile's two sample types (a count, then nanoseconds) and each row's two values. */
  readonly pprof?: PprofSpec<S>;
}

export interface PprofSpec<S> {
  /** [type, unit] of the two values of every sample: a count, then nanoseconds. */
  readonly types: readonly [readonly [string, string], readonly [string, string]];
  /** The sampling period, if the values are samples of one (pprof's period type is types[1]), ns. */
  periodNs?(sample: S): number | null;
  rows(sample: S): readonly { readonly row: StackRow; readonly count: number; readonly ns: number }[];
}

/** A live change of a probe's own option: one value added (as typed) or removed (as resolved). */
export type ArgsEdit = { readonly add: string } | { readonly remove: string };

/** A value of a probe's own option that cannot be used: its message is the user's one line. */
export class ProbeArgError extends Error {
  override readonly name = 'ProbeArgError';
}

/** One parsed --json line, as a replay source reads it back. */
export type JsonLine = Readonly<Record<string, unknown>>;

/**
 * A probe's data, described once (the view of the same probe is its ViewSpec, src/views/). `name`
 * is its bpf/ basename, its key in --json's `probes`, its pane id and its test basename. S is the
 * sample of one interval; E the event type of a feed (S = E[]). The catalogue
 * (src/catalogue/catalogue.ts) pairs it with the implementation that produces S.
 */
export interface ProbeSpec<N extends string = string, S = unknown, _E = unknown> {
  readonly name: N;
  /** 'feed': events in order (the screen drains them at a bounded rate); 'aggregate': one sample per tick. */
  readonly kind: 'feed' | 'aggregate';
  /** Needs BPF (root or CAP_BPF+CAP_PERFMON, kernel BTF). */
  readonly bpf: boolean;
  /** Its part of a --json line: top-level keys, in order, null values when it did not run. */
  toJson(sample: S | null): Record<string, unknown>;
  /**
   * The inverse of toJson, for replay: its sample from a parsed --json line, null when the line
   * has none; a part that is not of its shape throws (a SchemaError, src/probes/json-check.ts),
   * which makes the replay skip and count the record.
   */
  fromJson(line: JsonLine): S | null;
  /** Its metrics for `--listen` (src/sinks/prometheus.ts): a fresh exporter per sink. */
  readonly prometheus?: PromSpec<S>;
  /** An option of its own (--trace), editable live from the screen. */
  readonly args?: ProbeArgs;
  /**
   * Not started unless --probes names it (its key switches it on): a probe whose cost at rest is
   * more than the others' (the profile: stack walks, symbolization, their tables in memory).
   */
  readonly startsOff?: boolean;
  /** Its settings (profile's --frequency, offcpu's --offcpu-stacks). */
  readonly options?: readonly ProbeOption[];
  /** A probe with stacks: what --folded prints of it. */
  readonly folded?: FoldedSpec<S>;
}

/**
 * Thrown by a probe's create() or start() when it cannot run on this host at all (a kernel
 * without its hook, a missing file): the manager marks it `unavailable` with this message
 * instead of `failed`.
 */
export class ProbeUnavailable extends Error {
  override readonly name = 'ProbeUnavailable';
}
