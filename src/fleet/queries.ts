// perfscope fleet: one row per perfscope instance a Prometheus scrapes, from PromQL instant
// queries over its HTTP API (GET /api/v1/query with `time`, so every query of a refresh is
// evaluated at the same instant, and anyone can run the same queries at that instant and get the
// same figures: fleetQueries is exported for that). Every answer is untrusted: read up to
// MAX_ANSWER_BYTES within the timeout, checked for shape, label values escaped; a query that
// fails leaves its column empty (null) and says so in `errors`, the others still fill theirs.
import http from 'node:http';
import https from 'node:https';
import { escapeText } from '../probes/strings.js';
import { describeClientError, requestOptions, type HttpClientOptions } from '../replay/remote.js';

/** An answer of Prometheus is read up to this many bytes (a fleet of thousands fits). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** Each query must be answered within this (else the refresh says Prometheus is slow and retries). */
export const QUERY_TIMEOUT_MS = 5000;
/** Rows at most (the largest fleets are filtered with --filter or a narrower host label). */
export const MAX_ROWS = 5000;

export type FleetColumn =
  | 'hosts'
  | 'up'
  | 'probes_running'
  | 'probes_total'
  | 'probes_failed'
  | 'cpu_busy'
  | 'runq_p99_s'
  | 'offcpu_max_s'
  | 'exec_per_s'
  | 'open_per_s'
  | 'connect_per_s'
  | 'lost'
  | 'iso_resident_max_s'
  | 'iso_intruder_runs_per_s';

/**
 * A host that stops answering stays listed this long (its series are stale at once, its samples
 * are not), with `up` 0: a host that is down shows as down rather than vanishing.
 */
export const HOST_MEMORY_S = 3600;

/**
 * The PromQL of each column, by the host label `L` and the rates' window `W` seconds. `hosts`
 * lists the instances (every series of perfscope_intervals_total, with the `instance` it is
 * scraped at, for the stream's URL); `offcpu_max_s` keeps the task (comm, pid) that had the
 * longest absence, `iso_resident_max_s` the watched CPU.
 */
export function fleetQueries(L: string, W: number): Readonly<Record<FleetColumn, string>> {
  const w = `[${W}s]`;
  return {
    hosts: `max by (${L}, instance) (last_over_time(perfscope_intervals_total[${HOST_MEMORY_S}s]))`,
    up: `min by (${L}) (up) and on (${L}) max by (${L}) (last_over_time(perfscope_intervals_total[${HOST_MEMORY_S}s]))`,
    probes_running: `sum by (${L}) (perfscope_probe_up)`,
    probes_total: `count by (${L}) (perfscope_probe_up)`,
    probes_failed: `sum by (${L}) (perfscope_probe_state{state="failed"})`,
    cpu_busy: `avg by (${L}) (avg_over_time(perfscope_cpu_busy_ratio${w}))`,
    runq_p99_s: `histogram_quantile(0.99, sum by (${L}, le) (rate(perfscope_runqueue_latency_seconds_bucket${w})))`,
    offcpu_max_s: `topk by (${L}) (1, max by (${L}, comm, pid) (max_over_time(perfscope_offcpu_max_seconds${w})))`,
    exec_per_s: `sum by (${L}) (rate(perfscope_exec_events_total${w}))`,
    open_per_s: `sum by (${L}) (rate(perfscope_open_events_total${w}))`,
    connect_per_s: `sum by (${L}) (rate(perfscope_tcp_events_total{kind="connect"}${w}))`,
    lost: `sum by (${L}) (increase(perfscope_probe_lost_events_total${w}))`,
    iso_resident_max_s: `topk by (${L}) (1, max by (${L}, cpu) (max_over_time(perfscope_isolation_resident_offcpu_max_seconds${w})))`,
    iso_intruder_runs_per_s: `sum by (${L}) (rate(perfscope_isolation_intruder_runs_total${w}))`,
  };
}

