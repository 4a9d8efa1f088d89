// Every probe's state, BPF cost (ns per event, events per second) and lost events, as detailed
// as the width allows; the focused pane shows the reason of a probe that is not running.
import React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { statusSegments, STATUS_HINT, STATUS_SEPARATOR } from '../model/status.js';
import { useTheme } from '../hooks/use-theme.js';

const STATE_COLOR = { running: 'green', starting: 'cyan', off: 'gray', unavailable: 'yellow', failed: 'red' } as const;

export function StatusBar({ width }: { readonly width: number }): React.JSX.Element {
  const cat = useAppStore((s) => s.catalogue);
  const health = useAppStore((s) => s.health);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const intervalS = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const c = useTheme();
  const segs = statusSegments(cat, health, { pinned, intervalS, width });
  return (
    <Box width={width}>
      <Text wrap="truncate">
        {segs.map((s, i) => (
          <Text key={s.probe} color={c(STATE_COLOR[s.state])}>
            {i > 0 ? STATUS_SEPARATOR : ''}
            {s.text}
          </Text>
        ))}
        <Text dimColor>{STATUS_HINT}</Text>
      </Text>
    </Box>
  );
}
