// Command line: perfscope [-C CPU] [-p PID] [-i SECONDS] [--probes LIST] [--no-bpf]
//                         [--json [--count N]] [--record FILE] [--listen [ADDR:]PORT [--no-screen]
//                         [--web-config FILE] [--prom-top N] [--prom-node]] [--help] [--version]
//               perfscope record -o FILE [--duration D] [--max-size SIZE] [--json] [options]
//               perfscope record --dir DIR [--shard D] [--retain D] [--max-disk SIZE] [options]
//               perfscope replay DIR|FILE [--json] [--at TIME] [--from TIME] [--to TIME]
//               perfscope replay DIR|FILE --slice --from T1 --to T2 -o OUT [--anonymize]
// The probe names (--probes) and the toggle keys in the usage come from the catalogue.
// Parsed with node:util parseArgs (strict); every bad input becomes a UsageError (exit 2).
import { parseArgs } from 'node:util';
import type { ScreenCatalogue } from '../views/view.js';
import { SCREEN_CATALOGUE } from '../views/views.js';
import { formatCpuList } from '../model/format.js';
import { parseDuration, parseSize, parseTimeSpec } from '../replay/units.js';
import { PROM_TOP_DEFAULT, PROM_TOP_MAX } from '../sinks/prometheus.js';
import { parseListen, type ListenAddress } from '../sinks/prometheus-http.js';
import { parseConnectUrl } from '../replay/remote.js';
import { parseOption, type OptionValue, type ProbeOption } from '../probes/types.js';

export class UsageError extends Error {}

export interface Options {
  cpu: number | null;
  pid: number | null;
  comm: string | null;
  /** --cgroup (repeatable): only tasks of these cgroups (paths, container names or ids, units), subtrees included. */
  cgroups: string[];
  /** --container-socket: the Docker-compatible API socket that names containers, or null for the defaults. */
  containerSocket: string | null;
  intervalS: number;
  /** Names of the probes to start, in catalogue order. */
  probes: string[];
  noBpf: boolean;
  json: boolean;
  count: number | null;
  showIdle: boolean;
  /** --include-self: keep perfscope's own process in the feeds and the per-task tables. */
  includeSelf: boolean;
  /** --listen: serve /metrics there (Prometheus), or null. */
  listen: ListenAddress | null;
  /** --web-config FILE (only with --listen): TLS, basic auth and headers (exporter-toolkit's format), or null. */
  webConfig: string | null;
  /** --no-screen (only with --listen): run headless, as a service. */
  noScreen: boolean;
  promTop: number;
  promNode: boolean;
  help: boolean;
  version: boolean;
  /** `perfscope record` (headless recording), `perfscope replay FILE`, or the live console. */
  command: 'live' | 'record' | 'replay' | 'fleet';
  /** Record every interval to this file (record -o FILE, --record FILE), or null. */
  record: string | null;
  /** Recording: stop after this long (seconds), or null. */
  durationS: number | null;
  /** Recording: stop before the file would exceed this (bytes), or null. */
  maxSize: number | null;
  /** record --dir: the directory of shards, or null. */
  recordDir: string | null;
  /** record --dir: a new shard after this long (seconds; --shard, default 1h). */
  shardS: number;
  /** record --dir: delete shards that started longer ago than this (seconds; --retain, default 7d), or null. */
  retainS: number | null;
  /** record --dir: all the shards together at most this many bytes (--max-disk), or null. */
  maxDisk: number | null;
  /** replay: the recording to read (a file, or a directory of shards). */
  replayFile: string | null;
  /** replay: the range, as typed (HH:MM:SS UTC, ISO 8601 or relative: 10m ago, -2h). */
  from: string | null;
  to: string | null;
  /** replay: start at this time (the screen), or print only the interval at it (--json). */
  at: string | null;
  /** replay --slice: write the range as a recording to `sliceOut`. */
  slice: boolean;
  sliceOut: string | null;
  /** replay --slice --anonymize: pseudonyms for every comm, argv, path, host and address. */
  anonymize: boolean;
  /** The values of each probe's own option (--trace ...), as typed, by probe name (resolved later, against the host). */
  probeArgs: Record<string, string[]>;
  /** Each probe's settings given on the command line (--frequency 99, --offcpu-stacks), by probe name, then flag. */
  probeOptions: Record<string, Record<string, OptionValue>>;
  /** --folded: no screen; print the run's stacks as folded lines (flame graphs) at the end. */
  folded: boolean;
  /** --pprof FILE: no screen; write the run's stacks as a gzipped profile.proto at the end. */
  pprof: string | null;
  /** --config FILE: the saved configuration to read and write (null: $XDG_CONFIG_HOME/perfscope/perfscope.conf). */
  config: string | null;
  /** --no-save: the configuration is read but not written on quit. */
  noSave: boolean;
  /** --no-mouse: the screen does not ask for mouse reports. */
  noMouse: boolean;
  /** Were -i and --probes given on the command line (they win over the saved configuration)? */
  intervalGiven: boolean;
  probesGiven: boolean;
  /** --connect URL: the screen (or --json) of a remote perfscope's stream, or null. */
  connect: URL | null;
  /** How to reach --connect's remote or fleet's Prometheus: --user, --password-file, --ca-file, --insecure. */
  client: ClientArgs;
  /** `perfscope fleet`: its own options, or null. */
  fleet: FleetArgs | null;
}

