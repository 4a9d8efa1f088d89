// The interval codec: an Interval as the --json line every line-based output writes (--json,
// the recorder) and its inverse, which a replay reads back. One module, so that what is written
// and what is read are the same contract; the probes' parts come from their specs, in catalogue
// order. Field names: docs/json.md. A line is written in pieces as it is made (intervalChunks), not
// made whole first: a feed's interval may hold megabytes of events.
import type { Catalogue, Interval, IntervalData, SinkHealth } from './catalogue.js';
import { fromSpec, healthOf, sampleOf } from './catalogue.js';
import type { JsonLine, ProbeCost, ProbeHealth, ProbeState } from '../probes/types.js';
import { rememberedJson } from '../model/json-text.js';

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
    ...(iv.sinks && Object.keys(iv.sinks).length > 0 ? { sinks: sinksToJson(iv.sinks) } : {}),
  };
  for (const spec of cat) Object.assign(out, spec.toJson(sampleOf(iv, spec.name)));
  return out;
}

/** `sinks`: each output that failed or lost something, by name (the SinkHealth fields in a fixed order). */
function sinksToJson(sinks: Readonly<Record<string, SinkHealth>>): Record<string, SinkHealth> {
  const out: Record<string, SinkHealth> = {};
  for (const [name, h] of Object.entries(sinks)) {
    out[name] = {
      state: h.state,
      ...(h.reason !== undefined ? { reason: h.reason } : {}),
      ...(h.errors !== undefined ? { errors: h.errors } : {}),
      ...(h.lost !== undefined ? { lost: h.lost } : {}),
    };
  }
  return out;
}

function sinksFromJson(v: unknown): Record<string, SinkHealth> | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const out: Record<string, SinkHealth> = {};
  for (const [name, x] of Object.entries(v as Record<string, unknown>)) {
    const p = (x ?? {}) as Partial<Record<keyof SinkHealth, unknown>>;
    out[name] = {
      state: p.state === 'failed' ? 'failed' : 'running',
      ...(typeof p.reason === 'string' ? { reason: p.reason } : {}),
      ...(num(p.errors) !== undefined ? { errors: num(p.errors) } : {}),
      ...(num(p.lost) !== undefined ? { lost: num(p.lost) } : {}),
    };
  }
  return Object.keys(out).length > 0 ? out : null;
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
  const sinks = sinksFromJson(line.sinks);
  return {
    time: typeof line.time === 'string' ? line.time : new Date(0).toISOString(),
    interval_s: num(line.interval_s) ?? 0,
    pinned_cpu: num(line.pinned_cpu) ?? null,
    ...(Array.isArray(line.online_cpus) && line.online_cpus.every((c) => Number.isInteger(c) && c >= 0) ? { online_cpus: line.online_cpus as number[] } : {}),
    probes: probes as Interval['probes'],
    ...(sinks ? { sinks } : {}),
    data: data as IntervalData,
  };
}

/** The pieces the line is written in: about this many characters each (a piece ends after the key or element that reaches it). */
export const LINE_CHUNK_CHARS = 64 * 1024;

/** JSON.stringify(v), or null where it throws (a value it cannot write: the line stays whole and parseable). */
function valueText(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return 'null';
  }
}

/** An array element's text: the one remembered when its feed measured it, else made here; null where JSON.stringify writes null. */
function elementText(v: unknown): string {
  return rememberedJson(v) ?? valueText(v) ?? 'null';
}

/**
 * The interval's --json line in pieces of about LINE_CHUNK_CHARS, made as they are taken: joined,
 * they are JSON.stringify(intervalToJson(cat, iv)) + '\n', byte for byte (the keys in the same
 * order, each top-level array element by element: a feed's events are written as they are
 * reached, never as one string of the whole interval).
 */
export function* intervalChunks(cat: Catalogue, iv: Interval): Generator<string, void, undefined> {
  const out = intervalToJson(cat, iv);
  let buf = '{';
  let first = true;
  for (const k of Object.keys(out)) {
    const v = out[k];
    const key = `${first ? '' : ','}${JSON.stringify(k)}:`;
    if (Array.isArray(v)) {
      buf += `${key}[`;
      first = false;
      for (let i = 0; i < v.length; i++) {
        buf += i === 0 ? elementText(v[i]) : `,${elementText(v[i])}`;
        if (buf.length >= LINE_CHUNK_CHARS) {
          yield buf;
          buf = '';
        }
      }
      buf += ']';
    } else {
      const t = valueText(v);
      if (t === undefined) continue;
      buf += key + t;
      first = false;
    }
    if (buf.length >= LINE_CHUNK_CHARS) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}}\n`;
}

/** The whole line (a test's, a replay's): intervalChunks joined. */
export function intervalToLine(cat: Catalogue, iv: Interval): string {
  let line = '';
  for (const c of intervalChunks(cat, iv)) line += c;
  return line;
}
