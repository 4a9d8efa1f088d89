// The Prometheus sink: each complete interval, folded into metric families, written in the
// Prometheus text exposition format 0.0.4 or in OpenMetrics 1.0.0 text. It knows the probes only
// through the catalogue: each spec's `prometheus` exporter gives its own families (runqlat's
// histogram, the feeds' counters, ...); the sink adds, for every entry, the families every probe
// has (state, BPF cost, lost events) from each interval's `probes`. Counters and histograms are
// cumulative since the sink started, gauges describe the last complete interval, so what a scrape
// sees does not depend on how often it scrapes. A scrape reads text rendered from that state
// (once per interval and format): it never waits on the probes. The HTTP side is prometheus-http.ts.
import type { Catalogue, Interval } from '../catalogue/catalogue.js';
import { fromSpec, healthOf, sampleOf } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import type { ProbeState } from '../probes/types.js';
import type { PromExporter, PromFamily, PromOptions, PromSeries } from '../probes/prom.js';
import { unsafeCodePoint } from '../probes/strings.js';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

export const PROM_TOP_DEFAULT = 5;
export const PROM_TOP_MAX = 100;

const STATES: readonly ProbeState[] = ['running', 'starting', 'off', 'unavailable', 'failed'];

/**
 * Code points never written raw into a label value (besides `\`, `"` and newline, which the
 * format escapes): C0 controls, a lone surrogate (not valid UTF-8), and the set the decoders
 * escape (src/probes/strings.ts).
 */
function unsafe(cp: number): boolean {
  return cp < 0x20 || (cp >= 0xd800 && cp <= 0xdfff) || unsafeCodePoint(cp);
}

/**
 * A label value as the exposition formats write it: `\` as `\\`, `"` as `\"`, newline as `\n`
 * (the formats' own escapes), and every other control or invisible format character as the
 * text `\xNN` / `\u{NNNN}` (so the value holds a backslash, itself escaped): strings from the
 * kernel are untrusted, and no control character is ever written.
 */
export function escapeLabelValue(v: string): string {
  let out = '';
  for (const ch of v) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (unsafe(cp)) out += cp <= 0xff ? `\\\\x${cp.toString(16).padStart(2, '0')}` : `\\\\u{${cp.toString(16)}}`;
    else out += ch;
  }
  return out;
}