/** --user (the password from PERFSCOPE_PASSWORD or --password-file, never argv), --ca-file, --insecure. */
export interface ClientArgs {
  readonly user: string | null;
  readonly passwordFile: string | null;
  readonly caFile: string | null;
  readonly insecure: boolean;
}

/** perfscope fleet --prometheus URL [--host-label NAME] [--window D] [--stream-port PORT] [--stream-scheme S]. */
export interface FleetArgs {
  readonly prometheus: URL;
  readonly hostLabel: string;
  /** The rates' window, seconds. */
  readonly windowS: number;
  /** Enter's --connect target: SCHEME://HOST:PORT/stream, HOST from the instance label; PORT its port unless given. */
  readonly streamPort: number | null;
  readonly streamScheme: 'http' | 'https' | null;
  readonly filter: string | null;
}

const NO_CLIENT: ClientArgs = { user: null, passwordFile: null, caFile: null, insecure: false };

const CLIENT_FLAGS = {
  user: { type: 'string' },
  'password-file': { type: 'string' },
  'ca-file': { type: 'string' },
  insecure: { type: 'boolean' },
} as const;

function clientArgs(values: Record<string, unknown>): ClientArgs {
  const s = (k: string) => values[k] as string | undefined;
  for (const k of ['user', 'password-file', 'ca-file']) if (s(k) === '') throw new UsageError(`--${k} needs a value`);
  if (s('password-file') !== undefined && s('user') === undefined) throw new UsageError('--password-file goes with --user');
  return { user: s('user') ?? null, passwordFile: s('password-file') ?? null, caFile: s('ca-file') ?? null, insecure: values.insecure === true };
}

/** Every probe's settings, with the probe they belong to. */
function allOptions(cat: ScreenCatalogue): { probe: string; o: ProbeOption }[] {
  return cat.flatMap((p) => (p.options ?? []).map((o) => ({ probe: p.name, o })));
}

