// The print feed's view (see ViewSpec, feedView). Its data is src/probes/print-spec.ts.
import { printValueText, type PrintEvent } from '../probes/print-spec.js';
import { feedView } from './feed.js';

export const printView = feedView<PrintEvent>({
  name: 'print',
  title: 'print',
  key: '6',
  grid: { column: 0, row: 4, weight: 2 },
  brief: (e) => {
    const v = printValueText(e);
    return v === '' ? e.event : `${e.event} ${v}`;
  },
});
