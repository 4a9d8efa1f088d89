// The status line: every probe's state, BPF cost (ns per event, events per second) and lost
// events, as detailed as the width allows. Pure.
import { PROBE_NAMES, type ProbeName, type ProbeState } from '../../probes/types.js';
import type { ProbeHealth } from '../../store/store.js';
import { fmtCount } from '../format.js';

export const STATE_WORD: Readonly<Record<ProbeState, string>> = { running: 'on', off: 'off', unavailable: 'n/a', failed: 'FAILED' };

export interface StatusSegment {
  readonly probe: ProbeName;
  readonly state: ProbeState;
  readonly text: string;
}

const SEP = ' │ ';
export const STATUS_HINT = ' │ ? help';

/** Events per second from a cost and the interval (0 for a zero interval). */
export function eventsPerSecond(h: ProbeHealth, intervalS: number): number | null {
  const cnt = h.cost?.run_cnt;
  if (cnt === undefined) return null;
  return intervalS > 0 ? cnt / intervalS : 0;
}

function segment(name: ProbeName, h: ProbeHealth, intervalS: number, level: number): string {
  const key = name === 'proc' ? '' : `${PROBE_NAMES.indexOf(name) + 1}`;
  let s = level >= 1 ? `${key}${key ? ' ' : ''}${name} ${STATE_WORD[h.state]}` : `${name} ${STATE_WORD[h.state]}`;
  const c = h.cost;
  if (level >= 2 && h.state === 'running' && c?.ns_per_event != null) s += ` ${Math.round(c.ns_per_event)}ns`;
  if (level >= 3 && h.state === 'running') {
    const eps = eventsPerSecond(h, intervalS);
    if (eps !== null) s += ` ${fmtCount(eps)}/s`;
  }
  if (c?.lost) s += ` lost ${fmtCount(c.lost)}`;
  return s;
}

/** The most detailed segments that fit in `width` (with the help hint). */
export function statusSegments(health: Readonly<Record<ProbeName, ProbeHealth>>, intervalS: number, width: number): StatusSegment[] {
  let best: StatusSegment[] = [];
  for (let level = 0; level <= 3; level++) {
    const segs = PROBE_NAMES.map((n) => ({ probe: n, state: health[n].state, text: segment(n, health[n], intervalS, level) }));
    const len = segs.reduce((a, s) => a + s.text.length, 0) + SEP.length * (segs.length - 1) + STATUS_HINT.length;
    if (level === 0 || len <= width) best = segs;
    if (len > width) break;
  }
  return best;
}

export const STATUS_SEPARATOR = SEP;
