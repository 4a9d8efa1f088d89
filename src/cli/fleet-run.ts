// perfscope fleet: refresh the rows every -i seconds (queries at one evaluation time each,
// src/fleet/queries.ts). --json prints one object per refresh (NDJSON) and, with --count N,
// exits after N; the screen (src/ui/fleet-screen.tsx) shows them. A Prometheus that is down or
// slow is one line (stderr, or the screen's status line) and the next refresh tries again; one
// that refuses the credentials ends the run: one line, exit 1. A refresh never overlaps the
// previous one (each query is bounded by QUERY_TIMEOUT_MS), so a slow Prometheus slows the
// refreshes and never piles them up.
import { spawn } from 'node:child_process';
import type { Options } from './args.js';
import type { HttpClientOptions } from '../replay/remote.js';
import { queryFleet, type FleetQueryOptions } from '../fleet/queries.js';
import { createFleetStore, type FleetStore } from '../fleet/store.js';

export type Exit = (code: number, message?: string) => void;
export type ShowFleet = (
  store: FleetStore,
  onQuit: () => void,
  onError: (e: unknown) => void,
  onConnect: (url: string) => Promise<void>,
) => Promise<() => void>;

const credentialsRefused = (m: string) => /HTTP 40[13]/.test(m);

/** Starts the refreshes; returns what restores the terminal (the screen), or null (--json). */
export async function runFleet(opts: Options, client: HttpClientOptions, exit: Exit, show: ShowFleet): Promise<(() => void) | null> {
  const f = opts.fleet!;
  const q: FleetQueryOptions = {
    ...client,
    prometheus: f.prometheus,
    hostLabel: f.hostLabel,
    windowS: f.windowS,
    streamPort: f.streamPort,
    streamScheme: f.streamScheme,
  };
  const everyMs = opts.intervalS * 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const later = (fn: () => void) => {
    if (!stopped) timer = setTimeout(fn, everyMs);
  };
  if (opts.json) {
    let n = 0;
    let failing = false;
    const tick = async () => {
      try {
        const snap = await queryFleet(q);
        if (failing) process.stderr.write('perfscope: Prometheus answers again\n');
        failing = false;
        process.stdout.write(`${JSON.stringify(snap)}\n`);
        if (opts.count !== null && ++n >= opts.count) {
          stopped = true;
          return process.stdout.write('', () => exit(0));
        }
      } catch (e) {
        const m = (e as Error).message;
        if (credentialsRefused(m)) return exit(1, m);
        if (!failing) process.stderr.write(`perfscope: ${m} (retrying every ${opts.intervalS} s)\n`);
        failing = true;
      }
      later(() => void tick());
    };
    void tick();
    process.once('exit', () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    });
    return null;
  }
  const store = createFleetStore({
    prometheus: q.prometheus.origin,
    hostLabel: f.hostLabel,
    windowS: f.windowS,
    intervalS: opts.intervalS,
    filter: f.filter ?? '',
  });
  const tick = async () => {
    if (stopped) return;
    store.getState().setLoading(true);
    try {
      const snap = await queryFleet(q);
      store.getState().setSnapshot(snap);
    } catch (e) {
      const m = (e as Error).message;
      if (credentialsRefused(m)) return exit(1, m);
      store.getState().setError(`${m}; retrying in ${opts.intervalS} s`);
    }
    later(() => void tick());
  };
  /** Enter: perfscope --connect URL on this terminal, until it quits; its last line of stderr (a refusal) is the notice. */
  const connect = (url: string) =>
    new Promise<void>((resolve) => {
      const env = { ...process.env };
      const args = [process.argv[1], '--connect', url];
      if (env.PERFSCOPE_STREAM_USER) {
        args.push('--user', env.PERFSCOPE_STREAM_USER);
        env.PERFSCOPE_PASSWORD = env.PERFSCOPE_STREAM_PASSWORD ?? '';
      }
      if (opts.client.caFile) args.push('--ca-file', opts.client.caFile);
      if (opts.client.insecure) args.push('--insecure');
      let err = '';
      const child = spawn(process.execPath, args, { stdio: ['inherit', 'inherit', 'pipe'], env });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
      child.on('error', (e) => {
        store.getState().setNotice(`--connect ${url}: ${e.message.split('\n')[0]}`);
        resolve();
      });
      child.on('exit', (code) => {
        const last = err.trim().split('\n').pop() ?? '';
        store.getState().setNotice(code ? last || `--connect ${url} exited ${code}` : null);
        resolve();
      });
    });
  const restore = await show(
    store,
    () => exit(0),
    (e) => exit(1, `internal error: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`),
    connect,
  );
  void tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    restore();
  };
}
