// The --cgroup filter in the kernel (bpf/cgroup_filter.bpf.h): an object's `cg_allow` hash holds
// the wanted cgroup ids and its `cg_filter_on` word says whether the filter is on. Both are maps,
// so a change is live. Order: the new ids go in before the old ones go out and before the word
// goes on, so a change never lets through, even for a moment, a task that neither the old nor
// the new filter wants; turning it off clears the word first.
import type { BpfObject } from '../../bpf/object.js';

/** Mirrors CGROUP_FILTER_MAX (bpf/cgroup.h). */
export const CGROUP_FILTER_MAX = 8192;

const ZERO = Buffer.alloc(4);

function idKey(id: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(id));
  return b;
}

/** Set the filter of an object that includes bpf/cgroup_filter.bpf.h: the ids let through, or null for none (every task passes). Returns the ids cut (beyond CGROUP_FILTER_MAX). */
export function applyCgroupFilter(obj: BpfObject, ids: readonly number[] | null): number {
  const on = obj.map('cg_filter_on');
  const allow = obj.map('cg_allow');
  const word = Buffer.alloc(4);
  if (ids === null) {
    on.update(ZERO, word);
    for (const k of allow.keys()) allow.delete(k);
    return 0;
  }
  const keep = ids.slice(0, CGROUP_FILTER_MAX);
  const want = new Set(keep.map((id) => idKey(id).toString('hex')));
  const one = Buffer.from([1]);
  for (const id of keep) allow.update(idKey(id), one);
  for (const k of allow.keys()) if (!want.has(k.toString('hex'))) allow.delete(k);
  word.writeUInt32LE(1);
  on.update(ZERO, word);
  return ids.length - keep.length;
}
