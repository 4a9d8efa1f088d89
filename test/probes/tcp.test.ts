import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TcpProbe, ipv6Text } from '../../src/probes/tcp.js';
import type { TcpEvent } from '../../src/probes/tcp-spec.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { feedConfig, ownCgroup, PYTHON, retryOnDrops, sleep, waitFor } from './helpers/feeds.js';

/** A python3 child that prints JSON lines; `next()` resolves with the next one. */
class PyChild {
  readonly proc: ChildProcess;
  private lines: string[] = [];
  private waiters: ((l: string) => void)[] = [];
  private exited: Promise<number | null>;
  constructor(code: string, args: string[] = []) {
    this.proc = spawn(PYTHON, ['-c', `import os, sys, json, socket\n${code}`, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      const w = this.waiters.shift();
      if (w) w(l);
      else this.lines.push(l);
    });
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }
  get pid(): number {
    return this.proc.pid!;
  }
  next<T>(ms = 10_000): Promise<T> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(JSON.parse(l) as T);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`python child ${this.pid}: no output in ${ms} ms`)), ms);
      this.waiters.push((line) => {
        clearTimeout(t);
        resolve(JSON.parse(line) as T);
      });
    });
  }
  /** Close stdin (the scripts exit on EOF) and wait for the exit code. */
  end(): Promise<number | null> {
    this.proc.stdin!.end();
    return this.exited;
  }
  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

function out(): string {
  return 'def out(**kw):\n    print(json.dumps(kw), flush=True)\n';
}

// Listens on argv[1] (an address) with port 0, prints the port, accepts one connection and
// prints the peer's port. argv[2] = "accept4" (python's accept) or "accept" (libc accept()).
const LISTENER = `${out()}
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.bind((sys.argv[1], 0))
s.listen(8)
out(pid=os.getpid(), port=s.getsockname()[1])
if sys.argv[2] == "accept":
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.accept(s.fileno(), None, None)  # glibc's accept() is the accept syscall (43)
    c = socket.socket(fileno=fd)
else:
    c, _ = s.accept()  # accept4 (288)
out(peer_port=c.getpeername()[1], local_port=c.getsockname()[1])
sys.stdin.read()
`;

// Connects to argv[1]:argv[2] (blocking), prints its own port, waits for EOF on stdin.
const CONNECTER = `${out()}
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
c = socket.socket(fam, socket.SOCK_STREAM)
c.connect((sys.argv[1], int(sys.argv[2])))
out(pid=os.getpid(), sport=c.getsockname()[1])
sys.stdin.read()
`;

// Non-blocking connect, then polls its outcome with two more connect() calls (they return 0
// and then EISCONN on Linux): still one connection attempt.
const NONBLOCKING = `${out()}
import select, errno
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.setblocking(False)
r1 = c.connect_ex((sys.argv[1], int(sys.argv[2])))
select.select([], [c], [], 5)
r2 = c.connect_ex((sys.argv[1], int(sys.argv[2])))
r3 = c.connect_ex((sys.argv[1], int(sys.argv[2])))
out(pid=os.getpid(), sport=c.getsockname()[1], rets=[r1, r2, r3])
sys.stdin.read()
`;

// A blocking connect to a port nobody listens on: refused, not reported.
const REFUSED = `${out()}
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
out(pid=os.getpid(), ret=c.connect_ex(("127.0.0.1", port)))
`;

