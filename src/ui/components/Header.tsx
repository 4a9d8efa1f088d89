// Host, kernel, uptime, load, CPUs, pinned CPU, interval, live or paused.
import React from 'react';
import { Box, Text } from 'ink';
import os from 'node:os';
import { useAppStore } from '../store-context.js';
import { formatCpuList } from '../../args.js';

function fmtUptime(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : `${h}h ${String(m).padStart(2, '0')}m`;
}

export function Header({ width }: { readonly width: number }): React.JSX.Element {
  const host = useAppStore((s) => s.host);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const interval = useAppStore((s) => s.intervalS);
  const paused = useAppStore((s) => s.paused);
  useAppStore((s) => s.intervals); // re-render each tick for uptime/load
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return (
    <Box width={width}>
      <Text wrap="truncate">
        <Text bold color="cyan">perfscope</Text> {host.hostname} {host.kernel} up {fmtUptime(os.uptime())} load {load} cpus{' '}
        {formatCpuList(host.cpus)} │ pin <Text bold>{pinned === null ? 'all' : `CPU ${pinned}`}</Text> │ {interval}s │{' '}
        {paused ? <Text color="yellow" bold>PAUSED</Text> : <Text color="green">live</Text>}
      </Text>
    </Box>
  );
}
