// The pane for a layout rectangle: the overview, or the probe's own pane (PlainPane without one).
import type React from 'react';
import type { Rect } from '../layout.js';
import { useAppStore } from '../store-context.js';
import { findProbe } from '../../catalogue/catalogue.js';
import { OVERVIEW } from '../../store/store.js';
import { usePanes } from '../panes.js';
import { OverviewPane } from './OverviewPane.js';
import { PlainPane } from './PlainPane.js';

export function PaneView({ rect }: { readonly rect: Rect }): React.JSX.Element | null {
  const cat = useAppStore((s) => s.catalogue);
  const panes = usePanes();
  const { width, height } = rect;
  if (rect.pane === OVERVIEW) return <OverviewPane width={width} height={height} />;
  const spec = findProbe(cat, rect.pane);
  if (!spec) return null;
  const Pane = panes.get(spec.name) ?? PlainPane;
  return <Pane spec={spec} width={width} height={height} />;
}
