// Stacks as pane lines (pure, tested without rendering): the profile pane's hottest paths, one
// per line with the leaf kept in view, or as a tree of frames, and the off-CPU pane's detail view of one task (its
// longest off-CPU stacks with their times and the preemptor, each stack's frames leaf first).
import { fmtCount, fmtUs } from '../../model/format.js';
import { fitLeaf, frameLabel, pathText, type StackRow } from '../../stacks/frames.js';
import type { ProfileSample } from '../../probes/profile-spec.js';
import type { OffStackRow } from '../../probes/offcpu-spec.js';
import type { Line } from './lines.js';

function pct(n: number, of: number): string {
  const p = of > 0 ? (100 * n) / of : 0;
  return `${p >= 9.95 ? p.toFixed(0) : p.toFixed(1)}%`.padStart(5);
}

/** The profile pane: `rows` lines, `width` columns; the selected row highlighted. */
export function profileLines(s: ProfileSample, width: number, rows: number, selected: number, focused: boolean): Line[] {
  const out: Line[] = [];
  const total = s.samples;
  const head = `${fmtCount(total)} samples, ${s.hz} Hz, CPU ${s.cpus.join(',') || '-'}${s.lost ? `, ${fmtCount(s.lost)} lost` : ''}${s.other ? `, ${fmtCount(s.other)} in stacks not listed` : ''}`;
  out.push({ text: head.slice(0, width), kind: 'dim' });
  const room = Math.max(0, rows - 1);
  const first = Math.max(0, Math.min(selected - room + 1, s.stacks.length - room));
  for (const [i, r] of s.stacks.slice(first, first + room).entries()) {
    const lead = `${pct(r.count, total)} ${r.comm.slice(0, 15).padEnd(15)} `;
    out.push({
      text: lead + fitLeaf(pathText(r) + (r.truncated ? ' …' : ''), width - lead.length),
      kind: focused && first + i === selected ? 'highlight' : 'text',
    });
  }
  if (s.stacks.length === 0) out.push({ text: total ? 'no stack kept' : 'no samples in this interval (an idle CPU is counted as idle)', kind: 'dim' });
  return out;
}

/** The frames of one stack, leaf first, as lines (kernel frames marked [k]). */
export function frameLines(r: StackRow, width: number, max: number): Line[] {
  const lines: Line[] = [];
  for (let i = r.frames.length - 1; i >= 0 && lines.length < max; i--) {
    const f = r.frames[i];
    const where = f.sym !== null && f.module !== '[kernel]' ? `  ${f.module.slice(f.module.lastIndexOf('/') + 1)}` : '';
    const text = `    ${i >= r.user_frames ? '[k] ' : ''}${frameLabel(f)}${f.inlined ? ' (inlined)' : ''}${where}`;
    lines.push({ text: text.slice(0, width), kind: 'text' });
  }
  if (r.frames.length > lines.length) lines.push({ text: `    … ${r.frames.length - lines.length} more frames`, kind: 'dim' });
  return lines;
}

/** The off-CPU detail view of one task (thread id `pid`): its stacks, longest total first. */
export function offStackLines(rows: readonly OffStackRow[] | null, pid: number, comm: string, width: number, height: number, error?: string): Line[] {
  const out: Line[] = [{ text: `off-CPU stacks of ${comm}[${pid}] (Esc back)`.slice(0, width), kind: 'heading' }];
  if (error) {
    out.push({ text: `no off-CPU stacks: ${error}`.slice(0, width), kind: 'dim' });
    return out;
  }
  if (rows === null) {
    out.push({ text: 'collecting off-CPU stacks: they show from the next interval', kind: 'dim' });
    return out;
  }
  const mine = rows.filter((r) => r.pid === pid).sort((a, b) => b.total_us - a.total_us);
  if (mine.length === 0) {
    out.push({ text: 'no off-CPU stack of this task ended in this interval', kind: 'dim' });
    return out;
  }
  for (const r of mine) {
    if (out.length >= height) break;
    const by = r.preempted ? `, preempted ${fmtCount(r.preempted)}× by ${r.preempted_by ?? '?'}` : '';
    out.push({
      text: `${fmtUs(r.total_us)} in ${fmtCount(r.count)} (max ${fmtUs(r.max_us)})${by}${r.truncated ? ', truncated' : ''}`.slice(0, width),
      kind: 'highlight',
    });
    // The first stack gets the room it needs, the others a few frames each.
    const room = Math.max(1, Math.min(out.length === 2 ? height - out.length - 1 : 4, height - out.length));
    out.push(...frameLines(r, width, room));
  }
  return out.slice(0, height);
}

interface Node {
  readonly label: string;
  count: number;
  readonly children: Map<string, Node>;
}

/**
 * The profile pane as a tree (top-down, as perf report's call graph): each process name, then
 * its frames root first, each node with its inclusive share of the samples; children hottest
 * first; indentation stops growing at 24. `rows` lines, `width` columns.
 */
export function profileTree(s: ProfileSample, width: number, rows: number, selected: number, focused: boolean): Line[] {
  const root: Node = { label: '', count: 0, children: new Map() };
  for (const r of s.stacks) {
    let n = root;
    n.count += r.count;
    for (const label of [r.comm, ...r.frames.map(frameLabel)]) {
      let c = n.children.get(label);
      if (!c) n.children.set(label, (c = { label, count: 0, children: new Map() }));
      c.count += r.count;
      n = c;
    }
  }
  const out: Line[] = [];
  const head = `${fmtCount(s.samples)} samples, ${s.hz} Hz, CPU ${s.cpus.join(',') || '-'}: a tree, root first (t: one path per line)`;
  out.push({ text: head.slice(0, width), kind: 'dim' });
  const walk = (n: Node, depth: number) => {
    for (const c of [...n.children.values()].sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1))) {
      if (out.length >= rows) return;
      const indent = ' '.repeat(Math.min(depth, 24));
      const lead = `${pct(c.count, s.samples)} ${indent}`;
      out.push({ text: lead + fitLeaf(c.label, width - lead.length), kind: focused && out.length - 1 === selected ? 'highlight' : 'text' });
      walk(c, depth + 1);
    }
  };
  walk(root, 0);
  if (s.stacks.length === 0) out.push({ text: 'no samples in this interval', kind: 'dim' });
  return out.slice(0, rows);
}