export function usage(cat: ScreenCatalogue = SCREEN_CATALOGUE): string {
  const names = cat.map((p) => p.name);
  const toggles = cat.filter((p) => p.key !== null);
  return `Usage: perfscope [options]
       perfscope record -o FILE [--duration D] [--max-size SIZE] [--json] [options]
       perfscope record --dir DIR [--shard D] [--retain D] [--max-disk SIZE] [options]
       perfscope replay DIR|FILE [--json] [--at TIME] [--from TIME] [--to TIME]
       perfscope replay DIR|FILE --slice --from TIME --to TIME -o OUT [--anonymize]
       perfscope --connect URL [--json [--count N]] [--user USER] [--ca-file FILE]
       perfscope fleet --prometheus URL [--host-label NAME] [--window D] [--json [--count N]]

Live performance console, refreshed every interval: ${cat.map((p) => p.title).join(', ')}.

Options:
  -C, --cpu CPU         pin the view (and the off-CPU probe's kernel filter) to one CPU;
                        -C isolated: the first isolated CPU (isolcpus, nohz_full, cpuset partition)
  -p, --pid PID         only events of this process (feeds)
  -c, --comm TEXT       only events of tasks whose name contains TEXT (feeds)
      --cgroup CG       only tasks of this cgroup and the cgroups below it, filtered in the kernel
                        by every probe: a v2 cgroup path (/system.slice/x.service), a container
                        name or id (prefix), a systemd unit; repeatable (docs/containers.md)
      --container-socket PATH  the Docker-compatible API socket that names containers
                        (default: /run/podman/podman.sock, /var/run/docker.sock)
  -i, --interval SECS   refresh interval in seconds (default 1, min 0.1)
      --probes LIST     comma-separated probes to start: ${names.join(',')} (default: all but ${
        cat
          .filter((p) => p.startsOff)
          .map((p) => p.name)
          .join(', ') || 'none'
      })
      --no-bpf          start no BPF probe (counters from /proc only)
      --show-idle       show the idle tasks (pid 0) in the off-CPU pane
      --include-self    keep perfscope's own process in the feeds and the per-task tables
${cat
  .filter((p) => p.args)
  .map((p) => `      --${p.args!.flag} ${p.args!.metavar}\n                        ${p.args!.help}\n`)
  .join('')}${allOptions(cat)
  .map(
    ({ o }) => `  ${o.short ? `-${o.short}, ` : '    '}--${o.flag}${o.kind === 'integer' ? ` ${o.metavar ?? 'N'}` : ''}\n                        ${o.help}\n`,
  )
  .join('')}      --json            no screen: print one JSON object per interval (NDJSON) to stdout
      --folded          no screen: sample stacks for -d SECONDS (default 10, or until Ctrl-C), then print
                        them as folded lines for flame graphs (--probes profile, the default, or offcpu)
      --pprof FILE      as --folded, but write them to FILE as a gzipped profile.proto (go tool pprof,
                        Pyroscope); with --folded, both
  -n, --count N         with --json: exit after N intervals
      --record FILE     also record every interval to FILE (as perfscope record does)
  -o, --output FILE     record: the recording file (created or truncated, mode 0600)
  -d, --duration D      recording, --folded, --pprof: stop after D (90s, 10m, 1h; a bare number is seconds)
      --max-size SIZE   recording: stop before the file would grow past SIZE (e.g. 10M)
      --dir DIR         record: shards in DIR (created 0700), named by their start time
      --shard D         record --dir: a new shard every D (default 1h; SIGHUP: now)
      --retain D        record --dir: delete shards started more than D ago (default 7d)
      --max-disk SIZE   record --dir: delete the oldest shards to keep all within SIZE
      --from, --to TIME replay: only the intervals in this range (HH:MM[:SS] UTC, ISO 8601,
                        or relative to now: 10m ago, -2h)
      --at TIME         replay: start there (with --json: that interval only)
      --slice -o OUT    replay: write the --from/--to range as a recording OUT
      --anonymize       replay --slice: every comm, argv, path, host, address a pseudonym
      --listen [ADDR:]PORT  serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR 127.0.0.1 unless given)
      --no-screen       with --listen: no screen, run as a service (no TTY needed)
      --web-config FILE
                        with --listen: HTTPS, basic auth and headers from FILE (the web config
                        of Prometheus' exporter-toolkit, as node_exporter's --web.config.file)
      --prom-top N      with --listen: off-CPU gauges for the top N tasks per CPU (1-${PROM_TOP_MAX}, default ${PROM_TOP_DEFAULT})
      --prom-node       with --listen: also a few /proc figures under node_exporter's names
      --connect URL     the screen (or --json lines) of a remote perfscope --listen: its /stream,
                        read-only (docs/fleet.md)
      --user USER       --connect, fleet: basic auth user; the password from $PERFSCOPE_PASSWORD
                        or --password-file FILE (first line), never from the command line
      --ca-file FILE    --connect, fleet: the CA of the server's certificate (https)
      --insecure        --connect, fleet: do not verify the server's certificate
fleet: --prometheus URL the Prometheus that scrapes the perfscopes; --host-label NAME (default
                        instance), --window D (rates, default 1m), -i SECS refresh (default 2),
                        --filter TEXT, --stream-port PORT, --stream-scheme http|https (Enter)
      --config FILE     the saved configuration (default $XDG_CONFIG_HOME/perfscope/perfscope.conf)
      --no-save         do not write the configuration on quit
      --no-mouse        do not ask the terminal for mouse reports
  -h, --help            show this help
  -V, --version         show the version

Keys: q quit, ? help, ${toggles.map((p) => p.key).join(' ')} toggle ${toggles.map((p) => p.name).join('/')}, ] [ pin next/previous CPU,
a all CPUs, space pause, Tab focus (the pane shown large), / filter the focused feed,
< > (F6) I sort the focused table, p layout preset, v choose panes, h hide the focused pane,
i idle tasks, + add a ${
    cat
      .filter((p) => p.args)
      .map((p) => `--${p.args!.flag}`)
      .join('/') || 'probe'
  } value (Tab completes), - remove the selected row (up/down select). Replay: space pause, t T step, j J jump 10, g go to a time, q quit.
BPF probes need root (CAP_BPF and CAP_PERFMON) and a kernel with BTF.`;
}

