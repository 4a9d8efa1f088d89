// The open feed's view (see ViewSpec, feedView). Its data is src/probes/open-spec.ts.
import type { OpenEvent } from '../probes/open-spec.js';
import { feedView } from './feed.js';

export const openView = feedView<OpenEvent>({
  name: 'open',
  title: 'open',
  key: '4',
  grid: { column: 1, row: 1, weight: 2.5 },
  brief: (e) => e.path + (e.errno_name ? ` ${e.errno_name}` : ''),
});
