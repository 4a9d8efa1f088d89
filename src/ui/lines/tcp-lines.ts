// The tcp feed, one line per connect or accept like tcpconnect. Pure.
import { safe } from '../safe.js';
import { fmtClock, lpad, pad, type FeedLines } from './feed-lines.js';
import type { TcpEvent } from '../../probes/tcp-spec.js';

function hostPort(family: number, addr: string, port: number): string {
  const a = safe(addr);
  return family === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

export function tcpLine(e: TcpEvent): string {
  const kind = e.kind === 'accept' ? 'acc' : 'con';
  return `${fmtClock(e.ts)} ${pad(safe(e.comm), 16)} ${lpad(e.pid, 7)} ${kind} ${pad(hostPort(e.family, e.saddr, e.sport), 21)} ${hostPort(e.family, e.daddr, e.dport)}`;
}

export const TCP_LINES: FeedLines<TcpEvent> = {
  header: `${pad('TIME', 8)} ${pad('COMM', 16)} ${lpad('PID', 7)} ${pad('KIND', 3)} ${pad('SADDR:SPORT', 21)} DADDR:DPORT`,
  line: tcpLine,
};
