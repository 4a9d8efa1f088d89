// The --json contract: one object per interval, one per line. Built from the same
// IntervalSnapshot the screen shows. Field names are documented in the README.
import type { IntervalSnapshot } from './store/store.js';
import { PROBE_NAMES } from './probes/types.js';

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

export function snapshotToJson(snap: IntervalSnapshot): Record<string, unknown> {
  const probes: Record<string, ProbeJson> = {};
  for (const name of PROBE_NAMES) {
    const h = snap.probes[name] ?? { state: 'off' };
    const p: ProbeJson = { state: h.state };
    if (h.reason) p.reason = h.reason;
    if (h.cost) {
      if (h.cost.run_ns !== undefined) p.run_ns = h.cost.run_ns;
      if (h.cost.run_cnt !== undefined) p.run_cnt = h.cost.run_cnt;
      if (h.cost.ns_per_event !== undefined) p.ns_per_event = h.cost.ns_per_event === null ? null : round(h.cost.ns_per_event, 1);
      if (h.cost.lost !== undefined) p.lost = h.cost.lost;
    }
    probes[name] = p;
  }
  const out: Record<string, unknown> = {
    time: snap.time,
    interval_s: snap.interval_s,
    pinned_cpu: snap.pinned_cpu,
    probes,
  };
  const d = snap.data;
  // offcpu: real tasks under "offcpu", idle tasks (pid 0) kept apart under "offcpu_idle".
  const off = d.offcpu as { rows?: unknown[]; idle?: unknown[]; overflow?: number } | null | undefined;
  out.offcpu = off ? (off.rows ?? []) : null;
  out.offcpu_idle = off ? (off.idle ?? []) : null;
  out.runqlat = d.runqlat ?? null;
  out.exec = d.exec ?? null;
  out.open = d.open ?? null;
  out.tcp = d.tcp ?? null;
  out.counters = d.proc ?? null;
  return out;
}

export function snapshotToLine(snap: IntervalSnapshot): string {
  return JSON.stringify(snapshotToJson(snap)) + '\n';
}
