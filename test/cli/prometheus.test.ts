// --listen with the real binary: bad values, a real Prometheus server scraping a headless
// perfscope (and the numbers checked against the --json lines of the same run), hostile clients,
// and the service's SIGTERM. All traffic goes to 127.0.0.1 only; every wait polls a condition
// against a deadline and every loop is bounded, so a busy machine makes the tests slower, not red.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heldProgramIds, noBpf, waitUnloaded } from '../helpers/bpf.js';
import { parseExposition, pick, promtoolCheck } from '../helpers/prom.js';
import { HEADERS_TIMEOUT_MS, IDLE_TIMEOUT_MS, MAX_CONNECTIONS } from '../../src/sinks/prometheus-http.js';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { freePort, sleep, waitFor } from '../helpers/net.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));
const HOST = '127.0.0.1';

/** Poll `f` until it returns something other than undefined/false, or fail at the deadline. */

/** A port nothing listens on right now (bound and released by the kernel's choice). */

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection (no keep-alive pool), bounded in time. */
function request(port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port, path, method: o.method ?? 'GET', agent: false, headers: { Connection: 'close', ...o.headers }, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within 10 s`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

const metrics = async (port: number) => parseExposition((await request(port, '/metrics')).body);
const value = (m: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}) =>
  pick(m, name, labels).reduce((a, s) => a + s.value, 0);

interface Service {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** perfscope --listen 127.0.0.1:PORT --no-screen ARGS, once it says it serves. */
async function startService(args: string[]): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, '--listen', `${HOST}:${port}`, '--no-screen', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await waitFor(
    'perfscope to listen',
    () => (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}: ${err}`)) : err.includes(`serving http://${HOST}:${port}/metrics`)),
    20_000,
  );
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function expectOneLine(r: { status: number | null; stderr: string }, status: number, re: RegExp) {
  expect(r.status, r.stderr).toBe(status);
  expect(r.stderr).toMatch(re);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
}

describe('--listen: bad values', () => {
  it.each([
    [['--listen', '70000', '--no-screen'], /port must be between 1 and 65535/],
    [['--listen', 'abc', '--no-screen'], /port must be a number/],
    [['--listen', 'localhost:9100', '--no-screen'], /not an IPv4 address/],
    [['--listen', '[1.2.3.4]:9100', '--no-screen'], /not an IPv6 address/],
    [['--no-screen'], /--no-screen only goes with --listen/],
    [['--listen', '9100', '--no-screen', '--prom-top', '0'], /--prom-top/],
    [['--prom-node'], /only go with --listen/],
  ])('%j: one line on stderr, exit 2', (args, re) => {
    expectOneLine(run(args as string[]), 2, re);
  });

  it('an address this host does not have, or a port in use: one line, exit 1', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address.
    expectOneLine(run(['--listen', '192.0.2.1:9100', '--no-screen', '--no-bpf']), 1, /cannot listen on 192\.0\.2\.1:9100: address not available/);
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, HOST, () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [BIN, '--listen', `${HOST}:${port}`, '--no-screen', '--no-bpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
        c.on('exit', (code) => {
          clearTimeout(t);
          resolve({ status: code, stderr: err });
        });
      });
      expectOneLine(r, 1, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
    } finally {
      holder.close();
    }
  });
});