function escapeHelp(v: string, format: ExpositionFormat): string {
  const s = escapeLabelValue(v);
  // 0.0.4 escapes only `\` and newline in HELP; a `\"` there would read as two characters.
  return format === 'text' ? s.replace(/\\"/g, '"') : s;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelsText(labels: Readonly<Record<string, string>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) if (LABEL.test(k)) parts.push(`${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Families written in one of the two formats (families without series are left out). */
export function renderFamilies(families: readonly PromFamily[], format: ExpositionFormat): string {
  let out = '';
  for (const f of families) {
    if (f.series.length === 0 || !NAME.test(f.name)) continue;
    const counter = f.type === 'counter';
    const meta = counter && format === 'text' ? `${f.name}_total` : f.name;
    out += `# HELP ${meta} ${escapeHelp(f.help, format)}\n# TYPE ${meta} ${f.type}\n`;
    for (const s of f.series) out += `${f.name}${counter ? '_total' : (s.suffix ?? '')}${labelsText(s.labels)} ${formatValue(s.value)}\n`;
  }
  return format === 'openmetrics' ? out + '# EOF\n' : out;
}

/** Per probe of the catalogue: its health, and the sums of its intervals' cost. */
class HealthFamilies {
  private state = new Map<string, ProbeState>();
  private runNs = new Map<string, number>();
  private runs = new Map<string, number>();
  private lost = new Map<string, number>();
  private intervals = 0;
  private last: Interval | null = null;

  constructor(private readonly names: readonly string[]) {
    for (const n of names) {
      this.runNs.set(n, 0);
      this.runs.set(n, 0);
      this.lost.set(n, 0);
    }
  }

  add(iv: Interval): void {
    this.intervals++;
    this.last = iv;
    for (const n of this.names) {
      const h = healthOf(iv, n);
      this.state.set(n, h.state);
      const c = h.cost;
      if (!c) continue;
      this.runNs.set(n, this.runNs.get(n)! + (c.run_ns ?? 0));
      this.runs.set(n, this.runs.get(n)! + (c.run_cnt ?? 0));
      this.lost.set(n, this.lost.get(n)! + (c.lost ?? 0));
    }
  }

  families(): PromFamily[] {
    const per = (m: Map<string, number>, div = 1): PromSeries[] => this.names.map((probe) => ({ labels: { probe }, value: m.get(probe)! / div }));
    const fams: PromFamily[] = [
      {
        name: 'perfscope_intervals',
        type: 'counter',
        help: 'Complete intervals sampled since perfscope started.',
        series: [{ labels: {}, value: this.intervals }],
      },
    ];
    if (!this.last) return fams;
    fams.push(
      {
        name: 'perfscope_interval_seconds',
        type: 'gauge',
        help: 'Measured length of the last complete interval.',
        series: [{ labels: {}, value: this.last.interval_s }],
      },
      {
        name: 'perfscope_last_interval_timestamp_seconds',
        type: 'gauge',
        help: 'End of the last complete interval, seconds since the epoch.',
        series: [{ labels: {}, value: Date.parse(this.last.time) / 1000 }],
      },
      {
        name: 'perfscope_probe_up',
        type: 'gauge',
        help: 'Whether the probe was running in the last complete interval (1) or not (0).',
        series: this.names.map((probe) => ({ labels: { probe }, value: this.state.get(probe) === 'running' ? 1 : 0 })),
      },
      {
        name: 'perfscope_probe_state',
        type: 'gauge',
        help: "The probe's state in the last complete interval: 1 for its state, 0 for the others.",
        series: this.names.flatMap((probe) => STATES.map((state) => ({ labels: { probe, state }, value: this.state.get(probe) === state ? 1 : 0 }))),
      },
      {
        name: 'perfscope_probe_run_seconds',
        type: 'counter',
        help: "Time the kernel spent running the probe's BPF programs since perfscope started (BPF run statistics; 0 for a probe without BPF).",
        series: per(this.runNs, 1e9),
      },
      {
        name: 'perfscope_probe_runs',
        type: 'counter',
        help: "Runs of the probe's BPF programs since perfscope started (BPF run statistics).",
        series: per(this.runs),
      },
      {
        name: 'perfscope_probe_lost_events',
        type: 'counter',
        help: "Events the probe dropped since perfscope started (kernel ring buffer or map full, or beyond an interval's cap).",
        series: per(this.lost),
      },
    );
    return fams;
  }
}

/** The manager's sink for --listen: folds every interval; the HTTP server reads exposition(). */
export class PrometheusSink implements Sink {
  readonly name = 'prometheus';
  private readonly exporters: { name: string; exp: PromExporter<unknown> }[] = [];
  private readonly probeFamilies: HealthFamilies;
  private cache: Partial<Record<ExpositionFormat, string>> = {};

  constructor(cat: Catalogue, opts: PromOptions) {
    for (const spec of cat) {
      const make = spec.prometheus;
      if (!make) continue;
      const exp = fromSpec<PromExporter<unknown> | null>(() => make(opts), null);
      if (exp) this.exporters.push({ name: spec.name, exp });
    }
    this.probeFamilies = new HealthFamilies(cat.map((s) => s.name));
  }

  interval(iv: Interval): void {
    this.probeFamilies.add(iv);
    for (const { name, exp } of this.exporters) fromSpec(() => exp.add(sampleOf(iv, name), iv.interval_s), undefined);
    this.cache = {};
  }

  families(): PromFamily[] {
    return [...this.probeFamilies.families(), ...this.exporters.flatMap(({ exp }) => fromSpec(() => exp.families(), []))];
  }

  /** The exposition as of the last complete interval (rendered once per interval and format). */
  exposition(format: ExpositionFormat): string {
    return (this.cache[format] ??= renderFamilies(this.families(), format));
  }
}
