// Every probe's state, BPF cost (ns per event, events per second) and dropped events.
import React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { PROBE_NAMES } from '../../probes/types.js';
import { fmtCount } from '../format.js';

const STATE_COLOR = { running: 'green', off: 'gray', unavailable: 'yellow', failed: 'red' } as const;

export function StatusBar({ width }: { readonly width: number }): React.JSX.Element {
  const health = useAppStore((s) => s.health);
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  return (
    <Box width={width}>
      <Text wrap="truncate">
        {PROBE_NAMES.map((n, i) => {
          const h = health[n];
          const c = h.cost;
          const eps = c?.run_cnt !== undefined && interval > 0 ? c.run_cnt / interval : undefined;
          return (
            <Text key={n}>
              {i > 0 ? ' │ ' : ''}
              {n !== 'proc' ? `${i + 1}:` : ''}
              {n} <Text color={STATE_COLOR[h.state]}>{h.state === 'running' ? 'on' : h.state}</Text>
              {c?.ns_per_event != null ? ` ${Math.round(c.ns_per_event)}ns×${fmtCount(eps)}/s` : ''}
              {c?.lost ? <Text color="red"> lost {fmtCount(c.lost)}</Text> : ''}
            </Text>
          );
        })}
        <Text dimColor> │ ? help  q quit</Text>
      </Text>
    </Box>
  );
}
