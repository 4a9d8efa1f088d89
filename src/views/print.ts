// The print feed's view (see ViewSpec, feedView). Its data is src/probes/print-spec.ts.
import type { PrintEvent } from '../probes/print-spec.js';
import { feedView } from './feed.js';

export const printView = feedView<PrintEvent>({
  name: 'print',
  title: 'print',
  key: '6',
  grid: { column: 0, row: 4, weight: 2 },
  brief: (e) => `${e.event}${e.value === null ? '' : ` ${e.value}`}`,
});
