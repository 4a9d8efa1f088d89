// perfscope's entry: parse flags, then wire the catalogue's probes to their sinks through the
// probe manager: --json prints NDJSON (no store, no Ink); the screen gets the store (and the
// manager attached to it, which its control actions drive); --record / `perfscope record` add the recorder sink;
// --listen adds the Prometheus sink and its HTTP server to either, or runs it alone with
// --no-screen; `perfscope replay` feeds the same sinks from a recording instead (src/replay/).
// Every exit path stops the probes and restores the terminal; BPF programs are owned by file
// descriptors, so even SIGKILL frees them.
import { closeSync, readFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { rootCertificates } from 'node:tls';
import { parseOptions, usage, UsageError, type Options } from './args.js';
import type { Config, ConfigRead } from '../ui/config-file.js';
import { CATALOGUE } from '../catalogue/catalogue.js';
import { SCREEN_CATALOGUE } from '../views/views.js';
import { onlineCpus } from '../probes/cpus.js';
import { isolatedOnline, readIsolation } from '../probes/proc/isolation.js';
import { bpfUnavailableReason } from '../bpf/caps.js';
import { addon } from '../bpf/addon.js';
import { registerElfReader } from '../probes/trace-user.js';
import { PACKAGE_ROOT } from '../paths.js';
import { ProbeManager, SCREEN_FEED_FLUSH_MS } from '../manager/manager.js';
import { ProbeArgError } from '../probes/types.js';
import { createAppStore } from '../store/store.js';
import { storeSink } from '../store/store-sink.js';
import { jsonSink } from '../sinks/json.js';
import { foldedSink, type FoldedSink } from '../sinks/folded.js';
import type { PprofSink } from '../sinks/pprof.js';
import { openRecordingFile } from '../sinks/recorder.js';
import { setSymbolizeWait } from '../stacks/resolve.js';
import { openRecorder, type Recorder } from '../sinks/recorder.js';
import { loadRecording, rangeOf, recordingHeader, replayAll, replayScreen, ReplayInputError, timeArg, windowOf, type LoadedRecording } from '../replay/run.js';
import type { TimeSpec } from '../replay/units.js';
import { writeSlice } from '../replay/slice.js';
import { ShardedRecorder } from '../sinks/shards.js';
import { RecordDirError } from '../replay/shards.js';
import type { AppState, AppStore } from '../store/store.js';
import { PrometheusSink } from '../sinks/prometheus.js';
import { describeListenError, startMetricsServer } from '../sinks/prometheus-http.js';
import type { WebConfig } from '../sinks/web-config.js';
import { StreamHub } from '../sinks/stream.js';
import { RemoteSource, type HttpClientOptions } from '../replay/remote.js';
import type { FleetStore } from '../fleet/store.js';
import type { Sink } from '../catalogue/sink.js';
import { guardTerminal } from '../sinks/terminal.js';
import { escapeText } from '../probes/strings.js';
import { cgroups, configureCgroups } from '../probes/cgroup/registry.js';
import { DEFAULT_RUNTIME_SOCKETS } from '../probes/cgroup/runtime-names.js';

function version(): string {
  try {
    return JSON.parse(readFileSync(`${PACKAGE_ROOT}/package.json`, 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

function oneLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0];
}

export type Cleanup = () => void;

/** One line on stderr; what it quotes (file names, flags, record contents) escaped as live strings are. */
function say(message: string): void {
  process.stderr.write(`perfscope: ${escapeText(message)}\n`);
}

/** What the configuration file keeps of a screen's state. */
function configOf(s: AppState): Config {
  return {
    intervalS: s.intervalS,
    probes: Object.entries(s.enabled)
      .filter(([, on]) => on)
      .map(([n]) => n),
    preset: s.preset,
    hidden: [...s.hidden],
    sort: s.sort,
    mouse: s.mouse,
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  // A terminal gets only perfscope's own control sequences, whoever writes (src/sinks/terminal.ts).
  guardTerminal(process.stdout);
  guardTerminal(process.stderr);
  const cpus = onlineCpus();
  let isolated: number[] = [];
  try {
    isolated = isolatedOnline(readIsolation(), cpus);
  } catch {
    isolated = []; // a sysfs file that is not a CPU list: the isolation probe says so
  }
  let opts: Options;
  try {
    opts = parseOptions(argv, cpus, SCREEN_CATALOGUE, isolated);
  } catch (e) {
    if (e instanceof UsageError) {
      say(e.message);
      process.exit(2);
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(usage(SCREEN_CATALOGUE) + '\n');
    return;
  }
  if (opts.version) {
    process.stdout.write(`perfscope ${version()}\n`);
    return;
  }
  let recording: LoadedRecording | null = null;
  let at: TimeSpec | null = null;
  if (opts.command === 'replay') {
    // Relative times (10m ago) are taken against one `now`, here.
    const now = Date.now();
    try {
      const [from, to] = [timeArg(opts.from, now), timeArg(opts.to, now)];
      at = timeArg(opts.at, now);
      // A directory: only the shards that may hold the range are read.
      recording = loadRecording(opts.replayFile!, CATALOGUE, windowOf(from, to));
      recording = rangeOf(recording, from, to);
    } catch (e) {
      if (!(e instanceof ReplayInputError)) throw e;
      say(e.message);
      process.exit(2);
    }
    // A file cut short: said once, here, or under the screen in its status line and again at exit.
    const quiet = opts.json || opts.slice;
    if (recording.stop && quiet) say(recording.stop);
    if (recording.skip && quiet) say(recording.skip);
    if (opts.slice) {
      try {
        const r = writeSlice(CATALOGUE, recording.header, recording.lines, opts.sliceOut!, opts.anonymize);
        say(`${opts.sliceOut}: ${r.records} records, ${r.bytes} bytes${opts.anonymize ? `, ${r.pseudonyms} strings anonymized` : ''}`);
        return;
      } catch (e) {
        say(`${opts.sliceOut}: ${oneLine(e)}`);
        process.exit(2);
      }
    }
  }
  const headless = opts.json || opts.folded || opts.pprof !== null || opts.noScreen || opts.command === 'record';
  let shards: ShardedRecorder | null = null;
  if (!headless && !(process.stdout.isTTY && process.stdin.isTTY)) {
    process.stderr.write('perfscope: not a terminal (stdin and stdout must be a TTY); use --json or --listen PORT --no-screen for headless output\n');
    process.exit(2);
  }
  // A terminal that cannot move the cursor or erase a line cannot show a screen that redraws.
  if (!headless && process.env.TERM === 'dumb') {
    process.stderr.write('perfscope: TERM=dumb cannot draw the screen (it needs cursor movement); set TERM to your terminal, or use --json\n');
    process.exit(2);
  }

  // The saved configuration (src/cli/config.ts), for the live screen only; the command line wins.
  let saved: { readonly path: string; readonly read: ConfigRead } | null = null;
  let writeConfig: ((path: string, c: Config) => string | null) | null = null;
  if (!headless && opts.command === 'live') {
    const cf = await import('../ui/config-file.js');
    writeConfig = cf.writeConfig;
    const { configPath, readConfig } = cf;
    const path = configPath(opts.config);
    const read = readConfig(path);
    saved = { path, read };
    if (read.kind === 'ok') {
      const c = read.config;
      if (c.intervalS !== undefined && !opts.intervalGiven) opts.intervalS = c.intervalS;
      if (c.probes && !opts.probesGiven && !opts.noBpf) {
        const known = SCREEN_CATALOGUE.map((p) => p.name).filter((n) => c.probes!.includes(n));
        if (known.length) opts.probes = known;
      }
    }
  }

  // A probe's own option (--trace ...) is checked against this host before anything starts
  // (user-space probes read the ELF files through the addon).
  registerElfReader(addon);
  const args: Record<string, string[]> = {};
  for (const spec of CATALOGUE) {
    const typed = opts.probeArgs[spec.name];
    if (!spec.args || !typed) continue;
    try {
      args[spec.name] = spec.args.resolve(typed, { pid: opts.pid ?? null });
    } catch (e) {
      if (!(e instanceof ProbeArgError)) throw e;
      say(e.message);
      process.exit(2);
    }
  }
  // Cgroups: where their names come from; --cgroup's container names need the runtime's answer
  // before the filter is first set (at most 5 s, once, before any probe). A value that matches nothing now
  // filters out everything until such a cgroup appears, and says so.
  configureCgroups({ sockets: opts.containerSocket ? [opts.containerSocket] : DEFAULT_RUNTIME_SOCKETS });
  if (opts.cgroups.length > 0) {
    const reg = cgroups();
    if (!reg.tree.root) {
      process.stderr.write('perfscope: --cgroup: this host has no cgroup v2 hierarchy (neither /sys/fs/cgroup/unified nor /sys/fs/cgroup)\n');
      process.exit(2);
    }
    if (opts.cgroups.some((c) => !c.startsWith('/'))) {
      reg.names.lookup(true, 5000);
      await reg.names.idle();
      const err = reg.names.stats().lastError;
      if (err) process.stderr.write(`perfscope: --cgroup: container names: ${err}\n`);
    }
    for (const c of opts.cgroups) {
      if (reg.match(c).length === 0) process.stderr.write(`perfscope: --cgroup ${c}: no such cgroup now (nothing passes until it appears)\n`);
    }
  }
  const bpfReason = opts.noBpf ? 'BPF disabled (--no-bpf)' : bpfUnavailableReason();
  // perfscope's own process is left out of what it shows, unless asked for (or named by -p).
  const selfTgid = opts.includeSelf || opts.pid === process.pid ? null : process.pid;
  const managerOptions = {
    intervalS: opts.intervalS,
    pid: opts.pid,
    comm: opts.comm,
    selfTgid,
    cpus,
    pinnedCpu: opts.cpu,
    bpfReason,
    args,
    options: opts.probeOptions,
    cgroups: opts.cgroups,
  };
  let folded: FoldedSink | null = null;
  let pprof: PprofSink | null = null;
  let pprofFd: number | null = null;
  let manager: ProbeManager | null = null;
  let restoreUi: Cleanup | null = null;
  let recorder: Recorder | null = null;
  let stopReplay: Cleanup | null = null;
  /** Lines for stderr once the terminal is back (a recording that stopped under the screen). */
  const notes: string[] = [];
  let exiting = false;
  /** Writes the configuration on quit (set once the screen's store exists). */
  let saveConfig: (() => void) | null = null;
  const exit = (code: number, message?: string) => {
    if (exiting) return;
    exiting = true;
    let text = '';
    try {
      saveConfig?.();
      manager?.stop();
      stopReplay?.();
      recorder?.finish();
      shards?.finish();
      // --folded: the stacks so far, at the end of the run (Ctrl-C is a normal end).
      if (folded) {
        text = opts.folded ? folded.text() : '';
        if (code === 130) code = 0;
      }
      // --pprof: the profile, written once at the end (its file opened at the start).
      if (pprof && pprofFd !== null) {
        try {
          writeSync(pprofFd, pprof.encode());
        } catch (e) {
          notes.push(`--pprof ${opts.pprof}: ${oneLine(e)}`);
          code = 1;
        } finally {
          closeSync(pprofFd);
          pprofFd = null;
        }
      }
    } finally {
      restoreUi?.();
      restoreUi = null;
      for (const n of notes) say(n);
      if (message) say(message);
      if (text) process.stdout.write(text, () => process.exit(code));
      else process.exit(code);
    }
  };
  // Run as a service (--no-screen), SIGINT and SIGTERM are the normal way to stop: exit 0.
  // record --dir is a service too: SIGTERM and SIGINT end it with 0, SIGHUP starts a new shard.
  const service = opts.noScreen || opts.recordDir !== null;
  const signals: [NodeJS.Signals, number][] = [
    ['SIGINT', service ? 0 : 130],
    ['SIGTERM', service ? 0 : 143],
    ['SIGHUP', 129],
    ['SIGQUIT', 131],
  ];
  for (const [sig, code] of signals) process.on(sig, () => (sig === 'SIGHUP' && shards ? shards.rotate() : exit(code)));
  process.on('uncaughtException', (e) => exit(1, `internal error: ${oneLine(e)}`));
  process.on('unhandledRejection', (e) => exit(1, `internal error: ${oneLine(e)}`));
  // A closed pipe (perfscope --json | head) ends the run quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => exit(e.code === 'EPIPE' ? 0 : 1, e.code === 'EPIPE' ? undefined : oneLine(e)));

  if (opts.command === 'fleet') {
    const { runFleet } = await import('./fleet-run.js');
    let client;
    try {
      client = readClient(opts);
    } catch (e) {
      return exit(2, oneLine(e));
    }
    restoreUi = await runFleet(opts, client, exit, showFleetScreen);
    return;
  }

  if (opts.connect) {
    let client;
    try {
      client = readClient(opts);
    } catch (e) {
      return exit(2, oneLine(e));
    }
    const url = opts.connect;
    const shown = `${url.origin}${url.pathname}`;
    if (opts.json) {
      const sink = jsonSink(
        CATALOGUE,
        (chunk) => process.stdout.write(chunk),
        opts.count,
        () => process.stdout.write('', () => exit(0)),
        { backlog: () => process.stdout.writableLength, onFirstLost: (m) => process.stderr.write(`perfscope: ${m}\n`) },
      );
      let said: boolean | null = null;
      const src = new RemoteSource(CATALOGUE, {
        ...client,
        url,
        sinks: [sink],
        onState: (connected, message) => {
          if (said === connected) return;
          said = connected;
          if (!connected) say(`${shown}: disconnected: ${message ?? ''}`);
        },
        onFatal: (m) => exit(1, m),
      });
      stopReplay = () => src.stop();
      src.start();
      return;
    }
    const rstore = createAppStore({
      catalogue: SCREEN_CATALOGUE,
      host: { hostname: url.host, kernel: '', cpus },
      intervalS: 1,
      pinnedCpu: null,
      enabled: [],
      mouse: !opts.noMouse,
      remote: { url: shown, connected: false },
    });
    const src = new RemoteSource(CATALOGUE, {
      ...client,
      url,
      sinks: [storeSink(rstore)],
      onHost: (h) => rstore.setState({ host: { hostname: h.hostname, kernel: h.kernel, cpus: h.cpus }, intervalS: h.intervalS }),
      onState: (connected, message) => {
        rstore.getState().setRemote({ url: shown, connected });
        rstore.getState().setNotice(connected ? null : `${shown}: disconnected: ${message ?? ''}`);
      },
      onFatal: (m) => exit(1, m),
    });
    stopReplay = () => src.stop();
    rstore.getState().setNotice(`connecting to ${shown}…`);
    restoreUi = await showScreen(rstore, exit);
    src.start();
    return;
  }

  if (recording) {
    if (opts.json) {
      const err = replayAll(
        CATALOGUE,
        recording,
        [
          jsonSink(
            CATALOGUE,
            (line) => process.stdout.write(line),
            null,
            () => {},
          ),
        ],
        at,
      );
      if (err) return exit(2, `--at: ${err}`);
      process.stdout.write('', () => exit(0));
      return;
    }
    const { store, source } = replayScreen(SCREEN_CATALOGUE, recording);
    let start = 0;
    if (at) {
      const i = source.indexOf(at);
      if (typeof i === 'string') return exit(2, `--at: ${i}`);
      start = i;
    }
    stopReplay = () => source.stop();
    if (recording.stop) notes.push(recording.stop);
    if (recording.skip) notes.push(recording.skip);
    restoreUi = await showScreen(store, exit);
    source.start(start);
    return;
  }

  // --listen: bound before any probe starts, so a bad address fails at once.
  const promSinks: Sink[] = [];
  if (opts.listen) {
    const prom = new PrometheusSink(CATALOGUE, { top: opts.promTop, node: opts.promNode });
    const hub = new StreamHub(CATALOGUE, { hostname: os.hostname(), kernel: os.release(), cpus, interval_s: opts.intervalS });
    let web: WebConfig | null = null;
    if (opts.webConfig !== null) {
      try {
        // Loaded here: its YAML parser is 230 KB of the bundle that every start would compile.
        web = (await import('../sinks/web-config.js')).loadWebConfig(opts.webConfig);
      } catch (e) {
        return exit(1, oneLine(e));
      }
    }
    try {
      const server = await startMetricsServer(opts.listen, prom, web, hub);
      if (opts.noScreen) process.stderr.write(`perfscope: serving ${server.scheme}://${server.address}/metrics\n`);
    } catch (e) {
      return exit(1, describeListenError(opts.listen, e));
    }
    promSinks.push(prom, hub);
  }

  let store: AppStore | null = null;
  if (opts.recordDir !== null) {
    try {
      shards = new ShardedRecorder(CATALOGUE, {
        dir: opts.recordDir,
        shardMs: opts.shardS * 1000,
        retainMs: opts.retainS === null ? null : opts.retainS * 1000,
        maxDisk: opts.maxDisk,
        maxRecords: opts.durationS === null ? null : Math.max(1, Math.round(opts.durationS / opts.intervalS)),
        header: () => recordingHeader(CATALOGUE, cpus, opts.intervalS, version()),
        say,
        onDone: () => process.stdout.write('', () => exit(0)),
      });
    } catch (e) {
      say(`${opts.recordDir}: ${e instanceof RecordDirError ? e.message : oneLine(e)}`);
      process.exit(2);
    }
  } else if (opts.record !== null) {
    // Without a screen and without a service, the recording is the run.
    const recordingIsTheRun = opts.json || opts.command === 'record';
    try {
      recorder = openRecorder(CATALOGUE, opts.record, recordingHeader(CATALOGUE, cpus, opts.intervalS, version()), {
        maxSize: opts.maxSize,
        maxRecords: opts.durationS === null ? null : Math.max(1, Math.round(opts.durationS / opts.intervalS)),
        onEnd: (why, message) => {
          // Headless, the recording is the run (a write error ends `record` alone with 1; with
          // --json the lines go on); under the screen the status line says it and the probes go on.
          if (recordingIsTheRun) {
            if (why !== 'done') say(message);
            if (why !== 'error') process.stdout.write('', () => exit(0));
            else if (!opts.json) exit(1);
          } else {
            notes.push(message);
            store?.getState().setNotice(message);
          }
        },
      });
    } catch (e) {
      say(`${opts.record}: ${oneLine(e)}`);
      process.exit(2);
    }
  }
  const recorderSinks = recorder ? [recorder.sink] : shards ? [shards.sink] : [];

  if (headless) {
    // Every probe is started (or has failed) before the first interval begins.
    const sink = jsonSink(
      CATALOGUE,
      (chunk) => process.stdout.write(chunk),
      opts.count,
      () => {
        // Let stdout drain before exiting.
        process.stdout.write('', () => exit(0));
      },
      // A reader that does not keep up: lines are dropped and counted, not queued without end.
      { backlog: () => process.stdout.writableLength, onFirstLost: (m) => process.stderr.write(`perfscope: ${m}\n`) },
    );
    if (opts.folded || opts.pprof !== null) {
      // No screen to keep drawing, and the lines are printed once at the end: each interval
      // waits for the files its stacks need rather than leaving them pending (named from the first).
      setSymbolizeWait(true);
      // -d (default 10 s) of intervals, then the folded lines.
      const want = Math.max(1, Math.round((opts.durationS ?? 10) / opts.intervalS));
      folded = foldedSink(CATALOGUE, opts.probes[0], (n) => {
        if (n >= want) exit(0);
      });
      if (opts.pprof !== null) {
        try {
          pprofFd = openRecordingFile(opts.pprof);
        } catch (e) {
          return exit(2, `--pprof ${opts.pprof}: ${oneLine(e)}`);
        }
        pprof = (await import('../sinks/pprof.js')).pprofSink(CATALOGUE, opts.probes[0]);
      }
    }
    const sinks: Sink[] = [
      ...(opts.json ? [sink] : []),
      ...(pprof ? [pprof] : []),
      ...(folded ? [folded] : []),
      ...recorderSinks,
      ...promSinks,
      stderrReporter(),
    ];
    const m = (manager = new ProbeManager(CATALOGUE, { ...managerOptions, feedFlushMs: 0, sinks }));
    await m.start(opts.probes);
    // What the command line asked a probe to attach and it could not (a tracepoint the kernel
    // refuses): a usage error, as a name that does not exist is, not a run without it.
    for (const name of [...Object.keys(args), ...(opts.folded || opts.pprof !== null ? opts.probes : [])]) {
      const h = m.healthOf(name);
      if (h.state === 'failed' || h.state === 'unavailable') return exit(2, `${name}: ${h.reason ?? h.state}`);
    }
    if (!exiting) m.run();
    return;
  }

  store = createAppStore({
    catalogue: SCREEN_CATALOGUE,
    host: { hostname: os.hostname(), kernel: os.release(), cpus, isolated, bootTimeMs: Date.now() - os.uptime() * 1000 },
    intervalS: opts.intervalS,
    pinnedCpu: opts.cpu,
    enabled: opts.probes,
    showIdle: opts.showIdle,
    options: opts.probeOptions,
    cgroups: opts.cgroups,
    mouse: !opts.noMouse && (saved?.read.kind === 'ok' ? (saved.read.config.mouse ?? true) : true),
    settings: saved?.read.kind === 'ok' ? saved.read.config : undefined,
  });
  const m = (manager = new ProbeManager(CATALOGUE, {
    ...managerOptions,
    feedFlushMs: SCREEN_FEED_FLUSH_MS,
    sinks: [storeSink(store), ...recorderSinks, ...promSinks],
  }));
  store.getState().attach(m);
  if (saved?.read.kind === 'bad') store.getState().setNotice(saved.read.message);
  // Written on quit, unless --no-save, the file is read-only, or it could not be used (left as it was).
  const keep = saved && !opts.noSave && saved.read.kind !== 'bad' && !(saved.read.kind === 'ok' && saved.read.readOnly) ? saved : null;
  const write = writeConfig;
  if (keep && store && write) {
    const st = store;
    saveConfig = () => {
      const why = write(keep.path, configOf(st.getState()));
      if (why) notes.push(why);
    };
  }
  restoreUi = await showScreen(store, exit, m);
  // The first frame is drawn: the probes start behind it (their panes say starting…).
  void m.start(opts.probes);
  m.run();
}

/**
 * Headless, an output that fails (throws) is said on stderr in one line, and again when it works
 * again; the others go on (the manager calls each on its own). Its errors are counted in each
 * --json line's `sinks` too.
 */
function stderrReporter(): Sink {
  return {
    name: 'stderr',
    sinkHealth: (name, h) =>
      process.stderr.write(
        h.state === 'failed'
          ? `perfscope: output ${name} failed: ${h.reason ?? ''} (the probes and the other outputs go on)\n`
          : `perfscope: output ${name} works again\n`,
      ),
  };
}

/** Bytes read of a --password-file or --ca-file at most. */
const CLIENT_FILE_MAX = 1024 * 1024;

function readSmall(file: string, what: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : oneLine(e)}`);
  }
  if (buf.length > CLIENT_FILE_MAX) throw new Error(`${what} ${file}: larger than 1 MiB`);
  return buf.toString('utf8');
}

/**
 * Credentials and TLS trust for --connect and fleet: the user from --user, the password from
 * $PERFSCOPE_PASSWORD, else the first line of --password-file (never from argv, where `ps` and
 * the shell's history would show it); the CA from --ca-file, else the system's and
 * NODE_EXTRA_CA_CERTS's.
 */
function readClient(opts: Options): HttpClientOptions {
  const c = opts.client;
  let credentials: HttpClientOptions['credentials'] = null;
  if (c.user !== null) {
    let password = process.env.PERFSCOPE_PASSWORD;
    if (c.passwordFile !== null) password = readSmall(c.passwordFile, '--password-file').split(/\r?\n/)[0];
    if (password === undefined) throw new Error('--user needs the password in $PERFSCOPE_PASSWORD or --password-file FILE');
    if (/[\r\n]/.test(password) || c.user.includes(':')) throw new Error('--user: a user name cannot hold a colon (basic auth)');
    credentials = { user: c.user, password };
  }
  return { credentials, ca: c.caFile !== null ? readSmall(c.caFile, '--ca-file') : extraCa(), insecure: c.insecure };
}

/**
 * NODE_EXTRA_CA_CERTS, which the launcher moves aside to PERFSCOPE_NODE_EXTRA_CA_CERTS: Node
 * reads and parses that file at every start, before any code runs (60–80 ms with Debian's
 * bundle, most of the time to the first frame), yet only --connect and fleet make TLS
 * connections. Here it is read when one is asked for, and added to Node's own roots, as Node
 * does; as Node does too, a file that cannot be read is said in one line and left out.
 */
function extraCa(): string | null {
  const file = process.env.PERFSCOPE_NODE_EXTRA_CA_CERTS;
  if (!file) return null;
  try {
    return `${rootCertificates.join('\n')}\n${readSmall(file, 'NODE_EXTRA_CA_CERTS')}`;
  } catch (e) {
    process.stderr.write(`perfscope: warning: ${oneLine(e)}: left out, the system's CAs only\n`);
    return null;
  }
}

/** The fleet screen (src/ui/fleet-screen.tsx) on its store; returns what restores the terminal. */
async function showFleetScreen(
  store: FleetStore,
  onQuit: () => void,
  onError: (e: unknown) => void,
  onConnect: (url: string) => Promise<void>,
): Promise<Cleanup> {
  prepareInk();
  const { startFleetScreen } = await import('../ui/fleet-screen.js');
  return startFleetScreen(store, onQuit, onError, onConnect);
}

function prepareInk(): void {
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) if (k in process.env) process.env[k] = 'false';
  if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
}

/** Draw the screen on the store; returns what restores the terminal. */
async function showScreen(store: AppStore, exit: (code: number, message?: string) => void, manager?: ProbeManager): Promise<Cleanup> {
  // NO_COLOR (https://no-color.org): chalk, which Ink uses, does not read it; FORCE_COLOR=0
  // turns its colour level to 0 before it is loaded, so no colour escape is ever written.
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  // Ink draws nothing until it exits when it believes it runs in CI (its is-in-ci check reads
  // CI and CONTINUOUS_INTEGRATION once, at import; '0' and 'false' mean no). The screen only
  // starts on a real terminal, where someone is watching: tell Ink so, before it is imported.
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION']) if (k in process.env) process.env[k] = 'false';
  // React picks its build when it is first loaded: without NODE_ENV it is the development
  // build, which checks and records every render (DEV fibers, performance.measure per
  // component) — most of the screen's React time and garbage. NODE_ENV=development still wins.
  if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
  const { startScreen } = await import('../ui/screen.js');
  return startScreen(
    store,
    () => exit(0),
    (e) => exit(1, `internal error: ${oneLine(e)}`),
    (on) => manager?.setFeedsShown(on),
  );
}
