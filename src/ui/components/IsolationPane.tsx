// The isolated CPU: the pinned one, else the first isolated one. Its resident and what kicked it
// off (the intruders, its longest absence), its interrupts and softirqs, the network's backlog,
// and a timeline of the last intervals.
import type React from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { costInfo } from '../lines/cost.js';
import { isolationLines } from '../lines/isolation-lines.js';

export function IsolationPane({ spec, width, height }: PaneProps): React.JSX.Element {
  const data = useAppStore((s) => s.shown?.data.isolation ?? null);
  const health = useAppStore((s) => s.health.isolation);
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const focused = useAppStore((s) => s.focus === 'isolation');
  const trend = useAppStore((s) => s.shownTrend ?? s.trend);
  const iso = data?.cpu !== null && data?.cpu !== undefined && data.isolated.cpus.includes(data.cpu);
  const where = data?.cpu === null || !data ? '' : `: CPU ${data.cpu} (${data.source === 'isolated' ? 'first isolated' : iso ? 'pinned, isolated' : 'pinned'})`;
  const frame = { title: `${spec.title}${where}`, width, height, focused, health, toggleKey: spec.key ?? undefined, info: costInfo(health, interval) };
  if (health.state !== 'running' || !data) {
    return (
      <PaneFrame {...frame}>
        <Text dimColor>waiting for the first interval…</Text>
      </PaneFrame>
    );
  }
  const t = {
    offMaxUs: trend.map((p) => p.isolation?.off_max_us ?? null),
    drops: trend.map((p) => p.isolation?.drops ?? null),
    irqS: trend.map((p) => p.isolation?.irq_s ?? null),
  };
  return (
    <PaneFrame {...frame}>
      <TextLines width={width - 2} lines={isolationLines(data, t, width - 2, bodyRows(height))} />
    </PaneFrame>
  );
}
