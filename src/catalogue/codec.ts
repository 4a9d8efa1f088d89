// The interval codec: an Interval as the --json line every line-based output writes (--json,
// the recorder) and its inverse, which a replay reads back. One module, so that what is written
// and what is read are the same contract; the probes' parts come from their specs, in catalogue
// order. Field names: docs/json.md.
import type { Catalogue, Interval, IntervalData } from './catalogue.js';
import { fromSpec, healthOf, sampleOf } from './catalogue.js';
import type { JsonLine, ProbeCost, ProbeHealth, ProbeState } from '../probes/types.js';

export interface ProbeJson {
  state: string;
  reason?: string;
  run_ns?: number;
  run_cnt?: number;
  ns_per_event?: number | null;
  lost?: number;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function intervalToJson(cat: Catalogue, iv: Interval): Record<string, unknown> {
  const probes: Record<string, ProbeJson> = {};
  for (const spec of cat) {
    const h = healthOf(iv, spec.name);
    const p: ProbeJson = { state: h.state };
    if (h.reason) p.reason = h.reason;
    if (h.cost) {
      if (h.cost.run_ns !== undefined) p.run_ns = h.cost.run_ns;
      if (h.cost.run_cnt !== undefined) p.run_cnt = h.cost.run_cnt;
      if (h.cost.ns_per_event !== undefined) p.ns_per_event = h.cost.ns_per_event === null ? null : round(h.cost.ns_per_event, 1);
      if (h.cost.lost !== undefined) p.lost = h.cost.lost;
    }
    probes[spec.name] = p;
  }
  const out: Record<string, unknown> = {
    time: iv.time,
    interval_s: iv.interval_s,
    pinned_cpu: iv.pinned_cpu,
    ...(iv.online_cpus ? { online_cpus: iv.online_cpus } : {}),
    probes,
  };
  for (const spec of cat) Object.assign(out, spec.toJson(sampleOf(iv, spec.name)));
  return out;
}

const STATES: readonly ProbeState[] = ['running', 'starting', 'off', 'unavailable', 'failed'];
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function healthFromJson(v: unknown): ProbeHealth {
  const p = (v ?? {}) as Partial<Record<keyof ProbeJson, unknown>>;
  const state = STATES.includes(p.state as ProbeState) ? (p.state as ProbeState) : 'off';
  const h: ProbeHealth = { state };
  if (typeof p.reason === 'string') h.reason = p.reason;
  const cost: ProbeCost = {};
  if (num(p.run_ns) !== undefined) cost.run_ns = num(p.run_ns);
  if (num(p.run_cnt) !== undefined) cost.run_cnt = num(p.run_cnt);
  if (p.ns_per_event === null || num(p.ns_per_event) !== undefined) cost.ns_per_event = p.ns_per_event === null ? null : num(p.ns_per_event);
  if (num(p.lost) !== undefined) cost.lost = num(p.lost);
  if (Object.keys(cost).length) h.cost = cost;
  return h;
}

/**
 * The inverse of intervalToJson, for a replay source: the interval a parsed line describes, each
 * probe's data from its spec's fromJson (null when absent or not of its shape).
 */
export function intervalFromJson(cat: Catalogue, line: JsonLine): Interval {
  const probesJson = (line.probes ?? {}) as Readonly<Record<string, unknown>>;
  const probes: Record<string, ProbeHealth> = {};
  const data: Record<string, unknown> = {};
  for (const spec of cat) {
    probes[spec.name] = healthFromJson(probesJson[spec.name]);
    data[spec.name] = fromSpec(() => spec.fromJson(line), null);
  }
  return {
    time: typeof line.time === 'string' ? line.time : new Date(0).toISOString(),
    interval_s: num(line.interval_s) ?? 0,
    pinned_cpu: num(line.pinned_cpu) ?? null,
    ...(Array.isArray(line.online_cpus) && line.online_cpus.every((c) => Number.isInteger(c) && c >= 0) ? { online_cpus: line.online_cpus as number[] } : {}),
    probes: probes as Interval['probes'],
    data: data as IntervalData,
  };
}

// The line of each interval, made once: the json sink and the recorder both write it.
const lines = new WeakMap<Interval, { cat: Catalogue; line: string }>();

export function intervalToLine(cat: Catalogue, iv: Interval): string {
  const hit = lines.get(iv);
  if (hit?.cat === cat) return hit.line;
  const line = JSON.stringify(intervalToJson(cat, iv)) + '\n';
  lines.set(iv, { cat, line });
  return line;
}
