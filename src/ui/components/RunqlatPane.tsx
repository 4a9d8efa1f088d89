// Run-queue latency: the log2 histogram of the pinned CPU (or all CPUs), with count, p50, p99
// and the highest non-empty bucket.
import React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { HBars } from './HBars.js';
import { Sparkline } from './Sparkline.js';
import { bucketLabel, fmtCount, fmtUs } from '../format.js';
import { histQuantile, type RunqlatSample } from '../../probes/runqlat.js';
import { PaneFrame } from './PaneFrame.js';
import { costInfo } from '../model/cost.js';

export interface RunqlatPaneProps {
  readonly width: number;
  readonly height: number;
}

export function RunqlatPane({ width, height }: RunqlatPaneProps): React.JSX.Element {
  const data = useAppStore((s) => s.shown?.data.runqlat as RunqlatSample | null | undefined);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const health = useAppStore((s) => s.health.runqlat);
  const focused = useAppStore((s) => s.focus === 'runqlat');
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const trend = useAppStore((s) => s.shownTrend ?? s.trend);
  const info = costInfo(health, interval);
  const title = `Run-queue latency ${pinned === null ? '(all CPUs)' : `(CPU ${pinned})`}`;
  if (health.state !== 'running' || !data) {
    return (
      <PaneFrame title={title} info={info} toggleKey="2" width={width} height={height} focused={focused} health={health}>
        <Text dimColor>{health.state === 'running' ? 'waiting for the first interval…' : ''}</Text>
      </PaneFrame>
    );
  }
  const slots = pinned === null ? data.all : (data.cpus[String(pinned)] ?? []);
  const count = slots.reduce((a, b) => a + b, 0);
  let hi = -1;
  let lo = -1;
  slots.forEach((v, i) => {
    if (v > 0) {
      hi = i;
      if (lo < 0) lo = i;
    }
  });
  const p50 = histQuantile(slots, 0.5);
  const p99 = histQuantile(slots, 0.99);
  const rowsAvail = Math.max(1, height - 4);
  let rows: { label: string; value: number }[] = [];
  if (hi >= 0) {
    // Show the non-empty range; if it does not fit, keep the top buckets (the tail matters most).
    const from = Math.max(lo, hi - rowsAvail + 1);
    for (let k = from; k <= hi; k++) rows.push({ label: bucketLabel(k), value: slots[k] });
  }
  rows = rows.slice(-rowsAvail);
  const [nText, p50Text, p99Text, maxText] = [fmtCount(count), fmtUs(p50), fmtUs(p99), hi >= 0 ? fmtUs(2 ** (hi + 1)) : '-'];
  const stats = `n=${nText} p50=${p50Text} p99=${p99Text} max≤${maxText}`;
  // The p99 of the last intervals, one cell each, where the line has room (at least 8 cells).
  const key = pinned === null ? 'all' : String(pinned);
  const trendW = width - 2 - stats.length - '  p99 trend '.length;
  const p99s = trendW >= 8 ? trend.slice(-trendW).map((t) => t.runqP99[key] ?? null) : [];
  return (
    <PaneFrame title={title} info={info} toggleKey="2" width={width} height={height} focused={focused} health={health}>
      <Text wrap="truncate">
        n={nText} p50=<Text bold>{p50Text}</Text> p99=<Text bold>{p99Text}</Text> max≤{maxText}
        {p99s.length ? (
          <Text dimColor>
            {'  p99 trend '}
            <Sparkline values={p99s} width={trendW} />
          </Text>
        ) : null}
      </Text>
      {rows.length ? <HBars rows={rows} width={width - 2} /> : <Text dimColor>no task waited for a CPU</Text>}
    </PaneFrame>
  );
}
