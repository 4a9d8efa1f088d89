// The open feed's pane: the feed pane with its lines (src/ui/lines/open-lines.ts).
import type React from 'react';
import type { PaneProps } from '../pane.js';
import { FeedPane } from './FeedPane.js';
import { OPEN_LINES } from '../lines/open-lines.js';

export function OpenPane(props: PaneProps): React.JSX.Element {
  return <FeedPane {...props} name="open" lines={OPEN_LINES} />;
}
