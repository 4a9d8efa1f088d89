// perfscope fleet at scale: 1, 10 and 100 simulated instances (docs/fleet.md, "Scale"). One real
// perfscope --listen (the probes below, BPF if the host has it) and a real Prometheus that scrapes
// it as N targets: the same address N times, each with its own `instance` label (sim-K:PORT), so
// Prometheus holds N copies of a real perfscope's series, as a fleet of N hosts would give it.
// For each N: wait until every target has been scraped a few times, then REFRESHES refreshes of
// the fleet (queryFleet, the code `perfscope fleet` runs), each timed (wall, and this process's
// CPU), and each of the fleet's queries once more with Prometheus' own statistics (stats=all:
// evaluation time, samples read). Prints one JSON object per N and a markdown table.
//   make build && node build/tsc-bench/bench/fleet-scale.js [N ...]      (default 1 10 100)
// Runs for about a minute per N. It starts and kills its own processes; temp dirs are removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';
import { FLEET_COLUMNS, fleetQueries, queryFleet } from '../src/fleet/queries.js';
import { median } from './stats.js';

const HOST = '127.0.0.1';
const SCRAPE_S = 2;
const WINDOW_S = 30;
const REFRESHES = 10;
const PROBES = process.env.PROBES ?? 'proc,runqlat,exec,open,tcp,offcpu';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: HOST, port, path: p, agent: false, timeout: 30_000 }, (res) => {
        let b = '';
        res.setEncoding('utf8').on('data', (d: string) => (b += d));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
}

async function until(what: string, f: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await f()) return;
    } catch {
      /* not yet */
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await Promise.race([gone, sleep(10_000)]);
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

interface ScaleResult {
  instances: number;
  series: number;
  refresh_ms_median: number;
  refresh_ms_max: number;
  refresh_cpu_ms_median: number;
  rows: number;
  query_eval_ms_total: number;
  query_samples_total: number;
  slowest_query: string;
  slowest_query_ms: number;
}

async function one(n: number, perfscopePort: number): Promise<ScaleResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'perfscope-fleet-bench-'));
  const promPort = await freePort();
  const targets = Array.from(
    { length: n },
    (_, k) => `      - targets: ['${HOST}:${perfscopePort}']\n        labels:\n          instance: 'sim-${k}:${perfscopePort}'\n`,
  ).join('');
  writeFileSync(
    path.join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${SCRAPE_S}s\n  scrape_timeout: ${SCRAPE_S}s\nscrape_configs:\n  - job_name: perfscope\n    static_configs:\n${targets}`,
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=${HOST}:${promPort}`,
      '--log.level=error',
    ],
    { stdio: 'ignore' },
  );
  try {
    await until('Prometheus', async () => (await get(promPort, '/-/ready')).includes('Ready'), 60_000);
    const count = async (q: string) => Number(JSON.parse(await get(promPort, `/api/v1/query?query=${encodeURIComponent(q)}`)).data.result[0]?.value[1] ?? 0);
    // Every target scraped at least 4 times (the rates need 2 samples in the window).
    await until(`${n} targets scraped`, async () => (await count(`count(count_over_time(perfscope_intervals_total[${WINDOW_S}s]) >= 4)`)) === n, 120_000);
    const series = await count('count({job="perfscope"})');
    const base = new URL(`http://${HOST}:${promPort}`);
    const opts = {
      prometheus: base,
      hostLabel: 'instance',
      windowS: WINDOW_S,
      streamPort: null,
      streamScheme: null,
      credentials: null,
      ca: null,
      insecure: false,
    };
    // The fleet sees every instance before it is timed (Prometheus' head may lag the scrapes).
    await until(`the fleet to list ${n} rows`, async () => (await queryFleet(opts)).rows.length === n, 60_000);
    const wall: number[] = [];
    const cpu: number[] = [];
    let rows = 0;
    for (let i = 0; i < REFRESHES; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const snap = await queryFleet(opts);
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      rows = snap.rows.length;
      await sleep(1000);
    }
    const q = fleetQueries('instance', WINDOW_S);
    let evalMs = 0;
    let samples = 0;
    let slowest = '';
    let slowestMs = 0;
    for (const col of FLEET_COLUMNS) {
      const r = JSON.parse(await get(promPort, `/api/v1/query?stats=all&query=${encodeURIComponent(q[col])}`)) as {
        data: { stats?: { timings?: { evalTotalTime?: number }; samples?: { totalQueryableSamples?: number } } };
      };
      const ms = (r.data.stats?.timings?.evalTotalTime ?? 0) * 1000;
      evalMs += ms;
      samples += r.data.stats?.samples?.totalQueryableSamples ?? 0;
      if (ms > slowestMs) [slowest, slowestMs] = [col, ms];
    }
    return {
      instances: n,
      series,
      refresh_ms_median: Math.round(median(wall)! * 10) / 10,
      refresh_ms_max: Math.round(Math.max(...wall) * 10) / 10,
      refresh_cpu_ms_median: Math.round(median(cpu)! * 10) / 10,
      rows,
      query_eval_ms_total: Math.round(evalMs * 100) / 100,
      query_samples_total: samples,
      slowest_query: slowest,
      slowest_query_ms: Math.round(slowestMs * 100) / 100,
    };
  } finally {
    await stop(prom);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const ns = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => Number.isInteger(x) && x > 0);
  const port = await freePort();
  const ps = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin/perfscope.js'), '--listen', `${HOST}:${port}`, '--no-screen', '--probes', PROBES], {
    stdio: 'ignore',
  });
  const results: ScaleResult[] = [];
  try {
    await until('perfscope', async () => (await get(port, '/metrics')).includes('perfscope_intervals_total'), 30_000);
    for (const n of ns.length ? ns : [1, 10, 100]) {
      const r = await one(n, port);
      results.push(r);
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  } finally {
    await stop(ps);
  }
  process.stdout.write(
    '\n| instances | series | refresh (median / max) | fleet CPU per refresh | queries: eval time (sum) | samples read | slowest query |\n|---|---|---|---|---|---|---|\n',
  );
  for (const r of results)
    process.stdout.write(
      `| ${r.instances} | ${r.series} | ${r.refresh_ms_median} / ${r.refresh_ms_max} ms | ${r.refresh_cpu_ms_median} ms | ${r.query_eval_ms_total} ms | ${r.query_samples_total} | ${r.slowest_query} ${r.slowest_query_ms} ms |\n`,
    );
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet-scale: ${(e as Error).message}\n`);
  process.exit(1);
});
