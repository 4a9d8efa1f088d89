// The exec feed, one line per event like execsnoop. Pure.
import { safe } from '../safe.js';
import { fmtClock, lpad, pad, type FeedLines } from './feed-lines.js';
import type { ExecEvent } from '../../probes/exec-spec.js';

function argvText(e: ExecEvent): string {
  const joined = e.argv.map(safe).join(' ');
  const args = joined.trim() !== '' ? joined : safe(e.filename);
  return e.argv_truncated ? `${args} …` : args;
}

export function execLine(e: ExecEvent): string {
  const ret = e.ret === 0 ? '0' : safe(e.ret_name ?? String(e.ret));
  return `${fmtClock(e.ts)} ${pad(safe(e.comm), 16)} ${lpad(e.pid, 7)} ${lpad(e.ppid, 7)} ${lpad(ret, 6)} ${argvText(e)}`;
}

export const EXEC_LINES: FeedLines<ExecEvent> = {
  header: `${pad('TIME', 8)} ${pad('COMM', 16)} ${lpad('PID', 7)} ${lpad('PPID', 7)} ${lpad('RET', 6)} ARGS`,
  line: execLine,
};
