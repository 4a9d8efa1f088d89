// tcp feed: active connects and accepted connections, IPv4 and IPv6 (bpf/tcp.bpf.c), each with
// the pid/tid/comm of the task that called connect() or accept(). saddr/sport are this host's
// end of the connection, daddr/dport the peer's, for both kinds. A connect is reported when
// connect() returns 0, or -EINPROGRESS for a non-blocking one (the SYN is sent; the outcome
// is not followed); see the header of bpf/tcp.bpf.c for what is and is not covered.
import { FeedProbe } from './feed.js';
import { feedMaxFlag } from './feed-spec.js';
import type { TcpEvent, TcpKind } from './tcp-spec.js';
import { cString } from './strings.js';
import { cgroupRef } from './cgroup/registry.js';
import { u64n } from './bpf-probe.js';

/** Mirrors bpf/tcp.h. */
export const TCP_COMM_LEN = 16;
export const TCP_KIND_CONNECT = 1;
export const TCP_KIND_ACCEPT = 2;
const OFF = { ts_ns: 0, pid: 8, tid: 12, uid: 16, kind: 20, family: 24, sport: 28, dport: 32, pad: 36, cgroup: 40, saddr: 48, daddr: 64, comm: 80 } as const;
export const TCP_EVENT_SIZE = OFF.comm + TCP_COMM_LEN;
/** struct tcp_event as decoded here, by C member name (test/probes/layout.test.ts checks it
 * against the object's BTF). `pad` is listed so the check knows it; it is never read. */
export const TCP_LAYOUT = { struct: 'tcp_event', size: TCP_EVENT_SIZE, fields: OFF } as const;

/** IPv4 text from 4 bytes in network order. */
export function ipv4Text(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/**
 * IPv6 text from 16 bytes in network order, in the RFC 5952 form (lower-case hex, no leading
 * zeros, the longest run of two or more zero groups as "::", the first such run on a tie),
 * with IPv4-mapped addresses as ::ffff:a.b.c.d.
 */
export function ipv6Text(b: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${ipv4Text(b, off + 12)}`;
  }
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function decodeTcp(rec: Buffer, wallMs: (b: Buffer, off: number) => number): TcpEvent | null {
  if (rec.length < TCP_EVENT_SIZE) return null;
  const k = rec.readUInt32LE(OFF.kind);
  const kind: TcpKind | null = k === TCP_KIND_CONNECT ? 'connect' : k === TCP_KIND_ACCEPT ? 'accept' : null;
  const family = rec.readUInt32LE(OFF.family);
  if (!kind || (family !== 4 && family !== 6)) return null;
  const addr = family === 4 ? ipv4Text : ipv6Text;
  // Field order is the --json order (docs/json.md, "Feeds").
  return {
    ts: wallMs(rec, OFF.ts_ns),
    kind,
    pid: rec.readUInt32LE(OFF.pid),
    tid: rec.readUInt32LE(OFF.tid),
    uid: rec.readUInt32LE(OFF.uid),
    comm: cString(rec, OFF.comm, TCP_COMM_LEN),
    family,
    saddr: addr(rec, OFF.saddr),
    sport: rec.readUInt32LE(OFF.sport),
    daddr: addr(rec, OFF.daddr),
    dport: rec.readUInt32LE(OFF.dport),
    cgroup: cgroupRef(u64n(rec, OFF.cgroup)),
  };
}

export class TcpProbe extends FeedProbe<TcpEvent> {
  readonly name = 'tcp';
  protected readonly commField = { offset: OFF.comm, len: TCP_COMM_LEN };
  protected readonly maxFlag = feedMaxFlag('tcp');
  protected decode(rec: Buffer): TcpEvent | null {
    return decodeTcp(rec, (b, off) => this.clock.wallMs(b, off));
  }
}
