// Stacks as every layer shows them (pure): the row types of the profile and off-CPU stack
// samples, frame labels, folded lines (flamegraph.pl, inferno, speedscope) and the pane's paths.
import type { StackFrame } from './resolve.js';
import type { CgroupRef } from '../probes/cgroup/registry.js';

export type { StackFrame } from './resolve.js';

/** One stack of one task: frames root first, the user frames then the kernel frames. */
export interface StackRow {
  /** Thread id (off-CPU stacks) or process id (profile rows, which are per process). */
  pid: number;
  tgid: number;
  comm: string;
  frames: StackFrame[];
  /** How many of `frames` (the first ones) are user frames. */
  user_frames: number;
  /** A stack was as deep as perfscope keeps: its root-most frames are missing. */
  truncated?: boolean;
  /** The task's v2 cgroup (absent in recordings made before perfscope recorded it). */
  cgroup?: CgroupRef;
}

/** What a frame is called on screen and in folded output: its function, else module+0xoffset. */
export function frameLabel(f: StackFrame): string {
  if (f.sym !== null) return f.sym;
  if (f.module === '[unknown]') return '[unknown]';
  const slash = f.module.lastIndexOf('/');
  return `${slash >= 0 ? f.module.slice(slash + 1) : f.module}+0x${f.offset.toString(16)}`;
}

/** A folded-stack frame may contain neither the frame separator nor whitespace. */
function foldedName(s: string): string {
  return s.replace(/;/g, ':').replace(/\s/g, '_');
}

/**
 * One line of folded stacks, as BCC's `profile -f` prints them: comm, the user frames, `-`, the
 * kernel frames (root first; the `-` only when there are both), a space, the count. Inlined
 * functions carry `_[i]`, as flamegraph.pl's --inline marks them.
 */
export function foldedLine(r: StackRow, count: number): string {
  const parts = [foldedName(r.comm || '?')];
  const label = (f: StackFrame) => foldedName(frameLabel(f)) + (f.inlined ? '_[i]' : '');
  for (const f of r.frames.slice(0, r.user_frames)) parts.push(label(f));
  const kernel = r.frames.slice(r.user_frames);
  if (r.user_frames > 0 && kernel.length > 0) parts.push('-');
  for (const f of kernel) parts.push(label(f));
  return `${parts.join(';')} ${count}`;
}

/** The frames of a row as one path for a screen line, root first, `›` between. */
export function pathText(r: StackRow): string {
  const names = r.frames.map(frameLabel);
  return names.length ? names.join(' › ') : '[no stack]';
}

/** Fit a path into `width` columns, cutting at the root end so the leaf stays visible. */
export function fitLeaf(path: string, width: number): string {
  if (width <= 0) return '';
  if (path.length <= width) return path;
  if (width === 1) return '…';
  return '…' + path.slice(path.length - (width - 1));
}

/**
 * Same task and same functions (what the rows of an interval, --folded and the pane's selection
 * merge on): two samples at different instructions of one function path are one stack.
 */
export function stackId(r: StackRow): string {
  return `${r.tgid}\u0000${r.pid}\u0000${r.comm}\u0000${r.user_frames}\u0000${r.frames.map((f) => frameLabel(f) + (f.inlined ? '\u0001' : '')).join('\u0000')}`;
}

/**
 * Rows merged by stackId, in the order of their first row; `add` folds a row's figures into the
 * first. A merged row is truncated when any of its rows was.
 */
export function mergeRows<R extends StackRow>(rows: readonly R[], add: (into: R, r: R) => R): R[] {
  const byId = new Map<string, R>();
  for (const r of rows) {
    const id = stackId(r);
    const m = byId.get(id);
    if (!m) {
      byId.set(id, r);
      continue;
    }
    const sum = add(m, r);
    byId.set(id, r.truncated && !sum.truncated ? { ...sum, truncated: true } : sum);
  }
  return [...byId.values()];
}
