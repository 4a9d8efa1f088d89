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
  // As many keys as the box holds (border and title excluded), the last line saying how many
  // more when they do not all fit; the note under them only when there is room.
  const room = Math.max(0, height - 3);
  const cut = help.length > room;
  const shown = cut ? help.slice(0, Math.max(0, room - 1)) : help;
  const note = !cut && room - help.length >= 3;
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="double" overflowY="hidden" paddingX={1}>
      <Text bold>perfscope keys (? or Esc closes this help)</Text>
      {shown.map(([k, what]) => (
        <Text key={k} wrap="truncate">
          <Text bold>{k.padEnd(keyW)}</Text>
          {'  '}
          {what}
        </Text>
      ))}
      {cut ? <Text dimColor wrap="truncate">{`+${help.length - shown.length} more (a taller terminal shows them all)`}</Text> : null}
      {note ? (
        <Text dimColor wrap="wrap">
          Panes show a probe that is off, unavailable or failed with the reason. The status line gives each probe's state, BPF cost (ns per program run, runs
          per second) and lost events.
        </Text>
      ) : null}
    </Box>
  );
}
