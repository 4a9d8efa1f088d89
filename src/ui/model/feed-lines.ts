// One line per feed event, like execsnoop / opensnoop / tcpconnect, and the view of a feed
// (filtered, newest at the bottom, fitting the height). Pure; every untrusted field goes
// through safe().
import { safe } from '../safe.js';
import type { FeedName } from '../../store/store.js';
import type { ExecEvent } from '../../probes/exec.js';
import type { OpenEvent } from '../../probes/open.js';
import type { TcpEvent } from '../../probes/tcp.js';

// The events exactly as the probes decode them (types only: nothing of the probes runs here).
export type ExecEventView = ExecEvent;
export type OpenEventView = OpenEvent;
export type TcpEventView = TcpEvent;

/** Local wall-clock time HH:MM:SS of an epoch-ms timestamp. */
export function fmtClock(ts: number): string {
  if (!Number.isFinite(ts)) return '--:--:--';
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const pad = (s: string | number, w: number) => String(s).padEnd(w);
const lpad = (s: string | number, w: number) => String(s).padStart(w);

export const FEED_HEADERS: Readonly<Record<FeedName, string>> = {
  exec: `${pad('TIME', 8)} ${pad('COMM', 16)} ${lpad('PID', 7)} ${lpad('PPID', 7)} ${lpad('RET', 6)} ARGS`,
  open: `${pad('TIME', 8)} ${pad('COMM', 16)} ${lpad('PID', 7)} ${lpad('FD', 4)} ${pad('ERR', 7)} PATH`,
  tcp: `${pad('TIME', 8)} ${pad('COMM', 16)} ${lpad('PID', 7)} ${pad('KIND', 3)} ${pad('SADDR:SPORT', 21)} DADDR:DPORT`,
};

function argvText(e: ExecEventView): string {
  const joined = e.argv.map(safe).join(' ');
  const args = joined.trim() !== '' ? joined : safe(e.filename);
  return e.argv_truncated ? `${args} …` : args;
}

export function execLine(e: ExecEventView): string {
  const ret = e.ret === 0 ? '0' : safe(e.ret_name ?? String(e.ret));
  return `${fmtClock(e.ts)} ${pad(safe(e.comm), 16)} ${lpad(e.pid, 7)} ${lpad(e.ppid, 7)} ${lpad(ret, 6)} ${argvText(e)}`;
}

/**
 * One open event. A path longer than the line's `width` keeps its end (`…/dir/file`), as the
 * file name is what tells opens apart; the other feeds are cut at the right by the pane.
 */
export function openLine(e: OpenEventView, width = Infinity): string {
  const fd = e.fd === null ? '-1' : String(e.fd);
  const err = e.errno === null || e.errno === 0 ? '' : safe(e.errno_name ?? String(e.errno));
  const head = `${fmtClock(e.ts)} ${pad(safe(e.comm), 16)} ${lpad(e.pid, 7)} ${lpad(fd, 4)} ${pad(err, 7)} `;
  const path = [...safe(e.path)];
  const room = width - head.length;
  return head + (path.length > room && room > 1 ? '…' + path.slice(path.length - room + 1).join('') : path.join(''));
}

function hostPort(family: number, addr: string, port: number): string {
  const a = safe(addr);
  return family === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

export function tcpLine(e: TcpEventView): string {
  const kind = e.kind === 'accept' ? 'acc' : 'con';
  return `${fmtClock(e.ts)} ${pad(safe(e.comm), 16)} ${lpad(e.pid, 7)} ${kind} ${pad(hostPort(e.family, e.saddr, e.sport), 21)} ${hostPort(e.family, e.daddr, e.dport)}`;
}

export const FEED_LINE: Readonly<Record<FeedName, (e: never, width?: number) => string>> = {
  exec: execLine as (e: never) => string,
  open: openLine as (e: never, width?: number) => string,
  tcp: tcpLine as (e: never) => string,
};

export interface FeedView {
  /** Newest at the bottom, at most `height`. */
  readonly lines: string[];
  /** Events that match the filter (of those kept for the screen). */
  readonly matching: number;
}

/**
 * The newest `height` lines of a feed that contain `filter` (case-insensitive), newest last,
 * laid out for `width` columns. The filter matches the whole line, not just what fits.
 */
export function feedView(name: FeedName, events: readonly unknown[], filter: string, height: number, width = Infinity): FeedView {
  const full = FEED_LINE[name] as (e: unknown, width?: number) => string;
  const fmt = (e: unknown) => full(e, width);
  const f = filter.toLowerCase();
  const out: string[] = [];
  let matching = 0;
  // Walk from the newest: stop formatting once the screen is full (still count matches).
  for (let i = events.length - 1; i >= 0; i--) {
    const line = fmt(events[i]);
    if (f && !line.toLowerCase().includes(f) && !full(events[i]).toLowerCase().includes(f)) continue;
    matching++;
    if (out.length < height) out.push(line);
    else if (!f) {
      matching += i; // no filter: every older event matches too
      break;
    }
  }
  return { lines: out.reverse(), matching };
}
