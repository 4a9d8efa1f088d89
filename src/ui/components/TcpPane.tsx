// The tcp feed's pane: the feed pane with its lines (src/ui/lines/tcp-lines.ts).
import type React from 'react';
import type { PaneProps } from '../pane.js';
import { FeedPane } from './FeedPane.js';
import { TCP_LINES } from '../lines/tcp-lines.js';

export function TcpPane(props: PaneProps): React.JSX.Element {
  return <FeedPane {...props} name="tcp" lines={TCP_LINES} />;
}
