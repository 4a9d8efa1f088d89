// The print feed, one line per hit like BCC's trace: time, comm, pid, tid, the event and its value. Pure.
import { safe } from '../safe.js';
import { fmtClock, lpad, pad, type FeedLines } from './feed-lines.js';
import { printValueText, type PrintEvent } from '../../probes/print-spec.js';

export function printLine(e: PrintEvent): string {
  return `${fmtClock(e.ts)} ${pad(safe(e.comm), 16)} ${lpad(e.pid, 7)} ${lpad(e.tid, 7)} ${safe(e.event)}${printValueText(e) === '' ? '' : ` ${safe(printValueText(e))}`}`;
}

export const PRINT_LINES: FeedLines<PrintEvent> = {
  header: `${pad('TIME', 8)} ${pad('COMM', 16)} ${lpad('PID', 7)} ${lpad('TID', 7)} EVENT VALUE`,
  line: printLine,
};
