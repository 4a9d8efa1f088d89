// The --json contract: one object per interval, one per line (NDJSON), built from the same
// Interval every sink gets. The probes' parts come from their specs, in catalogue order; field
// names are documented in the README.
import type { Catalogue, Interval } from '../catalogue.js';
import { healthOf, sampleOf } from '../catalogue.js';
import type { Sink } from '../probes/manager.js';

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
  const out: Record<string, unknown> = { time: iv.time, interval_s: iv.interval_s, pinned_cpu: iv.pinned_cpu, probes };
  for (const spec of cat) Object.assign(out, spec.toJson(sampleOf(iv, spec.name)));
  return out;
}

export function intervalToLine(cat: Catalogue, iv: Interval): string {
  return JSON.stringify(intervalToJson(cat, iv)) + '\n';
}

/** Writes every interval as a line; after `count` lines (null: never) calls onDone once. */
export function jsonSink(cat: Catalogue, write: (line: string) => void, count: number | null, onDone: () => void): Sink {
  let n = 0;
  return {
    interval(iv) {
      if (count !== null && n >= count) return;
      write(intervalToLine(cat, iv));
      n++;
      if (count !== null && n >= count) onDone();
    },
  };
}
