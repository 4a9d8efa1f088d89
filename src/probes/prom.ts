// What a probe exports to Prometheus (ProbeSpec.prometheus): families of series, folded from
// each interval's sample by an exporter of its own. src/sinks/prometheus.ts writes them.

/** The Prometheus sink's options a probe's exporter may follow (--prom-top, --prom-node). */
export interface PromOptions {
  /** Gauges of per-task rows: at most this many tasks per CPU. */
  readonly top: number;
  /** Also export a few /proc counters under node_exporter's own names. */
  readonly node: boolean;
}

/** One sample line of a family: its name's suffix (a histogram's `_bucket`, `_sum`, `_count`), labels, value. */
export interface PromSeries {
  readonly suffix?: '_bucket' | '_sum' | '_count';
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A metric family. `name` is the family's name: for a counter without `_total`, which the
 * writer appends to every sample (and, in the 0.0.4 text format, to the HELP and TYPE lines).
 */
export interface PromFamily {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly series: readonly PromSeries[];
}

/**
 * A probe's exporter: folds each complete interval's sample (null: the probe did not run in it)
 * and gives its families as of the last one. Counters and histograms are cumulative since the
 * sink started; gauges describe the last complete interval. Never waits on the probe.
 */
export interface PromExporter<S> {
  add(sample: S | null, intervalS: number): void;
  families(): readonly PromFamily[];
}

export type PromSpec<S> = (opts: PromOptions) => PromExporter<S>;