export const FLEET_COLUMNS = Object.keys(fleetQueries('instance', 60)) as FleetColumn[];

/** One sample of an instant vector: its labels (escaped) and value (NaN and ±Inf as null). */
export interface VectorSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | null;
}

/** One perfscope instance's row. Figures are null when Prometheus has none (no such probe there, no data in the window). */
export interface FleetRow {
  host: string;
  /** The `instance` label it is scraped at (host:port), or null. */
  instance: string | null;
  /** Its /stream URL (what Enter connects to), or null when it cannot be derived. */
  stream: string | null;
  up: number | null;
  probes_running: number | null;
  probes_total: number | null;
  probes_failed: number | null;
  cpu_busy: number | null;
  runq_p99_s: number | null;
  offcpu_max_s: number | null;
  offcpu_comm: string | null;
  offcpu_pid: string | null;
  exec_per_s: number | null;
  open_per_s: number | null;
  connect_per_s: number | null;
  lost: number | null;
  iso_cpu: string | null;
  iso_resident_max_s: number | null;
  iso_intruder_runs_per_s: number | null;
}

export interface FleetSnapshot {
  /** When the refresh was made (ISO 8601). */
  readonly time: string;
  /** The evaluation time of every query (Unix seconds, as sent in `time`). */
  readonly eval_time: number;
  readonly prometheus: string;
  readonly host_label: string;
  readonly window_s: number;
  readonly rows: FleetRow[];
  /** Queries that failed, as one line each (empty: all answered). */
  readonly errors: string[];
}

/** The value of a sample as Prometheus writes it ("1.5", "NaN", "+Inf"): a finite number, else null. */
function sampleValue(v: unknown): number | null {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'string') return null;
  const n = Number(v[1]);
  return Number.isFinite(n) ? n : null;
}

/** An answer's body read as an instant vector; throws a one-line Error on anything else. */
export function parseVector(body: string): VectorSample[] {
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch {
    throw new Error('the answer is not JSON');
  }
  const r = o as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } };
  if (r?.status !== 'success') throw new Error(`Prometheus: ${escapeText(typeof r?.error === 'string' ? r.error.slice(0, 200) : 'the query failed')}`);
  if (r.data?.resultType !== 'vector' || !Array.isArray(r.data.result)) throw new Error('the answer is not an instant vector');
  const out: VectorSample[] = [];
  for (const s of r.data.result.slice(0, MAX_ROWS * 4) as unknown[]) {
    const m = (s as { metric?: unknown })?.metric;
    const labels: Record<string, string> = {};
    if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) if (typeof v === 'string') labels[escapeText(k)] = escapeText(v.slice(0, 1024));
    out.push({ labels, value: sampleValue((s as { value?: unknown })?.value) });
  }
  return out;
}

/** GET /api/v1/query?query=Q&time=T, bounded in time and size; the body, or a one-line Error. */
export function promGet(base: URL, path: string, params: Record<string, string>, o: HttpClientOptions, timeoutMs = QUERY_TIMEOUT_MS): Promise<string> {
  const url = new URL(base.href.replace(/\/?$/, '/') + path.replace(/^\//, ''));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({ ...requestOptions(url, o), method: 'GET' });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code ? describeClientError(e).message : e.message.split('\n')[0]));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status === 401 || status === 403) {
        clearTimeout(timer);
        res.destroy();
        return reject(new Error(`HTTP ${status}: ${o.credentials ? 'wrong credentials' : 'Prometheus asks for credentials (--user)'}`));
      }
      const parts: Buffer[] = [];
      let n = 0;
      res.on('data', (d: Buffer) => {
        n += d.length;
        if (n > MAX_ANSWER_BYTES) return req.destroy(new Error(`an answer larger than ${MAX_ANSWER_BYTES} bytes`));
        parts.push(d);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(parts).toString('utf8');
        // Prometheus answers a bad query with 400 and a JSON error: parseVector says it.
        if (status !== 200 && !/^\s*\{/.test(body)) reject(new Error(`HTTP ${status}`));
        else resolve(body);
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(e.message.split('\n')[0]));
      });
    });
    req.end();
  });
}

