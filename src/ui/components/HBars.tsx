// Horizontal bars with eighth-block precision, for log2 histograms: one row per bucket.
// (ink-table and blessed-contrib do not work with Ink 6; see docs/architecture.md,
// "Written by hand, and why".)
import type React from 'react';
import { Box } from 'ink';
import { useTheme } from '../hooks/use-theme.js';
import { FittedRow } from './FittedRow.js';
import { safe } from '../safe.js';

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `value / max` of `width` cells, using eighth blocks for the last cell. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0 || width <= 0) return '';
  const cells = Math.min(1, value / max) * width;
  const full = Math.floor(cells);
  const rest = Math.round((cells - full) * 8);
  let s = '█'.repeat(full);
  if (rest === 8) s += '█';
  else if (rest > 0) s += EIGHTHS[rest];
  // A non-zero value always shows at least a sliver.
  return s.length === 0 ? '▏' : s;
}

export interface HBarRow {
  readonly label: string;
  readonly value: number;
}

export interface HBarsProps {
  readonly rows: readonly HBarRow[];
  readonly width: number;
  readonly color?: string;
}

export function HBars({ rows, width, color = 'cyan' }: HBarsProps): React.JSX.Element {
  const c = useTheme();
  // Labels and counts are shown text: escaped (a replayed file may hold anything in them), and a
  // count that is not a finite number draws no bar.
  const shown = rows.map((r) => ({ label: safe(r.label), count: safe(String(r.value)), value: Number.isFinite(r.value) ? r.value : 0 }));
  const max = shown.reduce((m, r) => Math.max(m, r.value), 0);
  const labelW = shown.reduce((m, r) => Math.max(m, r.label.length), 0);
  const countW = shown.reduce((m, r) => Math.max(m, r.count.length), 1);
  const barW = Math.max(1, width - labelW - countW - 3);
  return (
    <Box flexDirection="column">
      {shown.map((r) => (
        <FittedRow
          key={r.label}
          width={width}
          segments={[{ text: `${r.label.padStart(labelW)} ${r.count.padStart(countW)} ` }, { text: bar(r.value, max, barW), color: c(color) }]}
        />
      ))}
    </Box>
  );
}
