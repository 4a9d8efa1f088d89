// A titled, bordered pane that says why its probe is not running when it is not. The focused
// pane is marked by "▶" (legible without colour) and a cyan border.
// Only rows are clipped (overflowY): every <Text> inside is wrapped or truncated to the pane's
// width already, and horizontal clipping makes Ink slice every line of every frame (slice-ansi
// with grapheme segmentation: ~7 % of the screen's render time for nothing).
import type React from 'react';
import { Box } from 'ink';
import type { ProbeHealth } from '../../probes/types.js';
import { useFocusBorder, useTheme } from '../hooks/use-theme.js';
import { safe } from '../safe.js';
import { FittedRow } from './FittedRow.js';
import { shortMessage } from '../lines/lines.js';

export interface PaneFrameProps {
  readonly title: string;
  /** Right-aligned part of the title (cost, counts). */
  readonly info?: string;
  readonly width: number;
  readonly height: number;
  readonly focused?: boolean;
  readonly health?: ProbeHealth;
  /** Key that switches the probe on (e.g. "3"). */
  readonly toggleKey?: string;
  readonly children?: React.ReactNode;
}

/** Lines of body a pane of `height` rows has (border and title excluded). */
export function bodyRows(height: number): number {
  return Math.max(0, height - 3);
}

export function PaneFrame({ title, info, width, height, focused, health, toggleKey, children }: PaneFrameProps): React.JSX.Element {
  const c = useTheme();
  const focusBorder = useFocusBorder();
  const off = health !== undefined && health.state !== 'running';
  const state = off ? ` [${health.state}]` : '';
  const inner = Math.max(0, width - 2);
  const left = `${focused ? '▶ ' : ''}${title}${state}`;
  const right = info && left.length + info.length + 2 <= inner ? info : '';
  const gap = Math.max(1, inner - left.length - right.length);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="round" borderColor={focused && focusBorder ? 'cyan' : undefined} overflowY="hidden">
      {/* Nothing in a pane shrinks (Ink would draw shrunk rows over each other): what does not fit is clipped at the bottom. */}
      <Box flexShrink={0}>
        <FittedRow
          width={inner}
          segments={[
            { text: `${focused ? '▶ ' : ''}${safe(title)}`, bold: true },
            ...(off ? [{ text: state, color: c(health.state === 'off' ? 'gray' : health.state === 'failed' ? 'red' : 'yellow') }] : []),
            ...(right ? [{ text: `${' '.repeat(gap)}${right}`, dimColor: true }] : []),
          ]}
        />
      </Box>
      {off && health.state !== 'off' ? (
        <FittedRow
          width={inner}
          segments={[
            {
              text: shortMessage(`${health.state === 'failed' ? 'failed: ' : 'unavailable: '}${safe(health.reason ?? health.state)}`, inner),
              color: c(health.state === 'failed' ? 'red' : 'yellow'),
            },
          ]}
        />
      ) : null}
      {off && health.state === 'off' ? (
        <FittedRow
          width={inner}
          segments={[{ text: shortMessage(`switched off${toggleKey ? ` (press ${toggleKey} to switch it on)` : ''}`, inner), dimColor: true }]}
        />
      ) : null}
      {off ? null : (
        <Box flexDirection="column" flexShrink={0}>
          {children}
        </Box>
      )}
    </Box>
  );
}