describe.skipIf(noBpf)('tcp probe (real BPF)', () => {
  let probe: TcpProbe | null = null;
  const children: PyChild[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill();
    await stopAndExpectUnloaded(probe);
    probe = null;
  });

  function child(code: string, args: string[]): PyChild {
    const c = new PyChild(code, args);
    children.push(c);
    return c;
  }

  interface Pair<C> {
    l: { pid: number; port: number };
    c: C & { pid: number; sport: number };
    a: { peer_port: number; local_port: number };
    got: TcpEvent[];
    codes: (number | null)[];
    dropped: boolean;
  }

  /**
   * One listener child and one connecting child; collects the events of both pids until
   * `enough`, plus 200 ms for stragglers. The test host is shared (other processes may storm
   * connects): an attempt during which the kernel dropped events is run again (retryOnDrops).
   */
  function pair<C>(listen: [string, string], script: string, connectTo: string, enough: (mine: TcpEvent[]) => boolean): Promise<Pair<C>> {
    const drops = () => probe!.kernelDropsSinceStart();
    const attempt = async (): Promise<Pair<C>> => {
      const before = drops();
      const listener = child(LISTENER, listen);
      const l = await listener.next<{ pid: number; port: number }>();
      const connecter = child(script, [connectTo, String(l.port)]);
      const c = await connecter.next<C & { pid: number; sport: number }>();
      const a = await listener.next<{ peer_port: number; local_port: number }>();
      const mine = (all: TcpEvent[]) => all.filter((e) => e.pid === l.pid || e.pid === c.pid);
      const got = mine(
        await waitFor(
          () => probe!.sample(),
          (x) => enough(mine(x)),
        ),
      );
      await sleep(200);
      got.push(...mine(probe!.sample()));
      const codes = [await connecter.end(), await listener.end()];
      return { l, c, a, got, codes, dropped: drops() !== before };
    };
    return retryOnDrops(drops, attempt, (r) => !r.dropped);
  }

  // The per-syscall tracepoints (default) and the tp_btf fallback (no tracefs) report the same.
  for (const [family, addr, acceptCall, hooks, progs] of [
    [4, '127.0.0.1', 'accept4', 'tracepoint', 4], // inet_sock_set_state + sys_exit_connect, _accept, _accept4
    [6, '::1', 'accept', 'tracepoint', 4],
    [4, '127.0.0.1', 'accept4', 'tp_btf', 2], // tp_btf inet_sock_set_state + sys_exit
    [6, '::1', 'accept', 'tp_btf', 2],
  ] as const) {
    it(`IPv${family}: connect and ${acceptCall} events carry the caller's pid and both ends (${hooks})`, async () => {
      probe = new TcpProbe(hooks === 'tp_btf' ? { syscallHooks: 'tp_btf' } : {});
      probe.start(feedConfig());
      expect(probe.syscallHooks?.hooks).toBe(hooks);
      expect(probe.progIds().length).toBe(progs);
      const { l, c, a, got, codes } = await pair<object>([addr, acceptCall], CONNECTER, addr, (x) => x.length >= 2);
      expect(codes).toEqual([0, 0]);
      expect(a).toEqual({ peer_port: c.sport, local_port: l.port });
      expect(l.pid).not.toBe(c.pid);
      const conn = got.filter((e) => e.kind === 'connect');
      const acc = got.filter((e) => e.kind === 'accept');
      expect(conn).toHaveLength(1);
      expect(acc).toHaveLength(1);
      expect(got).toHaveLength(2);
      expect(conn[0]).toEqual({
        ts: conn[0].ts,
        kind: 'connect',
        pid: c.pid,
        tid: c.pid,
        uid: process.getuid!(),
        comm: 'python3',
        family,
        saddr: addr,
        sport: c.sport,
        daddr: addr,
        dport: l.port,
        cgroup: ownCgroup(),
      });
      expect(Object.keys(conn[0])).toEqual(['ts', 'kind', 'pid', 'tid', 'uid', 'comm', 'family', 'saddr', 'sport', 'daddr', 'dport', 'cgroup']);
      expect(acc[0]).toEqual({
        ts: acc[0].ts,
        kind: 'accept',
        pid: l.pid,
        tid: l.pid,
        uid: process.getuid!(),
        comm: 'python3',
        family,
        saddr: addr,
        sport: l.port,
        daddr: addr,
        dport: c.sport,
        cgroup: ownCgroup(),
      });
      expect(Math.abs(conn[0].ts - Date.now())).toBeLessThan(10_000);
      expect(probe.cost().run_cnt).toBeGreaterThan(0);
    });
  }

  it('a dual-stack IPv6 listener reports an IPv4 peer as family 6 with v4-mapped addresses', async () => {
    probe = new TcpProbe();
    probe.start(feedConfig());
    // IPV6_V6ONLY is off by default: the "::" listener takes the IPv4 connection.
    const { l, c, got } = await pair<object>(['::', 'accept4'], CONNECTER, '127.0.0.1', (x) => x.length >= 2);
    // A blocking connect returns once the handshake is done, when the listener may already have
    // accepted on the other CPU: either event can come first, so compare them connect first.
    const byKind = [...got].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'connect' ? -1 : 1));
    expect(byKind.map((e) => [e.kind, e.pid, e.family, e.saddr, e.sport, e.daddr, e.dport])).toEqual([
      ['connect', c.pid, 4, '127.0.0.1', c.sport, '127.0.0.1', l.port],
      ['accept', l.pid, 6, '::ffff:127.0.0.1', l.port, '::ffff:127.0.0.1', c.sport],
    ]);
  });

  it('a non-blocking connect is reported once, when connect() returns EINPROGRESS', async () => {
    probe = new TcpProbe();
    probe.start(feedConfig());
    // The accept comes after the connect: wait for it (pair() then waits for stragglers).
    const { l, c, got } = await pair<{ rets: number[] }>(['127.0.0.1', 'accept4'], NONBLOCKING, '127.0.0.1', (x) => x.some((e) => e.kind === 'accept'));
    expect(c.rets).toEqual([115, 0, 106]); // EINPROGRESS, then connected (0), then EISCONN
    expect(got.map((e) => [e.kind, e.pid, e.sport, e.dport])).toEqual([
      ['connect', c.pid, c.sport, l.port],
      ['accept', l.pid, l.port, c.sport],
    ]);
  });

  it('a refused blocking connect is not reported', async () => {
    probe = new TcpProbe();
    probe.start(feedConfig());
    const r = await child(REFUSED, []).next<{ pid: number; ret: number }>();
    expect(r.ret).toBe(111); // ECONNREFUSED
    await new Promise((res) => setTimeout(res, 300));
    expect(probe.sample().filter((e) => e.pid === r.pid)).toEqual([]);
  });

  it("follows the pid filter in the kernel: only the listener's accept", async () => {
    const listener = child(LISTENER, ['127.0.0.1', 'accept4']);
    const l = await listener.next<{ pid: number; port: number }>();
    probe = new TcpProbe();
    probe.start(feedConfig({ pid: l.pid }));
    const connecter = child(CONNECTER, ['127.0.0.1', String(l.port)]);
    const c = await connecter.next<{ pid: number; sport: number }>();
    await listener.next();
    const got = await waitFor(
      () => probe!.sample(),
      (x) => x.length >= 1,
    );
    await new Promise((res) => setTimeout(res, 200));
    got.push(...probe.sample());
    expect(got.map((e) => [e.kind, e.pid, e.dport])).toEqual([['accept', l.pid, c.sport]]);
    await connecter.end();
    await listener.end();
  });
});

describe('ipv6Text', () => {
  const bytes = (hex: string) => Buffer.from(hex.replace(/ /g, ''), 'hex');
  it('writes the RFC 5952 form', () => {
    expect(ipv6Text(bytes('0000 0000 0000 0000 0000 0000 0000 0001'))).toBe('::1');
    expect(ipv6Text(bytes('0000 0000 0000 0000 0000 0000 0000 0000'))).toBe('::');
    expect(ipv6Text(bytes('2001 0db8 0000 0000 0001 0000 0000 0001'))).toBe('2001:db8::1:0:0:1');
    expect(ipv6Text(bytes('2001 0db8 0000 0001 0001 0001 0001 0001'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(ipv6Text(bytes('fe80 0000 0000 0000 0202 b3ff fe1e 8329'))).toBe('fe80::202:b3ff:fe1e:8329');
    expect(ipv6Text(bytes('2001 0db8 0000 0000 0000 0000 0000 0000'))).toBe('2001:db8::');
    expect(ipv6Text(bytes('0000 0000 0000 0000 0000 ffff 7f00 0001'))).toBe('::ffff:127.0.0.1');
  });
});