function intArg(name: string, v: string, min: number): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a whole number, got '${v}'`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be >= ${min}, got '${v}'`);
  return n;
}

/** The options of a command that runs no probe (replay, fleet): every probe field at its default. */
function noProbeOptions(names: string[]): Options {
  return {
    cpu: null,
    pid: null,
    comm: null,
    cgroups: [],
    containerSocket: null,
    intervalS: 1,
    probes: names,
    noBpf: true,
    json: false,
    count: null,
    showIdle: false,
    includeSelf: false,
    help: false,
    version: false,
    command: 'live',
    record: null,
    durationS: null,
    maxSize: null,
    recordDir: null,
    shardS: 3600,
    retainS: null,
    maxDisk: null,
    replayFile: null,
    from: null,
    to: null,
    at: null,
    slice: false,
    sliceOut: null,
    anonymize: false,
    listen: null,
    webConfig: null,
    noScreen: false,
    promTop: PROM_TOP_DEFAULT,
    promNode: false,
    probeArgs: {},
    probeOptions: {},
    folded: false,
    pprof: null,
    // A replay or the fleet reads no configuration and writes none: it shows a recording or other hosts, not this host.
    config: null,
    noSave: true,
    noMouse: false,
    intervalGiven: false,
    probesGiven: false,
    connect: null,
    client: NO_CLIENT,
    fleet: null,
  };
}

