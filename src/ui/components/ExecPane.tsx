// The exec feed's pane: the feed pane with its lines (src/ui/lines/exec-lines.ts).
import type React from 'react';
import type { PaneProps } from '../pane.js';
import { FeedPane } from './FeedPane.js';
import { EXEC_LINES } from '../lines/exec-lines.js';

export function ExecPane(props: PaneProps): React.JSX.Element {
  return <FeedPane {...props} name="exec" lines={EXEC_LINES} />;
}
