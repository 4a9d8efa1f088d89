// The pane chooser (v): every pane, shown or hidden, whether or not its probe runs; ↑ ↓ select,
// Enter or space shows / hides, v or Esc closes. The layout preset (p) is named on top.
import type React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { paneOrder } from '../../store/store.js';

export interface PaneMenuProps {
  readonly width: number;
  readonly height: number;
}

export function PaneMenu({ width, height }: PaneMenuProps): React.JSX.Element {
  const cat = useAppStore((s) => s.catalogue);
  const hidden = useAppStore((s) => s.hidden);
  const at = useAppStore((s) => s.paneMenu ?? 0);
  const preset = useAppStore((s) => s.preset);
  const order = paneOrder(cat);
  const title = (p: string) => (p === 'overview' ? 'Overview' : (cat.find((s) => s.name === p)?.title ?? p));
  return (
    <Box flexDirection="column" width={width} height={height} borderStyle="double" overflowY="hidden" paddingX={1}>
      <Text bold wrap="truncate">
        panes (layout: {preset}) — ↑ ↓ select, Enter/space show or hide, p next layout, v or Esc closes
      </Text>
      {order.map((p, i) => (
        <Text key={p} inverse={i === at} wrap="truncate">
          {hidden.includes(p) ? '[ ] ' : '[x] '}
          {p.padEnd(10)} {title(p)}
        </Text>
      ))}
    </Box>
  );
}