describe.skipIf(noBpf)('a real Prometheus scraping perfscope --listen --no-screen', () => {
  let svc: Service;
  let prom: ChildProcess;
  let promPort = 0;
  let progIds: number[] = [];
  const N = 20;

  const query = async (q: string): Promise<number | null> => {
    const r = await request(promPort, `/api/v1/query?query=${encodeURIComponent(q)}`);
    const j = JSON.parse(r.body) as { status: string; data: { resultType: string; result: { value: [number, string] }[] } };
    if (j.status !== 'success' || j.data.result.length === 0) return null;
    return Number(j.data.result[0].value[1]);
  };

  it('Prometheus scrapes it (OpenMetrics), the p99 is a number, the exec counter rose by the execs; exact against --json', async () => {
    // --json as well: both sinks of one run, so the exposition can be checked against the lines.
    svc = await startService(['-i', '1', '--json']);
    const ready = await waitFor(
      'every probe running',
      async () => {
        const m = await metrics(svc.port);
        // every probe that starts on (profile starts off)
        const started = new Set<string>(CATALOGUE.filter((p) => !p.startsOff).map((p) => p.name));
        return value(m, 'perfscope_intervals_total') >= 1 &&
          pick(m, 'perfscope_probe_up')
            .filter((s) => started.has(s.labels.probe))
            .every((s) => s.value === 1)
          ? m
          : undefined;
      },
      30_000,
    );
    expect(pick(ready, 'perfscope_probe_up').length).toBeGreaterThanOrEqual(6);
    progIds = heldProgramIds(svc.child.pid!);
    expect(progIds.length).toBeGreaterThan(0);

    const dir = mkdtempSync(join(tmpdir(), 'perfscope-prom-'));
    dirs.push(dir);
    promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: perfscope\n    static_configs:\n      - targets: ['${HOST}:${svc.port}']\n`,
    );
    prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${HOST}:${promPort}`,
        '--log.level=warn',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.add(prom);
    let promErr = '';
    prom.stderr!.setEncoding('utf8').on('data', (d: string) => (promErr = (promErr + d).slice(-4000)));
    await waitFor(`Prometheus ready (${promErr})`, async () => (await request(promPort, '/-/ready')).status === 200, 30_000);
    await waitFor('the target up', async () => (await query('up{job="perfscope"}')) === 1, 30_000);
    // Prometheus asked for OpenMetrics and parsed it: the target is healthy, no scrape error.
    const targets = JSON.parse((await request(promPort, '/api/v1/targets')).body) as { data: { activeTargets: { health: string; lastError: string }[] } };
    expect(targets.data.activeTargets.map((t) => [t.health, t.lastError])).toEqual([['up', '']]);

    // A copy of /bin/true under a name nothing else uses, exec'd N times.
    const name = `pstrue${process.pid}`;
    const prog = join(dir, name);
    copyFileSync('/bin/true', prog);
    const direct0 = await metrics(svc.port);
    const exec0 = value(direct0, 'perfscope_exec_events_total');
    const intervals0 = value(direct0, 'perfscope_intervals_total');
    await waitFor('Prometheus to hold a sample of the counter', async () => (await query('sum(perfscope_exec_events_total)')) !== null, 20_000);
    const prom0 = (await query('sum(perfscope_exec_events_total)'))!;
    for (let i = 0; i < N; i++) expect(spawnSync(prog, [], { timeout: 10_000 }).status).toBe(0);
    // The execs' interval is complete once two more intervals have ended.
    const afterIntervals = intervals0 + 2;
    const direct1 = await waitFor(
      'two more intervals',
      async () => {
        const m = await metrics(svc.port);
        return value(m, 'perfscope_intervals_total') >= afterIntervals + 1 ? m : undefined;
      },
      30_000,
    );
    // Bounded: other processes on this host exec too, so the counter rose by at least N.
    expect(value(direct1, 'perfscope_exec_events_total') - exec0).toBeGreaterThanOrEqual(N);
    // Prometheus saw the same rise (from its own scrapes, which lag the direct one).
    const prom1 = await waitFor(
      'Prometheus to see the N execs',
      async () => {
        const v = await query('sum(perfscope_exec_events_total)');
        return v !== null && v - prom0 >= N ? v : undefined;
      },
      30_000,
    );
    expect(prom1 - prom0).toBeGreaterThanOrEqual(N);

    // p99 run-queue latency of all CPUs over 10 s: a number.
    const p99 = await waitFor(
      'a p99',
      async () => {
        const v = await query('histogram_quantile(0.99, sum by (le) (rate(perfscope_runqueue_latency_seconds_bucket[10s])))');
        return v !== null && Number.isFinite(v) ? v : undefined;
      },
      30_000,
    );
    expect(p99).toBeGreaterThan(0);
    expect(await query('max_over_time(max by (cpu) (perfscope_offcpu_max_seconds{cpu="0"})[1m:])')).toBeGreaterThan(0);

    // Exact: a scrape that says `intervals_total n` holds the sums of the first n --json lines.
    const m = await metrics(svc.port);
    const n = value(m, 'perfscope_intervals_total');
    const lines = await waitFor(
      'the --json lines',
      () => {
        const l = svc.stdout().split('\n').filter(Boolean);
        return l.length >= n ? l.slice(0, n).map((s) => JSON.parse(s) as Record<string, unknown> & { probes: Record<string, { lost?: number }> }) : undefined;
      },
      10_000,
    );
    type Ev = { ret: number; filename: string };
    const execs = lines.flatMap((l) => (l.exec as Ev[] | null) ?? []);
    expect(value(m, 'perfscope_exec_events_total', { result: 'ok' })).toBe(execs.filter((e) => e.ret === 0).length);
    expect(value(m, 'perfscope_exec_events_total', { result: 'error' })).toBe(execs.filter((e) => e.ret !== 0).length);
    const opens = lines.flatMap((l) => (l.open as { errno: number | null }[] | null) ?? []);
    expect(value(m, 'perfscope_open_events_total')).toBe(opens.length);
    const lost = lines.reduce((a, l) => a + (l.probes.exec?.lost ?? 0), 0);
    expect(value(m, 'perfscope_probe_lost_events_total', { probe: 'exec' })).toBe(lost);
    const rq = lines.reduce((a, l) => a + ((l.runqlat as { count: number } | null)?.count ?? 0), 0);
    expect(value(m, 'perfscope_runqueue_latency_seconds_count')).toBe(rq);
    // Ours: exactly N when the kernel dropped no exec event meanwhile (else at most N, the rest lost).
    const ours = execs.filter((e) => e.filename === prog && e.ret === 0).length;
    if (lost === 0) expect(ours).toBe(N);
    else expect(ours + lost).toBeGreaterThanOrEqual(N);

    // A live scrape passes promtool.
    expect(promtoolCheck((await request(svc.port, '/metrics')).body)).toEqual({ status: 0, output: '' });
  }, 180_000);

  it('SIGTERM: the service exits 0 and leaves nothing loaded', async () => {
    expect(svc, 'the service of the previous test').toBeDefined();
    if (prom && prom.exitCode === null) {
      prom.kill('SIGTERM');
      await waitFor('Prometheus to exit', () => prom.exitCode !== null || prom.signalCode !== null, 20_000);
    }
    svc.child.kill('SIGTERM');
    const code = await Promise.race([svc.exited, sleep(15_000).then(() => 'timeout' as const)]);
    expect(code).toBe(0);
    expect(await waitUnloaded(progIds)).toEqual([]);
  }, 60_000);
});

