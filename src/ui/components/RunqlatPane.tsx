// Run-queue latency: the log2 histogram of the pinned CPU (or all CPUs), with count, p50, p99
// and the highest non-empty bucket, and the p99 of the last intervals.
import type React from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { HBars } from './HBars.js';
import { sparkline } from './Sparkline.js';
import { FittedRow } from './FittedRow.js';
import { useTheme } from '../hooks/use-theme.js';
import { bucketLabel } from '../../model/format.js';
import { histRange } from '../../model/hist.js';
import { histStats, shownSlots, statsText } from '../../views/runqlat.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame } from './PaneFrame.js';
import { costInfo } from '../lines/cost.js';

export function RunqlatPane({ spec, width, height }: PaneProps): React.JSX.Element {
  const data = useAppStore((s) => s.shown?.data.runqlat ?? null);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const health = useAppStore((s) => s.health.runqlat);
  const focused = useAppStore((s) => s.focus === 'runqlat');
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const trend = useAppStore((s) => s.shownTrend ?? s.trend);
  const c = useTheme();
  const info = costInfo(health, interval);
  const title = `${spec.title} ${pinned === null ? '(all CPUs)' : `(CPU ${pinned})`}`;
  const frame = { title, info, toggleKey: spec.key ?? undefined, width, height, focused, health };
  if (health.state !== 'running' || !data) {
    return (
      <PaneFrame {...frame}>
        <Text dimColor>{health.state === 'running' ? 'waiting for the first interval…' : ''}</Text>
      </PaneFrame>
    );
  }
  const slots = shownSlots(data, pinned);
  const range = histRange(slots);
  const rowsAvail = Math.max(1, height - 4);
  let rows: { label: string; value: number }[] = [];
  if (range) {
    // Show the non-empty range; if it does not fit, keep the top buckets (the tail matters most).
    const from = Math.max(range.lo, range.hi - rowsAvail + 1);
    for (let k = from; k <= range.hi; k++) rows.push({ label: bucketLabel(k), value: slots[k] });
  }
  rows = rows.slice(-rowsAvail);
  const t = statsText(histStats(slots));
  const stats = `n=${t.n} p50=${t.p50} p99=${t.p99} max≤${t.max}`;
  // The p99 of the last intervals, one cell each, where the line has room (at least 8 cells).
  const key = pinned === null ? 'all' : String(pinned);
  const trendW = width - 2 - stats.length - '  p99 trend '.length;
  const p99s = trendW >= 8 ? trend.slice(-trendW).map((p) => p.runqlat?.[key] ?? null) : [];
  return (
    <PaneFrame {...frame}>
      <FittedRow
        width={width - 2}
        segments={[
          { text: `n=${t.n} p50=` },
          { text: t.p50, bold: true },
          { text: ' p99=' },
          { text: t.p99, bold: true },
          { text: ` max≤${t.max}` },
          ...(p99s.length
            ? [
                { text: '  p99 trend ', dimColor: true },
                { text: sparkline(p99s, trendW), dimColor: true, color: c('cyan') },
              ]
            : []),
        ]}
      />
      {rows.length ? <HBars rows={rows} width={width - 2} /> : <Text dimColor>no task waited for a CPU</Text>}
    </PaneFrame>
  );
}
