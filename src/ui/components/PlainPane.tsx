// The pane of a probe that has none of its own: its overview lines, in a frame.
import type React from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { fromSpec, sampleOf } from '../../catalogue/catalogue.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { costInfo } from '../lines/cost.js';
import type { ProbeHealth } from '../../probes/types.js';

const OFF: ProbeHealth = { state: 'off' };

export function PlainPane({ spec, width, height }: PaneProps): React.JSX.Element {
  const shown = useAppStore((s) => s.shown);
  const all = useAppStore((s) => s.health);
  const health = (all as Readonly<Record<string, ProbeHealth>>)[spec.name] ?? OFF;
  const pinned = useAppStore((s) => s.pinnedCpu);
  const focused = useAppStore((s) => s.focus === spec.name);
  const intervalS = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const sample = shown ? sampleOf(shown, spec.name) : null;
  return (
    <PaneFrame
      title={spec.title}
      info={costInfo(health, intervalS)}
      toggleKey={spec.key ?? undefined}
      width={width}
      height={height}
      focused={focused}
      health={health}
    >
      {sample === null ? (
        <Text dimColor>waiting for the first interval…</Text>
      ) : (
        <TextLines
          width={width - 2}
          lines={fromSpec(() => spec.overview(sample, { pinned, intervalS, width: width - 2 }), []).map((text) => ({ text, kind: 'text' as const }))}
        />
      )}
    </PaneFrame>
  );
}