/** perfscope fleet --prometheus URL [--host-label L] [--window D] [--filter TEXT] [--stream-port P] [--stream-scheme S] [-i S] [--json [-n N]]. */
function fleetOptions(argv: readonly string[], names: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        prometheus: { type: 'string' },
        'host-label': { type: 'string' },
        window: { type: 'string' },
        filter: { type: 'string' },
        'stream-port': { type: 'string' },
        'stream-scheme': { type: 'string' },
        interval: { type: 'string', short: 'i' },
        json: { type: 'boolean' },
        count: { type: 'string', short: 'n' },
        'no-mouse': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...CLIENT_FLAGS,
      },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const o = noProbeOptions(names);
  o.command = 'fleet';
  o.help = values.help === true;
  if (o.help) return o;
  const str = (k: string) => values[k] as string | undefined;
  if (str('prometheus') === undefined) throw new UsageError('perfscope fleet needs --prometheus URL (e.g. http://prometheus:9090)');
  let prometheus: URL;
  try {
    prometheus = new URL(str('prometheus')!);
  } catch {
    throw new UsageError(`--prometheus: '${str('prometheus')}' is not a URL (e.g. http://127.0.0.1:9090)`);
  }
  if (prometheus.protocol !== 'http:' && prometheus.protocol !== 'https:') throw new UsageError('--prometheus: the URL must be http:// or https://');
  if (prometheus.username || prometheus.password)
    throw new UsageError('--prometheus: no credentials in the URL; give --user and the password in PERFSCOPE_PASSWORD or --password-file');
  const hostLabel = str('host-label') ?? 'instance';
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(hostLabel)) throw new UsageError(`--host-label must be a Prometheus label name, got '${hostLabel}'`);
  let windowS = 60;
  if (str('window') !== undefined) {
    try {
      windowS = parseDuration(str('window')!);
    } catch (e) {
      throw new UsageError(`--window: ${(e as Error).message}`);
    }
    if (windowS < 1 || windowS > 86400 || !Number.isInteger(windowS)) throw new UsageError('--window must be a whole number of seconds between 1s and 1d');
  }
  if (str('interval') !== undefined) {
    const v = str('interval')!;
    if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < 0.5 || Number(v) > 3600) throw new UsageError(`-i/--interval must be between 0.5 and 3600 seconds, got '${v}'`);
    o.intervalS = Number(v);
    o.intervalGiven = true;
  } else o.intervalS = 2;
  let streamPort: number | null = null;
  if (str('stream-port') !== undefined) {
    streamPort = intArg('--stream-port', str('stream-port')!, 1);
    if (streamPort > 65535) throw new UsageError('--stream-port must be between 1 and 65535');
  }
  const scheme = str('stream-scheme');
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') throw new UsageError(`--stream-scheme is http or https, got '${scheme}'`);
  o.json = values.json === true;
  o.count = str('count') !== undefined ? intArg('-n/--count', str('count')!, 1) : null;
  if (o.count !== null && !o.json) throw new UsageError('-n/--count only goes with --json');
  o.noMouse = values['no-mouse'] === true;
  o.client = clientArgs(values);
  o.fleet = { prometheus, hostLabel, windowS, streamPort, streamScheme: scheme ?? null, filter: str('filter') ?? null };
  return o;
}

