// Off-CPU maxima: who was kicked off the pinned CPU (or each CPU) for how long, and by whom.
import React from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { offcpuTable } from '../model/offcpu-table.js';
import { costInfo } from '../model/cost.js';
import { useTheme } from '../hooks/use-theme.js';
import { cursorOf, rowValues } from '../../store/store.js';
import { offStackLines } from '../model/stack-lines.js';

export function OffcpuPane({ spec, width, height }: PaneProps): React.JSX.Element {
  const data = useAppStore((s) => s.shown?.data.offcpu ?? null);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const showIdle = useAppStore((s) => s.showIdle);
  const health = useAppStore((s) => s.health.offcpu);
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const focused = useAppStore((s) => s.focus === 'offcpu');
  const selected = useAppStore((s) => (s.focus === 'offcpu' ? rowValues(s, 'offcpu')[cursorOf(s, 'offcpu')] : undefined));
  const detail = useAppStore((s) => (s.detail?.pane === 'offcpu' ? s.detail.row : null));
  const c = useTheme();
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
    const row = [...data.rows, ...data.idle].find((r) => r.cpu === cpu && r.pid === pid);
    const lines = offStackLines(data.stacks?.rows ?? null, pid, row?.comm ?? '?', width - 2, body, data.stacks?.error);
    return (
      <PaneFrame {...frame}>
        <TextLines lines={lines} />
      </PaneFrame>
    );
  }
  const overflow = data.overflow > 0;
  const t = offcpuTable(data, { pinned, showIdle, width: width - 2, height: Math.max(0, body - 1 - (overflow ? 1 : 0)), selected });
  return (
    <PaneFrame {...frame}>
      {overflow ? (
        <Text color={c('red')} wrap="truncate">
          map overflow: {data.overflow} task returns not counted this interval
        </Text>
      ) : null}
      <TextLines lines={[{ text: t.header, kind: 'heading' }, ...t.rows.map((text, i) => ({ text, kind: i === t.selectedRow ? ('highlight' as const) : ('text' as const) }))]} />
      {t.total === 0 ? <Text dimColor>no task went off-CPU in this interval</Text> : null}
    </PaneFrame>
  );
}
