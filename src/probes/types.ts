// The contract every data source follows, BPF or /proc: start(config) once, sample() each tick,
// stop() once. The manager owns the tick, the toggles, the pinned CPU and each probe's health.

export const PROBE_NAMES = ['offcpu', 'runqlat', 'exec', 'open', 'tcp', 'proc'] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

export type ProbeState = 'running' | 'off' | 'unavailable' | 'failed';

export interface ProbeConfig {
  /** CPU the view is pinned to, or null for all CPUs. Probes that filter in the kernel follow it live. */
  readonly pinnedCpu: number | null;
  /** Only this process (tgid), or null for all. */
  readonly pid: number | null;
  /** Only tasks whose comm contains this text, or null. */
  readonly comm: string | null;
  readonly intervalS: number;
  /** Root of the proc filesystem (tests point it at fixture trees). */
  readonly procRoot: string;
  /** Online CPUs at start. */
  readonly cpus: readonly number[];
}

/** BPF cost and losses of one interval (absent for probes without BPF programs). */
export interface ProbeCost {
  run_ns?: number;
  run_cnt?: number;
  ns_per_event?: number | null;
  /** Events dropped in this interval (ring buffer full, map full). */
  lost?: number;
}

export interface Probe<TSample = unknown, TEvent = never> {
  readonly name: ProbeName;
  /** Needs BPF (root or CAP_BPF+CAP_PERFMON, kernel BTF). */
  readonly bpf: boolean;
  /** Load and attach. Throws (ideally a BpfError) when it cannot run. */
  start(config: ProbeConfig): void;
  /** The data of the interval that ends now. */
  sample(): TSample;
  /** Cost and losses of the interval that ends now (called right after sample()). */
  cost?(): ProbeCost;
  /** Feed probes: the events that arrived since the last drain, in order. */
  drain?(): TEvent[];
  /** Follow a live change of the pinned CPU (kernel-side filters). */
  setPinnedCpu?(cpu: number | null): void;
  /** Detach everything and free the kernel objects. Must be safe to call twice. */
  stop(): void;
}
