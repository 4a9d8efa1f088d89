// Every probe's state, BPF cost (ns per event, events per second) and lost events, as detailed
// as the width allows; the focused pane shows the reason of a probe that is not running.
// In its place: the replay's go-to prompt while it is open, or a notice (a bad go-to time, a
// recording that stopped).
import type React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { statusSegments, STATUS_HINT, STATUS_SEPARATOR } from '../lines/status.js';
import { useTheme } from '../hooks/use-theme.js';
import { safe } from '../safe.js';
import { FittedRow } from './FittedRow.js';

const STATE_COLOR = { running: 'green', starting: 'cyan', off: 'gray', unavailable: 'yellow', failed: 'red' } as const;

export function StatusBar({ width }: { readonly width: number }): React.JSX.Element {
  const cat = useAppStore((s) => s.catalogue);
  const health = useAppStore((s) => s.health);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const intervalS = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const prompt = useAppStore((s) => s.replayPrompt);
  const notice = useAppStore((s) => s.notice);
  const c = useTheme();
  if (prompt !== null) {
    return (
      <Box width={width}>
        <Text wrap="truncate">
          <Text bold>go to (HH:MM:SS UTC or ISO 8601, Enter; Esc cancels): </Text>
          {safe(prompt)}
          <Text inverse> </Text>
        </Text>
      </Box>
    );
  }
  if (notice !== null) {
    return (
      <Box width={width}>
        <Text wrap="truncate" color={c('yellow')}>
          {safe(notice)}
        </Text>
      </Box>
    );
  }
  const segs = statusSegments(cat, health, { pinned, intervalS, width });
  return (
    <Box width={width}>
      <FittedRow
        width={width}
        segments={[
          ...segs.map((s, i) => ({ text: `${i > 0 ? STATUS_SEPARATOR : ''}${s.text}`, color: c(STATE_COLOR[s.state]) })),
          { text: STATUS_HINT, dimColor: true },
        ]}
      />
    </Box>
  );
}
