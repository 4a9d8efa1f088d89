// The profile probe's view (see ViewSpec): the hottest stack in words, the pane's rows (stacks)
// and their ids, its text filter, its tree view and the windowed merge of intervals. Its data
// is src/probes/profile-spec.ts.
import { fmtCount } from '../model/format.js';
import { frameLabel, mergeRows, stackId } from '../stacks/frames.js';
import { PROFILE_MAX_STACKS, type ProfileRow, type ProfileSample } from '../probes/profile-spec.js';
import type { ViewSpec } from './view.js';

/** A stack row's id for the pane's selection (same process, comm and frames). */
export const profileRowId = (r: ProfileRow): string => stackId(r);

/** The stacks of the tasks whose comm contains `text` or whose pid starts with it. Pure. */
export function filterProfile(s: ProfileSample, text: string): ProfileSample {
  const t = text.trim();
  if (!t) return s;
  return { ...s, stacks: s.stacks.filter((r) => r.comm.includes(t) || String(r.tgid).startsWith(t)) };
}

/** Consecutive intervals as one: counts added, stacks merged by function path, hottest first. Pure. */
export function mergeProfiles(list: readonly ProfileSample[]): ProfileSample {
  const last = list[list.length - 1];
  const stacks = mergeRows(
    list.flatMap((s) => s.stacks),
    (a, b) => ({ ...a, count: a.count + b.count }),
  ).sort((a, b) => b.count - a.count);
  const sum = (f: (s: ProfileSample) => number) => list.reduce((a, s) => a + f(s), 0);
  return {
    hz: last.hz,
    cpus: [...new Set(list.flatMap((s) => s.cpus))].sort((a, b) => a - b),
    samples: sum((s) => s.samples),
    idle: sum((s) => s.idle),
    lost: sum((s) => s.lost),
    other: sum((s) => s.other) + stacks.slice(PROFILE_MAX_STACKS).reduce((a, r) => a + r.count, 0),
    stacks: stacks.slice(0, PROFILE_MAX_STACKS),
    symbolize_ms: Math.round(sum((s) => s.symbolize_ms) * 100) / 100,
  };
}

/** The leaf function of the hottest stack and its share: "leaf_a 62%". */
function hottest(s: ProfileSample): string {
  const top = s.stacks[0];
  if (!top || s.samples === 0) return 'no samples';
  const leaf = top.frames.length ? frameLabel(top.frames[top.frames.length - 1]) : '[no stack]';
  return `${leaf} ${Math.round((100 * top.count) / s.samples)}% (${top.comm})`;
}

export const profileView: ViewSpec<ProfileSample> = {
  title: 'CPU profile',
  tab: 'profile',
  key: '8',
  grid: { column: 1, row: 4, weight: 3 },
  rowIds: (s) => s.stacks.map(profileRowId),
  filterText: filterProfile,
  altView: 'a tree of frames / one path per line (a tall pane starts with the tree)',
  merge: mergeProfiles,
  summary: (s) => hottest(s),
  overview(s) {
    const busy = s.samples + s.idle;
    const pct = busy ? Math.round((100 * s.samples) / busy) : 0;
    return [`${fmtCount(s.samples)} samples at ${s.hz} Hz on ${s.cpus.length} CPU${s.cpus.length === 1 ? '' : 's'} (${pct}% busy)`, `hottest ${hottest(s)}`];
  },
};
