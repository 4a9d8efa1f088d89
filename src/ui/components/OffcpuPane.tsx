// Off-CPU maxima: who was kicked off the pinned CPU (or each CPU) for how long, and by whom.
import type React from 'react';
import { useMemo, useRef } from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { offcpuTable } from '../lines/offcpu-table.js';
import { costInfo } from '../lines/cost.js';
import { useTheme } from '../hooks/use-theme.js';
import { offStackLines } from '../lines/stack-lines.js';
import type { OffStackRow } from '../../probes/offcpu-spec.js';
import { offcpuRowId, offcpuRowOrder } from '../../views/offcpu.js';
import { sortOf } from '../../store/store.js';

export function OffcpuPane({ spec, width, height }: PaneProps): React.JSX.Element {
  const data = useAppStore((s) => s.shown?.data.offcpu ?? null);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const showIdle = useAppStore((s) => s.showIdle);
  const health = useAppStore((s) => s.health.offcpu);
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const focused = useAppStore((s) => s.focus === 'offcpu');
  const rawCursor = useAppStore((s) => s.cursor.offcpu ?? 0);
  const detail = useAppStore((s) => (s.detail?.pane === 'offcpu' ? s.detail.row : null));
  const sort = useAppStore((s) => sortOf(s, 'offcpu'));
  // The selected row, as the store's cursor picks it (cursorOf over the spec's rowIds), computed
  // once per interval rather than on every store update.
  const ids = useMemo(() => (data ? offcpuRowOrder(data, pinned, showIdle, sort).map(offcpuRowId) : []), [data, pinned, showIdle, sort]);
  const selected = focused && ids.length ? ids[Math.min(rawCursor, ids.length - 1)] : undefined;
  const c = useTheme();
  // The opened task as last seen: its name, and its stacks of the last interval that had some
  // (a task that sleeps long comes back in few intervals).
  const seen = useRef<{ id: string; comm: string; stacks: OffStackRow[] | null; at: string | null }>({ id: '', comm: '?', stacks: null, at: null });
  const title = `${spec.title} ${pinned === null ? '(all CPUs)' : `(CPU ${pinned})`}${showIdle ? ' +idle' : ''}`;
  const frame = { title, width, height, focused, health, toggleKey: spec.key ?? undefined, info: costInfo(health, interval) };
  if (health.state !== 'running' || !data) {
    return (
      <PaneFrame {...frame}>
        <Text dimColor>waiting for the first interval…</Text>
      </PaneFrame>
    );
  }
  const body = bodyRows(height);
  if (detail !== null) {
    const [cpu, pid] = detail.split(':').map(Number);
    if (seen.current.id !== detail) seen.current = { id: detail, comm: '?', stacks: null, at: null };
    const row = [...data.rows, ...data.idle].find((r) => r.cpu === cpu && r.pid === pid);
    if (row) seen.current.comm = row.comm;
    const mine = data.stacks ? data.stacks.rows.filter((r) => r.pid === pid) : null;
    if (mine?.length) seen.current = { ...seen.current, stacks: mine, at: null };
    else if (seen.current.stacks && seen.current.at === null) seen.current = { ...seen.current, at: 'an earlier interval' };
    const shownRows = mine?.length ? mine : (seen.current.stacks ?? (data.stacks ? [] : null));
    const lines = offStackLines(shownRows, pid, seen.current.comm, width - 2, body, data.stacks?.error);
    if (!mine?.length && seen.current.stacks) lines.splice(1, 0, { text: `(none ended in this interval: the stacks of ${seen.current.at})`, kind: 'dim' });
    return (
      <PaneFrame {...frame}>
        <TextLines width={width - 2} lines={lines} />
      </PaneFrame>
    );
  }
  const overflow = data.overflow > 0;
  const t = offcpuTable(data, { pinned, showIdle, width: width - 2, height: Math.max(0, body - 1 - (overflow ? 1 : 0)), selected, sort });
  return (
    <PaneFrame {...frame}>
      {overflow ? (
        <Text color={c('red')} wrap="truncate">
          map overflow: {data.overflow} task returns not counted this interval
        </Text>
      ) : null}
      <TextLines
        width={width - 2}
        lines={[
          { text: t.header, kind: 'heading' },
          ...t.rows.map((text, i) => ({ text, kind: i === t.selectedRow ? ('highlight' as const) : ('text' as const) })),
        ]}
      />
      {t.total === 0 ? <Text dimColor>no task went off-CPU in this interval</Text> : null}
    </PaneFrame>
  );
}
