// The exec feed's view (see ViewSpec, feedView). Its data is src/probes/exec-spec.ts.
import type { ExecEvent } from '../probes/exec-spec.js';
import { feedView } from './feed.js';

export const execView = feedView<ExecEvent>({
  name: 'exec',
  title: 'exec',
  key: '3',
  grid: { column: 0, row: 2, weight: 3 },
  brief: (e) => (e.argv.length ? e.argv.join(' ') : e.filename) + (e.ret === 0 ? '' : ` ${e.ret_name ?? e.ret}`),
});
