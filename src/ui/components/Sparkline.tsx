// A one-line trend of the last values, one cell per value, with eight block heights
// (▁▂▃▄▅▆▇█). Own component: ink-table and blessed-contrib do not work with Ink 6
// (see docs/architecture.md, "Written by hand, and why").
import type React from 'react';
import { Text } from 'ink';
import { useTheme } from '../hooks/use-theme.js';

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * The newest `width` values as block characters, scaled to `max` (default: the largest value
 * shown). A missing value (null: the probe did not report that interval) is a space; zero is the
 * lowest block, so "nothing happened" and "no data" look different.
 */
export function sparkline(values: readonly (number | null)[], width: number, max?: number): string {
  if (width <= 0) return '';
  const shown = values.slice(-width);
  const top = max ?? shown.reduce<number>((m, v) => (v !== null && v > m ? v : m), 0);
  return shown
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (top <= 0 || v <= 0) return BLOCKS[0];
      const i = Math.ceil((Math.min(v, top) / top) * BLOCKS.length) - 1;
      return BLOCKS[Math.max(0, Math.min(BLOCKS.length - 1, i))];
    })
    .join('');
}

export interface SparklineProps {
  readonly values: readonly (number | null)[];
  readonly width: number;
  readonly max?: number;
  readonly color?: string;
}

export function Sparkline({ values, width, max, color = 'cyan' }: SparklineProps): React.JSX.Element {
  const c = useTheme();
  return <Text color={c(color)}>{sparkline(values, width, max)}</Text>;
}
