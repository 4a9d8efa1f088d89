// The pane for a layout rectangle.
import React from 'react';
import type { Rect } from '../layout.js';
import { OffcpuPane } from './OffcpuPane.js';
import { RunqlatPane } from './RunqlatPane.js';
import { FeedPane } from './FeedPane.js';
import { CountersPane } from './CountersPane.js';

export function PaneView({ rect }: { readonly rect: Rect }): React.JSX.Element {
  const { width, height } = rect;
  switch (rect.pane) {
    case 'offcpu':
      return <OffcpuPane width={width} height={height} />;
    case 'runqlat':
      return <RunqlatPane width={width} height={height} />;
    case 'counters':
      return <CountersPane width={width} height={height} />;
    default:
      return <FeedPane name={rect.pane} width={width} height={height} />;
  }
}