/** Socket fds of a process (the proc probe's /proc files are not counted: they follow the host's process count). */
function socketFds(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

/** A raw connection to the service; resolves `closed` when the server closes it. */
function connect(port: number): Promise<{ sock: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port });
    const closed = new Promise<number>((r) => sock.on('close', () => r(Date.now())));
    sock.on('error', () => {});
    // Flowing, so the server's end of the connection is seen (a listener may read the data).
    sock.resume();
    sock.once('connect', () => resolve({ sock, closed }));
    sock.once('error', reject);
  });
}

describe('hostile clients (loopback only)', () => {
  let svc: Service;

  it('paths and methods: / and /metrics only, GET and HEAD only, bodies never read', async () => {
    // No probe running (runqlat needs BPF, which is off): the intervals still tick, and the
    // process's socket count does not follow anything on the host.
    svc = await startService(['--no-bpf', '--probes', 'runqlat', '-i', '0.5']);
    const p = svc.port;
    expect((await request(p, '/nope')).status).toBe(404);
    expect((await request(p, '/metrics/x')).status).toBe(404);
    const post = await request(p, '/metrics', { method: 'POST', body: 'x=1' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect((await request(p, '/', { method: 'DELETE' })).status).toBe(405);
    const index = await request(p, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<a href="/metrics">');
    const head = await request(p, '/metrics', { method: 'HEAD' });
    expect([head.status, head.body, head.headers['content-type']]).toEqual([200, '', 'text/plain; version=0.0.4; charset=utf-8']);
    const om = await request(p, '/metrics', { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    expect((await request(p, '/metrics?x=1')).status).toBe(200);

    // A POST announcing a huge body it never sends: answered at once and closed, the body not awaited.
    const { sock, closed } = await connect(p);
    let got = '';
    sock.setEncoding('utf8').on('data', (d: string) => (got += d));
    const t0 = Date.now();
    sock.write(`POST /metrics HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1000000000\r\n\r\nabc`);
    const at = await Promise.race([closed, sleep(10_000).then(() => -1)]);
    expect(at).toBeGreaterThan(0);
    expect(at - t0).toBeLessThan(3000);
    expect(got).toMatch(/^HTTP\/1\.1 405 /);

    // Headers larger than the bound: refused (431) and closed.
    const big = await new Promise<string>((resolve) => {
      const s = net.connect({ host: HOST, port: p });
      let r = '';
      s.setEncoding('utf8').on('data', (d: string) => (r += d));
      s.on('error', () => {});
      s.on('close', () => resolve(r));
      s.write(`GET /metrics HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${'a'.repeat(16_000)}\r\n\r\n`);
      setTimeout(() => s.destroy(), 10_000);
    });
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('a request that never finishes its headers, and a connection that sends nothing, are closed within the timeouts', async () => {
    const p = svc.port;
    const slow = await connect(p);
    const idle = await connect(p);
    const t0 = Date.now();
    slow.sock.write(`GET /metrics HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: `);
    const [a, b] = await Promise.all([slow.closed, idle.closed].map((c) => Promise.race([c, sleep(20_000).then(() => -1)])));
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    // Node checks its timeouts every 0.5 s; 2.5 s of slack for a busy machine.
    expect(a - t0).toBeLessThan(HEADERS_TIMEOUT_MS + 3000);
    expect(b - t0).toBeLessThan(IDLE_TIMEOUT_MS + 3000);
  }, 30_000);

  it('200 concurrent connections: at most MAX_CONNECTIONS kept, the intervals go on, the sockets are given back', async () => {
    const p = svc.port;
    const pid = svc.child.pid!;
    const fds0 = socketFds(pid);
    const n0 = value(await metrics(p), 'perfscope_intervals_total');
    const conns = await Promise.all(
      Array.from({ length: 200 }, () =>
        connect(p)
          .then((c) => {
            c.sock.write(`GET /metrics HTTP/1.1\r\nHost: ${HOST}\r\n`); // unfinished: each holds its connection
            return c;
          })
          .catch(() => null),
      ),
    );
    let open = conns.filter(Boolean).length;
    for (const c of conns) void c?.closed.then(() => open--);
    await waitFor(`at most ${MAX_CONNECTIONS} connections open (${open})`, () => open <= MAX_CONNECTIONS, 10_000, 50);
    expect(socketFds(pid)).toBeLessThanOrEqual(fds0 + MAX_CONNECTIONS + 2);
    await sleep(1500);
    for (const c of conns) c?.sock.destroy();
    // Sampling went on during the flood: the counter is past where it was, and still rises.
    const n1 = await waitFor(
      'the intervals to go on',
      async () => {
        const n = value(await metrics(p), 'perfscope_intervals_total');
        return n >= n0 + 2 ? n : undefined;
      },
      20_000,
    );
    await waitFor('one more interval', async () => value(await metrics(p), 'perfscope_intervals_total') > n1, 10_000);
    await waitFor(`the socket fds back near ${fds0} (${socketFds(pid)})`, () => socketFds(pid) <= fds0 + 2, 15_000);
    svc.child.kill('SIGTERM');
    expect(await Promise.race([svc.exited, sleep(15_000).then(() => 'timeout' as const)])).toBe(0);
  }, 60_000);
});
