// The host at a glance: one heading per probe of the catalogue (state and cost) and the probe's
// own lines (src/ui/lines/overview.ts). A new probe appears here through its view alone.
import type React from 'react';
import { useAppStore } from '../store-context.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { overviewLines } from '../lines/overview.js';

export interface OverviewPaneProps {
  readonly width: number;
  readonly height: number;
}

export function OverviewPane({ width, height }: OverviewPaneProps): React.JSX.Element {
  const cat = useAppStore((s) => s.catalogue);
  const shown = useAppStore((s) => s.shown);
  const health = useAppStore((s) => s.health);
  const pinned = useAppStore((s) => s.pinnedCpu);
  const focused = useAppStore((s) => s.focus === 'overview');
  const intervalS = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const title = `Overview ${pinned === null ? '(all CPUs)' : `(CPU ${pinned})`}`;
  const lines = overviewLines(cat, shown, health, { pinned, intervalS, width: width - 2 }, bodyRows(height));
  return (
    <PaneFrame title={title} width={width} height={height} focused={focused}>
      <TextLines width={width - 2} lines={lines} />
    </PaneFrame>
  );
}
