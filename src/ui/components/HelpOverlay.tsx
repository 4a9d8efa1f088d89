// The '?' overlay: the keyboard table.
import type React from 'react';
import { Box, Text } from 'ink';
import { keyHelp } from '../keys.js';
import { useAppStore } from '../store-context.js';

export interface HelpOverlayProps {
  readonly width: number;
  readonly height: number;
}

export function HelpOverlay({ width, height }: HelpOverlayProps): React.JSX.Element {
  const help = keyHelp(
    useAppStore((s) => s.catalogue),
    useAppStore((s) => s.replay !== null),
  );
  const keyW = help.reduce((m, [k]) => Math.max(m, k.length), 0);
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="double" overflowY="hidden" paddingX={1}>
      <Text bold>perfscope keys (? or Esc closes this help)</Text>
      {help.map(([k, what]) => (
        <Text key={k} wrap="truncate">
          <Text bold>{k.padEnd(keyW)}</Text>
          {'  '}
          {what}
        </Text>
      ))}
      <Text dimColor wrap="wrap">
        Panes show a probe that is off, unavailable or failed with the reason. The status line gives each probe's state, BPF cost (ns per program run, runs per
        second) and lost events.
      </Text>
    </Box>
  );
}
