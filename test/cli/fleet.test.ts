// perfscope fleet with the real binary: two headless perfscopes on loopback (one with the
// run-queue and exec probes, one without BPF: intervals, probe health and the /proc CPU gauge) and a real Prometheus 2.42
// scraping both every second. `fleet --prometheus URL --json --count 2` gives two lines, each
// listing both instances; every figure of every row equals what the test gets itself from the
// same Prometheus for the same PromQL (fleetQueries, exported for this) at the line's evaluation
// time. A Prometheus that is down is one line on stderr and fleet goes on trying.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLEET_COLUMNS, fleetQueries, type FleetRow, type FleetSnapshot } from '../../src/fleet/queries.js';
import { freePort, sleep, waitFor } from '../helpers/net.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));
const HOST = '127.0.0.1';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

const children = new Set<ChildProcess>();
let dir = '';
let promPort = 0;
const ports: number[] = [];
const instances: ChildProcess[] = [];

function start(
  args: string[],
  stdio: 'pipe' | 'ignore' = 'pipe',
  env: Record<string, string> = {},
): { child: ChildProcess; err: () => string; out: () => string } {
  const child = spawn(args[0], args.slice(1), { stdio: ['ignore', stdio, 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-8000)));
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, err: () => err, out: () => out };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perfscope-fleet-'));
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    // The first with two BPF probes (run-queue latency, exec), the second without BPF.
    const probes = i === 0 ? ['--probes', 'proc,runqlat,exec'] : ['--no-bpf'];
    const p = start([process.execPath, BIN, '--listen', `${HOST}:${port}`, '--no-screen', ...probes, '-i', '0.5'], 'ignore');
    await waitFor(`perfscope ${i} to listen`, () => p.err().includes(`serving http://${HOST}:${port}/metrics`), 20_000);
    ports.push(port);
    instances.push(p.child);
  }
  promPort = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: perfscope\n    static_configs:\n      - targets: [${ports.map((p) => `'${HOST}:${p}'`).join(', ')}]\n`,
  );
  const prom = start(
    [
      'prometheus',
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${HOST}:${promPort}`,
      '--log.level=warn',
    ],
    'ignore',
  );
  await waitFor(`Prometheus ready (${prom.err()})`, async () => (await get(promPort, '/-/ready')).status === 200, 30_000);
  // Both targets scraped a few times (the rates need two samples in the window).
  await waitFor(
    'both instances with a CPU figure',
    async () => {
      const r = JSON.parse((await get(promPort, `/api/v1/query?query=${encodeURIComponent('count_over_time(perfscope_cpu_busy_ratio[30s])')}`)).body);
      return r.data.result.length === 2 && r.data.result.every((s: { value: [number, string] }) => Number(s.value[1]) >= 3);
    },
    60_000,
  );
}, 120_000);

/** One query of the fleet's at time t, by the instance label: its samples' values and labels. */
async function query(q: string, t: number): Promise<Map<string, { value: number | null; labels: Record<string, string> }>> {
  const r = JSON.parse((await get(promPort, `/api/v1/query?query=${encodeURIComponent(q)}&time=${t}`)).body) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  expect(r.status).toBe('success');
  const out = new Map<string, { value: number | null; labels: Record<string, string> }>();
  for (const s of r.data.result) {
    const v = Number(s.value[1]);
    out.set(s.metric.instance, { value: Number.isFinite(v) ? v : null, labels: s.metric });
  }
  return out;
}

function runFleet(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string; child: ChildProcess }> {
  return new Promise((resolve) => {
    const p = start([process.execPath, BIN, 'fleet', ...args], 'pipe', env);
    const t = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
    p.child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout: p.out(), stderr: p.err(), child: p.child });
    });
  });
}

