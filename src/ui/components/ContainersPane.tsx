// Containers and services: one row per cgroup whose tasks ran, with its CPU use, its tasks'
// run-queue waits, its worst off-CPU time, throttling, pressure and memory. s: the next sort
// column; Enter: every pane filtered to the selected cgroup in the kernel (again, or G: all).
import type React from 'react';
import { useMemo } from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { costInfo } from '../lines/cost.js';
import { containersTable } from '../lines/containers-table.js';
import { containerRowId, containerRows } from '../../views/containers.js';
import { CONTAINER_SORTS, CONTAINERS_SORT, type ContainersSample } from '../../probes/containers-spec.js';
import { optionShown, sortOf } from '../../store/selectors.js';

export function ContainersPane({ spec, width, height }: PaneProps): React.JSX.Element {
  const raw = useAppStore((s) => s.shown?.data.containers ?? null);
  const sort = useAppStore((s) => sortOf(s, 'containers'));
  const sorter = spec.sortSample;
  const data = useMemo(() => (raw && sorter && sort ? (sorter(raw, sort) as ContainersSample) : raw), [raw, sorter, sort]);
  const health = useAppStore((s) => s.health.containers);
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const focused = useAppStore((s) => s.focus === 'containers');
  const rawCursor = useAppStore((s) => s.cursor.containers ?? 0);
  const filter = useAppStore((s) => s.cgroupFilter);
  const sortIdx = useAppStore((s) => optionShown(s, 'containers', CONTAINERS_SORT.flag));
  const ids = useMemo(() => (data ? containerRows(data).map(containerRowId) : []), [data]);
  const selected = focused && ids.length ? ids[Math.min(rawCursor, ids.length - 1)] : undefined;
  const by = CONTAINER_SORTS[typeof sortIdx === 'number' ? sortIdx : 0] ?? 'p99';
  const title = `${spec.title} (top by ${by})${filter.length ? ` [--cgroup ${filter.join(' ')}]` : ''}`;
  const frame = { title, width, height, focused, health, toggleKey: spec.key ?? undefined, info: costInfo(health, interval) };
  if (health.state !== 'running' || !data) {
    return (
      <PaneFrame {...frame}>
        <Text dimColor>waiting for the first interval…</Text>
      </PaneFrame>
    );
  }
  const body = bodyRows(height);
  const t = containersTable(data, width - 2, Math.max(0, body - 1), selected, sort);
  return (
    <PaneFrame {...frame}>
      <TextLines
        width={width - 2}
        lines={[
          { text: t.header, kind: 'heading' },
          ...t.rows.map((text, i) => ({
            text,
            kind: i === t.selectedRow ? ('highlight' as const) : i >= t.rows.length - (t.hidden > 0 ? 1 : 0) ? ('dim' as const) : ('text' as const),
          })),
        ]}
      />
      {data.rows.length === 0 ? <Text dimColor>no cgroup's task ran in this interval</Text> : null}
    </PaneFrame>
  );
}
