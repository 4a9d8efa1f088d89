// The status line: every probe's state, BPF cost (ns per event, events per second) and lost
// events, as detailed as the width allows, in catalogue order. Pure.
import type { ProbeHealth, ProbeState, ViewContext } from '../../probes/types.js';
import type { AnyEntry, Catalogue } from '../../catalogue.js';
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

function segment(spec: AnyEntry, h: ProbeHealth, view: ViewContext, level: number): string {
  // The narrowest: a running probe by its name alone, the others with their state word.
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

/** The most detailed segments that fit in `width` (with the help hint). */
export function statusSegments(cat: Catalogue, health: Readonly<Record<string, ProbeHealth>>, view: ViewContext): StatusSegment[] {
  // The narrowest: the probes grouped by state, by key where they have one ("on 1 2 3 proc 7"),
  // and a segment of their own for those that lost events.
  const compact: StatusSegment[] = [];
  const groups = new Map<ProbeState, string[]>();
  for (const spec of cat) {
    const h = health[spec.name] ?? { state: 'off' as const };
    groups.set(h.state, [...(groups.get(h.state) ?? []), spec.key ?? spec.name]);
    if (h.cost?.lost) compact.push({ probe: spec.name, state: h.state, text: `${spec.name} lost ${fmtCount(h.cost.lost)}` });
  }
  compact.unshift(...[...groups].map(([state, who]) => ({ probe: `(${state})`, state, text: `${STATE_WORD[state]} ${who.join(' ')}` })));
  let best: StatusSegment[] = compact;
  for (let level = 0; level <= 3; level++) {
    const segs = cat.map((spec) => {
      const h = health[spec.name] ?? { state: 'off' as const };
      return { probe: spec.name, state: h.state, text: segment(spec, h, view, level) };
    });
    const len = segs.reduce((a, s) => a + s.text.length, 0) + SEP.length * (segs.length - 1) + STATUS_HINT.length;
    if (len <= view.width) best = segs;
    if (len > view.width) break;
  }
  return best;
}

export const STATUS_SEPARATOR = SEP;