/** The row's /stream URL: SCHEME://HOST:PORT/stream from its `instance` (host:port); PORT and SCHEME as given or the instance's. */
export function streamUrl(instance: string | null, scheme: 'http' | 'https' | null, port: number | null): string | null {
  if (!instance) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(instance);
  if (!m) return null;
  const p = port ?? (m[2] ? Number(m[2]) : null);
  if (p === null || p < 1 || p > 65535) return null;
  return `${scheme ?? 'http'}://${m[1]}:${p}/stream`;
}

export interface FleetQueryOptions extends HttpClientOptions {
  readonly prometheus: URL;
  readonly hostLabel: string;
  readonly windowS: number;
  readonly streamScheme: 'http' | 'https' | null;
  readonly streamPort: number | null;
  readonly timeoutMs?: number;
}

function emptyRow(host: string): FleetRow {
  return {
    host,
    instance: null,
    stream: null,
    up: null,
    probes_running: null,
    probes_total: null,
    probes_failed: null,
    cpu_busy: null,
    runq_p99_s: null,
    offcpu_max_s: null,
    offcpu_comm: null,
    offcpu_pid: null,
    exec_per_s: null,
    open_per_s: null,
    connect_per_s: null,
    lost: null,
    iso_cpu: null,
    iso_resident_max_s: null,
    iso_intruder_runs_per_s: null,
  };
}

/**
 * One refresh: every query at the same evaluation time `evalTime` (Unix seconds), in parallel,
 * each bounded by the timeout; the rows sorted by host. Throws only when the host list itself
 * cannot be had (Prometheus down, slow, or refusing): one line.
 */
export async function queryFleet(o: FleetQueryOptions, evalTime = Math.floor(Date.now() / 1000)): Promise<FleetSnapshot> {
  const L = o.hostLabel;
  const q = fleetQueries(L, o.windowS);
  const answers = await Promise.all(
    FLEET_COLUMNS.map(async (c) => {
      try {
        return { c, v: parseVector(await promGet(o.prometheus, '/api/v1/query', { query: q[c], time: String(evalTime) }, o, o.timeoutMs)) };
      } catch (e) {
        return { c, e: (e as Error).message };
      }
    }),
  );
  const hosts = answers[0];
  if ('e' in hosts) throw new Error(`${o.prometheus.origin}: ${hosts.e}`);
  const rows = new Map<string, FleetRow>();
  for (const s of hosts.v!) {
    const h = s.labels[L];
    if (h === undefined || rows.has(h) || rows.size >= MAX_ROWS) continue;
    const r = emptyRow(h);
    r.instance = s.labels.instance ?? null;
    r.stream = streamUrl(r.instance, o.streamScheme, o.streamPort);
    rows.set(h, r);
  }
  const errors: string[] = [];
  for (const a of answers.slice(1)) {
    if ('e' in a) {
      errors.push(`${a.c}: ${a.e}`);
      continue;
    }
    for (const s of a.v!) {
      const r = rows.get(s.labels[L] ?? '');
      if (!r) continue;
      (r as unknown as Record<string, number | null>)[a.c] = s.value;
      if (a.c === 'offcpu_max_s') {
        r.offcpu_comm = s.labels.comm ?? null;
        r.offcpu_pid = s.labels.pid ?? null;
      }
      if (a.c === 'iso_resident_max_s') r.iso_cpu = s.labels.cpu ?? null;
    }
  }
  return {
    time: new Date().toISOString(),
    eval_time: evalTime,
    prometheus: o.prometheus.origin + o.prometheus.pathname.replace(/\/$/, ''),
    host_label: L,
    window_s: o.windowS,
    rows: [...rows.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)),
    errors,
  };
}