function replayOptions(argv: readonly string[], names: string[]): Options {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  // A time may start with a minus (--from -2h), which parseArgs takes for an option: such a value
  // right after --from, --to or --at is joined to its flag (--from=-2h).
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if ((a === '--from' || a === '--to' || a === '--at') && v !== undefined && /^-\d/.test(v)) {
      args.push(`${a}=${v}`);
      i++;
    } else args.push(a);
  }
  try {
    ({ values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        from: { type: 'string' },
        to: { type: 'string' },
        at: { type: 'string' },
        slice: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        anonymize: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help !== true && positionals.length !== 1) throw new UsageError('replay takes one recording: perfscope replay DIR|FILE');
  const slice = values.slice === true;
  const out = (values.output as string | undefined) ?? null;
  if (slice) {
    if (out === null || out === '') throw new UsageError("replay --slice needs -o OUT (the slice's file)");
    if (values.json === true) throw new UsageError('replay --slice writes a recording, not --json lines');
    if (values.at !== undefined) throw new UsageError('replay --slice takes --from and --to, not --at');
  } else {
    if (out !== null) throw new UsageError('-o/--output only goes with replay --slice');
    if (values.anonymize === true) throw new UsageError('--anonymize only goes with replay --slice');
  }
  for (const k of ['from', 'to', 'at'] as const) {
    const v = values[k] as string | undefined;
    if (v === undefined) continue;
    try {
      parseTimeSpec(v);
    } catch (e) {
      throw new UsageError(`--${k}: ${(e as Error).message}`);
    }
  }
  return {
    ...noProbeOptions(names),
    json: values.json === true,
    help: values.help === true,
    command: 'replay',
    replayFile: positionals[0] ?? null,
    from: (values.from as string | undefined) ?? null,
    to: (values.to as string | undefined) ?? null,
    at: (values.at as string | undefined) ?? null,
    slice,
    sliceOut: out,
    anonymize: values.anonymize === true,
  };
}

/**
 * `isolatedCpus`: the online CPUs this host sets apart (isolcpus, nohz_full, cgroup v2
 * partitions), ascending: `-C isolated` pins the first.
 */
export function parseOptions(
  argv: readonly string[],
  onlineCpus: readonly number[],
  cat: ScreenCatalogue = SCREEN_CATALOGUE,
  isolatedCpus: readonly number[] = [],
): Options {
  const names: string[] = cat.map((p) => p.name);
  if (argv[0] === 'replay') return replayOptions(argv.slice(1), names);
  if (argv[0] === 'fleet') return fleetOptions(argv.slice(1), names);
  const command = argv[0] === 'record' ? 'record' : 'live';
  let values: Record<string, string | boolean | string[] | undefined>;
  const own = cat.filter((p) => p.args);
  try {
    ({ values } = parseArgs({
      args: command === 'record' ? argv.slice(1) : [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        cpu: { type: 'string', short: 'C' },
        pid: { type: 'string', short: 'p' },
        comm: { type: 'string', short: 'c' },
        cgroup: { type: 'string', multiple: true },
        'container-socket': { type: 'string' },
        interval: { type: 'string', short: 'i' },
        probes: { type: 'string' },
        'no-bpf': { type: 'boolean' },
        'show-idle': { type: 'boolean' },
        'include-self': { type: 'boolean' },
        json: { type: 'boolean' },
        count: { type: 'string', short: 'n' },
        listen: { type: 'string' },
        'web-config': { type: 'string' },
        'no-screen': { type: 'boolean' },
        'prom-top': { type: 'string' },
        'prom-node': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
        record: { type: 'string' },
        output: { type: 'string', short: 'o' },
        duration: { type: 'string', short: 'd' },
        folded: { type: 'boolean' },
        pprof: { type: 'string' },
        'max-size': { type: 'string' },
        dir: { type: 'string' },
        shard: { type: 'string' },
        retain: { type: 'string' },
        'max-disk': { type: 'string' },
        config: { type: 'string' },
        'no-save': { type: 'boolean' },
        'no-mouse': { type: 'boolean' },
        connect: { type: 'string' },
        ...CLIENT_FLAGS,
        ...Object.fromEntries(own.map((p) => [p.args!.flag, { type: 'string' as const, multiple: true as const }])),
        ...Object.fromEntries(
          allOptions(cat).map(({ o }) => [
            o.flag,
            { type: o.kind === 'boolean' ? ('boolean' as const) : ('string' as const), ...(o.short ? { short: o.short } : {}) },
          ]),
        ),
      },
    }));
  } catch (e) {
    // parseArgs' messages are one line already, but mention --help.
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const str = (k: string) => values[k] as string | undefined;
  let cpu: number | null = null;
  if (str('cpu') === 'isolated') {
    if (isolatedCpus.length === 0)
      throw new UsageError(
        '-C isolated: this host has no isolated CPU (none in /sys/devices/system/cpu/isolated or nohz_full, no cgroup v2 isolated or root partition)',
      );
    cpu = isolatedCpus[0];
  } else if (str('cpu') !== undefined) {
    cpu = intArg('-C/--cpu', str('cpu')!, 0);
    if (!onlineCpus.includes(cpu)) throw new UsageError(`CPU ${cpu} is not online (online: ${formatCpuList(onlineCpus)})`);
  }
  const pid = str('pid') !== undefined ? intArg('-p/--pid', str('pid')!, 1) : null;
  let intervalS = 1;
  if (str('interval') !== undefined) {
    const v = str('interval')!;
    if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`-i/--interval must be a number of seconds, got '${v}'`);
    intervalS = Number(v);
    if (intervalS < 0.1 || intervalS > 3600) throw new UsageError(`-i/--interval must be between 0.1 and 3600 seconds, got '${v}'`);
  }
  const pprof = str('pprof') ?? null;
  if (pprof === '') throw new UsageError('--pprof needs a file name');
  const folded = values.folded === true || pprof !== null;
  const listed = str('probes')
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  let probes: string[] = cat.filter((p) => !p.startsOff).map((p) => p.name);
  if (folded) {
    // Stacks only: one of the probes that have them.
    const stackProbes: string[] = cat.filter((p) => p.folded).map((p) => p.name);
    const list = listed ?? cat.filter((p) => p.folded?.default).map((p) => p.name);
    const what = values.folded === true ? '--folded' : '--pprof';
    for (const p of list) if (!stackProbes.includes(p)) throw new UsageError(`${what} takes --probes ${stackProbes.join(' or ')}, not '${p}'`);
    if (list.length !== 1) throw new UsageError(`${what} takes one of --probes ${stackProbes.join(', ')}`);
    if (values.json === true || str('listen') !== undefined || str('record') !== undefined || command === 'record')
      throw new UsageError(`${what} goes with neither --json, --listen nor a recording`);
    probes = list;
  } else if (listed !== undefined) {
    const list = listed;
    if (list.length === 0) throw new UsageError('--probes needs at least one probe name');
    for (const p of list) {
      if (!names.includes(p)) throw new UsageError(`unknown probe '${p}' (probes: ${names.join(', ')})`);
    }
    probes = names.filter((n) => list.includes(n));
  }
  const json = values.json === true;
  const count = str('count') !== undefined ? intArg('-n/--count', str('count')!, 1) : null;
  if (count !== null && !json) throw new UsageError('-n/--count only goes with --json');
  const comm = str('comm') ?? null;
  if (comm !== null && comm.length === 0) throw new UsageError('-c/--comm needs some text');
  const cgroupList = ((values.cgroup as string[] | undefined) ?? []).map((v) => v.trim());
  if (cgroupList.some((v) => v.length === 0)) throw new UsageError('--cgroup needs a cgroup path, a container name or id, or a unit');
  if (cgroupList.some((v) => v.length > 4096)) throw new UsageError('--cgroup: a value is longer than 4096 characters');
  const containerSocket = str('container-socket') ?? null;
  if (containerSocket !== null && containerSocket.length === 0) throw new UsageError('--container-socket needs a path');
  let record: string | null = null;
  const recordDir = str('dir') ?? null;
  if (command === 'record') {
    if (str('record') !== undefined) throw new UsageError('perfscope record takes -o FILE or --dir DIR, not --record');
    record = str('output') ?? null;
    if (record !== null && recordDir !== null) throw new UsageError('perfscope record takes -o FILE or --dir DIR, not both');
    if (record === null && recordDir === null) throw new UsageError('perfscope record needs -o FILE or --dir DIR');
    if (recordDir !== null) {
      if (recordDir.length === 0) throw new UsageError('--dir needs a directory');
      record = recordDir;
      if (str('max-size') !== undefined) throw new UsageError('--max-size is for one file (-o); a directory takes --max-disk');
    }
  } else {
    if (recordDir !== null) throw new UsageError('--dir only goes with perfscope record');
    if (str('output') !== undefined) throw new UsageError('-o/--output only goes with perfscope record');
    record = str('record') ?? null;
  }
  if (record !== null && record.length === 0) throw new UsageError('the recording file name is empty');
  const unit = <T>(flag: string, f: (v: string) => T): T | null => {
    const v = str(flag);
    if (v === undefined) return null;
    if (record === null) throw new UsageError(`--${flag} only goes with a recording (perfscope record, --record)`);
    try {
      return f(v);
    } catch (e) {
      throw new UsageError(`--${flag}: ${(e as Error).message}`);
    }
  };
  let durationS: number | null;
  if (folded && str('duration') !== undefined) {
    try {
      durationS = parseDuration(str('duration')!);
    } catch (e) {
      throw new UsageError(`-d/--duration: ${(e as Error).message}`);
    }
  } else durationS = unit('duration', parseDuration);
  const maxSize = unit('max-size', parseSize);
  for (const f of ['shard', 'retain', 'max-disk'])
    if (str(f) !== undefined && recordDir === null) throw new UsageError(`--${f} only goes with perfscope record --dir`);
  const shardS = unit('shard', parseDuration) ?? 3600;
  const retainS = unit('retain', parseDuration) ?? (recordDir !== null ? 7 * 86_400 : null);
  const maxDisk = unit('max-disk', parseSize);
  let listen: ListenAddress | null = null;
  if (str('listen') !== undefined) {
    try {
      listen = parseListen(str('listen')!);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const noScreen = values['no-screen'] === true;
  const webConfig = str('web-config') ?? null;
  if (webConfig !== null && !listen) throw new UsageError('--web-config only goes with --listen');
  if (webConfig === '') throw new UsageError('--web-config needs a file name');
  if (noScreen && !listen) throw new UsageError('--no-screen only goes with --listen (for headless output without it, use --json)');
  let promTop = PROM_TOP_DEFAULT;
  if (str('prom-top') !== undefined) {
    promTop = intArg('--prom-top', str('prom-top')!, 1);
    if (promTop > PROM_TOP_MAX) throw new UsageError(`--prom-top must be between 1 and ${PROM_TOP_MAX}, got '${str('prom-top')}'`);
  }
  if ((str('prom-top') !== undefined || values['prom-node'] === true) && !listen) throw new UsageError('--prom-top and --prom-node only go with --listen');
  let connect: URL | null = null;
  if (str('connect') !== undefined) {
    try {
      connect = parseConnectUrl(str('connect')!);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const clash = ['listen', 'record', 'folded', 'probes', 'pid', 'comm', 'cgroup', 'no-bpf', 'interval', 'cpu'].filter((k) => values[k] !== undefined);
    if (clash.length || command !== 'live')
      throw new UsageError(`--connect shows a remote perfscope as it runs: it takes no --${clash[0] ?? 'record'} (set those on the remote)`);
  }
  const client = clientArgs(values);
  if (!connect && (client.user !== null || client.caFile !== null || client.insecure))
    throw new UsageError('--user, --password-file, --ca-file and --insecure go with --connect (or fleet)');
  const probeArgs: Record<string, string[]> = {};
  for (const p of own) {
    const v = values[p.args!.flag] as string[] | undefined;
    if (!v?.length) continue;
    if (!probes.includes(p.name)) throw new UsageError(`--${p.args!.flag} needs the ${p.name} probe, which --probes leaves out`);
    if (v.some((x) => x.trim() === '')) throw new UsageError(`--${p.args!.flag} needs a value (${p.args!.metavar})`);
    probeArgs[p.name] = v;
  }
  const probeOptions: Record<string, Record<string, OptionValue>> = {};
  for (const { probe, o } of allOptions(cat)) {
    const v = values[o.flag] as string | boolean | undefined;
    if (v === undefined) continue;
    if (!probes.includes(probe)) throw new UsageError(`--${o.flag} needs the ${probe} probe, which --probes leaves out`);
    try {
      (probeOptions[probe] ??= {})[o.flag] = parseOption(o, v);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  // The settings a probe needs for its stacks (the off-CPU stacks of --folded --probes offcpu).
  if (folded) {
    for (const p of cat) if (probes.includes(p.name) && p.folded?.options) probeOptions[p.name] = { ...(probeOptions[p.name] ?? {}), ...p.folded.options };
  }
  return {
    probeArgs,
    probeOptions,
    folded: values.folded === true,
    pprof,
    command,
    record,
    durationS,
    maxSize,
    recordDir,
    shardS,
    retainS,
    maxDisk,
    replayFile: null,
    from: null,
    to: null,
    at: null,
    slice: false,
    sliceOut: null,
    anonymize: false,
    cpu,
    pid,
    comm,
    cgroups: cgroupList,
    containerSocket,
    intervalS,
    probes,
    noBpf: values['no-bpf'] === true,
    json,
    count,
    showIdle: values['show-idle'] === true,
    includeSelf: values['include-self'] === true,
    listen,
    webConfig,
    noScreen,
    promTop,
    promNode: values['prom-node'] === true,
    help: values.help === true,
    version: values.version === true,
    config: str('config') ?? null,
    noSave: values['no-save'] === true,
    noMouse: values['no-mouse'] === true,
    intervalGiven: str('interval') !== undefined,
    probesGiven: listed !== undefined,
    connect,
    client,
    fleet: null,
  };
}
