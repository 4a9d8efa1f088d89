// The open feed, one line per event like opensnoop. Pure.
import { safe } from '../safe.js';
import { fmtClock, lpad, pad, type FeedLines } from './feed-lines.js';
import type { OpenEvent } from '../../probes/open-spec.js';

/**
 * One open event. A path longer than the line's `width` keeps its end (`…/dir/file`), as the
 * file name is what tells opens apart; the other feeds are cut at the right by the pane.
 */
export function openLine(e: OpenEvent, width = Infinity): string {
  const fd = e.fd === null ? '-1' : String(e.fd);
  const err = e.errno === null || e.errno === 0 ? '' : safe(e.errno_name ?? String(e.errno));
  const head = `${fmtClock(e.ts)} ${pad(safe(e.comm), 16)} ${lpad(e.pid, 7)} ${lpad(fd, 4)} ${pad(err, 7)} `;
  const path = [...safe(e.path)];
  const room = width - head.length;
  return head + (path.length > room && room > 1 ? '…' + path.slice(path.length - room + 1).join('') : path.join(''));
}

export const OPEN_LINES: FeedLines<OpenEvent> = {
  header: `${pad('TIME', 8)} ${pad('COMM', 16)} ${lpad('PID', 7)} ${lpad('FD', 4)} ${pad('ERR', 7)} PATH`,
  line: openLine,
};