describe('perfscope fleet --prometheus URL --json', () => {
  it('two lines, each listing both instances, every figure equal to the same PromQL run by the test at the same time', async () => {
    const got = await runFleet(['--prometheus', `http://${HOST}:${promPort}`, '--json', '--count', '2', '-i', '1', '--window', '30s']);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    const lines = got.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FleetSnapshot);
    expect(lines).toHaveLength(2);
    const instances = ports.map((p) => `${HOST}:${p}`).sort();
    const q = fleetQueries('instance', 30);
    for (const snap of lines) {
      expect(snap.errors).toEqual([]);
      expect(snap.rows.map((r) => r.host)).toEqual(instances);
      for (const r of snap.rows) {
        expect(r.instance).toBe(r.host);
        expect(r.stream).toBe(`http://${r.host}/stream`);
        // What both give for sure: up, the /proc probe runs, some others do not.
        expect(r.up).toBe(1);
        expect(r.probes_running).toBeGreaterThanOrEqual(1);
        expect(r.probes_total).toBeGreaterThan(r.probes_running!);
        expect(r.cpu_busy).not.toBeNull();
      }
      // The BPF instance: a run-queue p99 (the box always schedules something) and an exec rate.
      const bpf = snap.rows.find((r) => r.host === `${HOST}:${ports[0]}`)!;
      expect(bpf.runq_p99_s).toBeGreaterThan(0);
      expect(bpf.exec_per_s).not.toBeNull();
      expect(bpf.probes_running).toBe(3);
      for (const c of FLEET_COLUMNS) {
        if (c === 'hosts') continue;
        const want = await query(q[c], snap.eval_time);
        for (const r of snap.rows) {
          const w = want.get(r.host);
          expect(r[c as keyof FleetRow], `${c} of ${r.host}`).toEqual(w?.value ?? null);
          if (c === 'offcpu_max_s') expect(r.offcpu_comm).toEqual(w?.labels.comm ?? null);
          if (c === 'iso_resident_max_s') expect(r.iso_cpu).toEqual(w?.labels.cpu ?? null);
        }
      }
    }
    expect(lines[1].eval_time).toBeGreaterThanOrEqual(lines[0].eval_time);
  }, 90_000);

  it('a Prometheus that is down: one line on stderr, and fleet keeps trying (no line printed) until stopped', async () => {
    const port = await freePort();
    const p = start([process.execPath, BIN, 'fleet', '--prometheus', `http://${HOST}:${port}`, '--json', '-i', '0.5']);
    await waitFor('the line', () => p.err().includes('\n'), 20_000);
    await sleep(1500);
    expect(p.err().trim().split('\n')).toHaveLength(1);
    expect(p.err()).toMatch(/^perfscope: http:\/\/127\.0\.0\.1:\d+: connection refused \(retrying every 0\.5 s\)\n$/);
    expect(p.out()).toBe('');
    expect(p.child.exitCode).toBeNull();
    p.child.kill('SIGTERM');
  }, 60_000);

  it('a Prometheus that accepts and never answers: each refresh gives up after the timeout, one line, and fleet goes on', async () => {
    const sockets: net.Socket[] = [];
    const mute = net.createServer((c) => sockets.push(c));
    await new Promise<void>((r) => mute.listen(0, HOST, () => r()));
    const port = (mute.address() as net.AddressInfo).port;
    const p = start([process.execPath, BIN, 'fleet', '--prometheus', `http://${HOST}:${port}`, '--json', '-i', '0.5']);
    await waitFor('the line', () => p.err().includes('\n'), 30_000);
    expect(p.err()).toMatch(/^perfscope: http:\/\/127\.0\.0\.1:\d+: no answer within 5 s \(retrying every 0\.5 s\)\n$/);
    // It asks again (a new connection) rather than waiting for ever on the first.
    const first = sockets.length;
    await waitFor('another refresh', () => sockets.length > first, 20_000);
    expect(p.child.exitCode).toBeNull();
    p.child.kill('SIGTERM');
    for (const c of sockets) c.destroy();
    mute.close();
  }, 60_000);

  it("Prometheus' own basic auth: the right password gives the rows, a wrong one is one line and exit 1", async () => {
    const line = execFileSync('htpasswd', ['-nbBC', '10', 'fleet', 'open sesame'], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'prom-web.yml'), `basic_auth_users:\n  fleet: '${line.slice(line.indexOf(':') + 1)}'\n`);
    const port = await freePort();
    const prom = start(
      [
        'prometheus',
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data-auth')}`,
        `--web.listen-address=${HOST}:${port}`,
        `--web.config.file=${join(dir, 'prom-web.yml')}`,
        '--log.level=warn',
      ],
      'ignore',
    );
    await waitFor(`the second Prometheus (${prom.err()})`, async () => (await get(port, '/-/ready')).status === 401, 30_000);
    const url = `http://${HOST}:${port}`;
    writeFileSync(join(dir, 'fleet.pass'), 'open sesame\n', { mode: 0o600 });
    const ok = await waitFor(
      'the fleet to list both instances',
      async () => {
        const r = await runFleet(['--prometheus', url, '--json', '--count', '1', '--user', 'fleet', '--password-file', join(dir, 'fleet.pass')]);
        return r.code === 0 && (JSON.parse(r.stdout) as FleetSnapshot).rows.length === 2 && r;
      },
      40_000,
      1000,
    );
    expect(ok.stderr).toBe('');
    const wrong = await runFleet(['--prometheus', url, '--json', '--count', '1', '--user', 'fleet'], { PERFSCOPE_PASSWORD: 'guess' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^perfscope: .*HTTP 401: wrong credentials\n$/);
    prom.child.kill('SIGTERM');
  }, 90_000);

  it('bad options are one line and exit 2', async () => {
    for (const [args, msg] of [
      [[], /needs --prometheus URL/],
      [['--prometheus', 'nope'], /is not a URL/],
      [['--prometheus', 'http://a', '--host-label', 'bad-label'], /--host-label must be a Prometheus label name/],
      [['--prometheus', 'http://a', '--count', '2'], /only goes with --json/],
      [['--prometheus', 'http://u:p@a'], /no credentials in the URL/],
    ] as [string[], RegExp][]) {
      const r = await runFleet(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(msg);
    }
  }, 60_000);

  it('a host whose perfscope stops is still listed, with up 0 (last in this file: it stops one of the two)', async () => {
    const gone = new Promise((r) => instances[1].once('exit', r));
    instances[1].kill('SIGTERM');
    await gone;
    const down = `${HOST}:${ports[1]}`;
    const snap = await waitFor(
      'the row with up 0',
      async () => {
        const r = await runFleet(['--prometheus', `http://${HOST}:${promPort}`, '--json', '--count', '1']);
        const sn = r.code === 0 ? (JSON.parse(r.stdout) as FleetSnapshot) : null;
        return sn?.rows.find((x) => x.host === down)?.up === 0 && sn;
      },
      30_000,
      1000,
    );
    expect(snap.rows.map((r) => r.host)).toEqual(ports.map((p) => `${HOST}:${p}`).sort());
    expect(snap.rows.find((r) => r.host !== down)?.up).toBe(1);
  }, 60_000);
});
