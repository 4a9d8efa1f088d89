// The print feed's pane: the feed pane with its lines (src/ui/lines/print-lines.ts).
import type React from 'react';
import type { PaneProps } from '../pane.js';
import { FeedPane } from './FeedPane.js';
import { PRINT_LINES } from '../lines/print-lines.js';

export function PrintPane(props: PaneProps): React.JSX.Element {
  return <FeedPane {...props} name="print" lines={PRINT_LINES} />;
}
