// The status line: every probe's state, BPF cost (ns per event, events per second) and lost
// events, as detailed as the width allows, in catalogue order. Pure.
import type { ProbeHealth, ProbeState } from '../../probes/types.js';
import type { ViewContext } from '../../views/view.js';
import type { ScreenEntry, ScreenCatalogue } from '../../views/view.js';
import { fmtCount } from '../../model/format.js';
import { perSecond } from '../../model/counter.js';

export const STATE_WORD: Readonly<Record<ProbeState, string>> = { running: 'on', starting: '…', off: 'off', unavailable: 'n/a', failed: 'FAILED' };

export interface StatusSegment {
  readonly probe: string;
  readonly state: ProbeState;
  readonly text: string;
}

const SEP = ' │ ';
export const STATUS_HINT = ' │ ? help';

/** Events per second from a cost and the interval (0 for a zero interval). */
export function eventsPerSecond(h: ProbeHealth, intervalS: number): number | null {
  const cnt = h.cost?.run_cnt;
  if (cnt === undefined) return null;
  return perSecond(cnt, intervalS);
}

function segment(spec: ScreenEntry, h: ProbeHealth, view: ViewContext, level: number): string {
  const key = spec.key ?? '';
  let s = level >= 1 ? `${key}${key ? ' ' : ''}${spec.name} ${STATE_WORD[h.state]}` : `${spec.name} ${STATE_WORD[h.state]}`;
  const c = h.cost;
  if (level >= 2 && h.state === 'running' && c?.ns_per_event != null) s += ` ${Math.round(c.ns_per_event)}ns`;
  if (level >= 3 && h.state === 'running') {
    const eps = eventsPerSecond(h, view.intervalS);
    if (eps !== null) s += ` ${fmtCount(eps)}/s`;
  }
  if (c?.lost) s += ` lost ${fmtCount(c.lost)}`;
  return s;
}

function width(segs: readonly StatusSegment[]): number {
  return segs.reduce((a, s) => a + s.text.length, 0) + SEP.length * (segs.length - 1) + STATUS_HINT.length;
}

/**
 * The most detailed segments that fit in `width` (with the help hint). When not even the names
 * and states of every probe fit, the probes of the commonest state (without lost events) become
 * one segment ("off: offcpu runqlat ...") and the others stay as detailed as fits.
 */
export function statusSegments(cat: ScreenCatalogue, health: Readonly<Record<string, ProbeHealth>>, view: ViewContext): StatusSegment[] {
  const hOf = (spec: ScreenEntry): ProbeHealth => health[spec.name] ?? { state: 'off' as const };
  const at = (specs: readonly ScreenEntry[], level: number): StatusSegment[] =>
    specs.map((spec) => ({ probe: spec.name, state: hOf(spec).state, text: segment(spec, hOf(spec), view, level) }));
  let best: StatusSegment[] = [];
  for (let level = 0; level <= 3; level++) {
    const segs = at(cat, level);
    const len = width(segs);
    if (level === 0 || len <= view.width) best = segs;
    if (len > view.width) break;
  }
  if (width(best) <= view.width) return best;
  const count = new Map<ProbeState, number>();
  for (const spec of cat) if (!hOf(spec).cost?.lost) count.set(hOf(spec).state, (count.get(hOf(spec).state) ?? 0) + 1);
  const common = [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (common === undefined) return best;
  const grouped = cat.filter((spec) => hOf(spec).state === common && !hOf(spec).cost?.lost);
  const rest = cat.filter((spec) => !grouped.includes(spec));
  const group: StatusSegment = { probe: `${common}:`, state: common, text: `${STATE_WORD[common]}: ${grouped.map((s) => s.name).join(' ')}` };
  let out = [...at(rest, 0), group];
  for (let level = 1; level <= 3; level++) {
    const segs = [...at(rest, level), group];
    if (width(segs) > view.width) break;
    out = segs;
  }
  return out;
}

export const STATUS_SEPARATOR = SEP;
