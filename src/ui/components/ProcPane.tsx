// The sysstat counters (load, CPUs with the pinned one highlighted, vmstat, mem, disks, net,
// tcp, top processes), fitted to the pane. Re-renders once per tick.
import type React from 'react';
import { useMemo } from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { countersLines } from '../lines/proc-lines.js';
import { sortOf } from '../../store/store.js';

export function ProcPane({ spec, width, height }: PaneProps): React.JSX.Element {
  const data = useAppStore((s) => s.shown?.data.proc ?? null);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const health = useAppStore((s) => s.health.proc);
  const focused = useAppStore((s) => s.focus === 'proc');
  const sort = useAppStore((s) => sortOf(s, 'proc'));
  const sorter = spec.sortSample;
  const sorted = useMemo(() => (data && sorter && sort ? (sorter(data, sort) as typeof data) : data), [data, sorter, sort]);
  const frame = { title: spec.title, width, height, focused, health };
  if (health.state !== 'running' || !sorted) {
    return (
      <PaneFrame {...frame}>
        <Text dimColor>waiting for the first interval…</Text>
      </PaneFrame>
    );
  }
  return (
    <PaneFrame {...frame}>
      <TextLines width={width - 2} lines={countersLines(sorted, { width: width - 2, height: bodyRows(height), pinned, sort })} />
    </PaneFrame>
  );
}
