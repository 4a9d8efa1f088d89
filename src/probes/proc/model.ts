// The pure model of the `proc` probe: two raw samples and the seconds between them in, the
// `counters` object out, with the definitions and units of sysstat 12.6 (mpstat, iostat, sar,
// pidstat) and procps-ng 4.0 (vmstat, free). No I/O here: tests feed it hand-made samples.
import type {
  CountersSample,
  CpuPct,
  CpuTimes,
  DiskCounters,
  KernelTopRow,
  LoadCounters,
  MemCounters,
  NetCounters,
  RawDisk,
  RawProc,
  RawSample,
  TcpCounters,
  TopRow,
  VmstatCounters,
} from './types.js';
// counterDelta and rate: the wrap and restart rules are documented in src/model/counter.ts.
import { counterDelta, rate } from '../../model/counter.js';

/**
 * USER_HZ, the unit of every tick count in /proc/stat and /proc/PID/stat. It is 100 on Linux
 * x86_64 and arm64 whatever CONFIG_HZ is (`getconf CLK_TCK` prints 100 on this machine); the
 * kernel converts to USER_HZ before printing.
 */
export const CLK_TCK = 100;
/** Page size in kB, for pswpin/pswpout (counted in pages): 4 kB pages on x86_64. */
export const PAGE_KB = 4;
/** /proc/diskstats counts 512-byte sectors whatever the device's real sector size. */
export const SECTOR_BYTES = 512;
/** How many rows `top` and `top_on_pinned` hold. */
export const TOP_N = 10;

/** Round to 2 decimals, as sysstat prints (keeps the --json line short). */
export function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

// ---- CPU (mpstat -P ALL) ----

/** Tick deltas of one CPU over the interval, already corrected as mpstat corrects them. */
export interface CpuDelta {
  usr: number;
  nice: number;
  sys: number;
  iowait: number;
  irq: number;
  soft: number;
  steal: number;
  guest: number;
  gnice: number;
  idle: number;
}

const PCT_KEYS = ['usr', 'nice', 'sys', 'iowait', 'irq', 'soft', 'steal', 'guest', 'gnice', 'idle'] as const;

/**
 * mpstat's per-CPU deltas (sysstat get_per_cpu_interval and write_basic_stats):
 * - usr = delta(user - guest), nice = delta(nice - guest_nice): user and nice already include
 *   the guest times, which get their own columns. The kernel updates guest slightly before user,
 *   so (user - guest) can step back: mpstat shows 0 and adds the step to the interval; summing
 *   the corrected deltas below does exactly that.
 * - idle and iowait restart from 0 when a CPU comes back online (user/nice/system keep their
 *   values): mpstat then takes the previous value as 0, so the delta is the current value.
 * - any other counter going backwards: counterDelta (32-bit wrap or restart).
 */
export function cpuDelta(cur: CpuTimes, prev: CpuTimes): CpuDelta {
  const u = cur.user - cur.guest - (prev.user - prev.guest);
  const n = cur.nice - cur.guest_nice - (prev.nice - prev.guest_nice);
  return {
    usr: Math.max(0, u),
    nice: Math.max(0, n),
    sys: counterDelta(cur.system, prev.system),
    iowait: cur.iowait >= prev.iowait ? cur.iowait - prev.iowait : cur.iowait,
    irq: counterDelta(cur.irq, prev.irq),
    soft: counterDelta(cur.softirq, prev.softirq),
    steal: counterDelta(cur.steal, prev.steal),
    guest: counterDelta(cur.guest, prev.guest),
    gnice: counterDelta(cur.guest_nice, prev.guest_nice),
    idle: cur.idle >= prev.idle ? cur.idle - prev.idle : cur.idle,
  };
}

/**
 * Percentages of the interval: each delta / total * 100, where the total is the sum of all ten
 * corrected deltas (= mpstat's user+nice+system+iowait+idle+irq+softirq+steal delta plus its
 * "ishift"; guest and guest_nice counted once, since usr/nice exclude them). A tickless CPU with
 * no ticks at all in the interval is 100% idle, as mpstat shows it.
 */
export function cpuPercents(d: CpuDelta): CpuPct {
  const total = PCT_KEYS.reduce((a, k) => a + d[k], 0);
  const out = {} as CpuPct;
  for (const k of PCT_KEYS) out[k] = total > 0 ? r2((d[k] / total) * 100) : k === 'idle' ? 100 : 0;
  return out;
}

/**
 * mpstat -P ALL: one entry per CPU that has a line in both samples (a CPU that went offline
 * during the interval is omitted; one that came online appears from its next pair of samples),
 * and "all" as the sum of those CPUs' deltas, as mpstat 12 computes "all" from the individual CPUs
 * (so an offline CPU's frozen counters never distort it).
 */
export function cpuCounters(cur: Map<number, CpuTimes>, prev: Map<number, CpuTimes>): Record<string, CpuPct> {
  const sum: CpuDelta = { usr: 0, nice: 0, sys: 0, iowait: 0, irq: 0, soft: 0, steal: 0, guest: 0, gnice: 0, idle: 0 };
  const per: Record<string, CpuPct> = {};
  const ids = [...cur.keys()].filter((c) => prev.has(c)).sort((a, b) => a - b);
  for (const id of ids) {
    const d = cpuDelta(cur.get(id)!, prev.get(id)!);
    for (const k of PCT_KEYS) sum[k] += d[k];
    per[String(id)] = cpuPercents(d);
  }
  return { all: cpuPercents(sum), ...per };
}

// ---- load, vmstat, free ----

export function loadCounters(s: RawSample): LoadCounters {
  return {
    load1: s.loadavg.load1,
    load5: s.loadavg.load5,
    load15: s.loadavg.load15,
    running: s.stat.procsRunning,
    blocked: s.stat.procsBlocked,
    tasks: s.loadavg.tasks,
  };
}

const mi = (m: Record<string, number>, k: string): number => m[k] ?? 0;

/**
 * vmstat 1 (procps-ng 4.0.2):
 * - r = procs_running, b = procs_blocked of /proc/stat, printed unmodified by procps-ng (old
 *   procps 2.x subtracted vmstat itself; procps-ng does not, so r counts the reader too).
 * - swpd = SwapTotal - SwapFree, free = MemFree, buff = Buffers, cache = Cached + SReclaimable
 *   (procps-ng's "cache" includes reclaimable slab since 3.3.10), all in kB.
 * - si/so = pswpin/pswpout (pages) * page kB per second; bi/bo = pgpgin/pgpgout per second
 *   (the kernel already halves sectors into kB in /proc/vmstat).
 * - in = first field of "intr", cs = "ctxt", per second.
 * vmstat divides by the nominal delay and rounds to integers; we divide by the measured interval
 * and keep 2 decimals.
 */
export function vmstatCounters(cur: RawSample, prev: RawSample, dt: number): VmstatCounters {
  const m = cur.meminfo;
  const v = cur.vmstat;
  const pv = prev.vmstat;
  const vr = (k: string, scale = 1): number | null => (v && pv && v[k] !== undefined && pv[k] !== undefined ? r2(rate(v[k], pv[k], dt) * scale) : null);
  return {
    r: cur.stat.procsRunning,
    b: cur.stat.procsBlocked,
    swpd: mi(m, 'SwapTotal') - mi(m, 'SwapFree'),
    free: mi(m, 'MemFree'),
    buff: mi(m, 'Buffers'),
    cache: mi(m, 'Cached') + mi(m, 'SReclaimable'),
    si: vr('pswpin', PAGE_KB),
    so: vr('pswpout', PAGE_KB),
    bi: vr('pgpgin'),
    bo: vr('pgpgout'),
    in: r2(rate(cur.stat.intr, prev.stat.intr, dt)),
    cs: r2(rate(cur.stat.ctxt, prev.stat.ctxt, dt)),
  };
}

const mib = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

/**
 * free (procps-ng 4.0.2, checked on this machine: `free -k` used = MemTotal - MemAvailable):
 * used = total - available, buff_cache = Buffers + Cached + SReclaimable, shared = Shmem,
 * swap_used = SwapTotal - SwapFree. In MiB with one decimal (free -m truncates to integers).
 * Without MemAvailable (kernels before 3.14) available falls back to MemFree.
 */
export function memCounters(m: Record<string, number>): MemCounters {
  const total = mi(m, 'MemTotal');
  const available = m.MemAvailable ?? mi(m, 'MemFree');
  return {
    total: mib(total),
    used: mib(Math.max(0, total - available)),
    free: mib(mi(m, 'MemFree')),
    shared: mib(mi(m, 'Shmem')),
    buff_cache: mib(mi(m, 'Buffers') + mi(m, 'Cached') + mi(m, 'SReclaimable')),
    available: mib(available),
    swap_total: mib(mi(m, 'SwapTotal')),
    swap_used: mib(mi(m, 'SwapTotal') - mi(m, 'SwapFree')),
  };
}

// ---- disks (iostat -xz) ----

/**
 * Whether a diskstats entry is a partition of another entry: the kernel names partitions
 * "<disk><n>", or "<disk>p<n>" when the disk name ends in a digit (nvme0n1p1, mmcblk0p2, loop0p1),
 * on the disk's major or on 259 (blkext, the extended-devt major). (iostat asks sysfs — /sys/block lists whole devices only; the naming rule
 * gives the same answer from /proc alone, and works on fixture trees.)
 */
export function isPartition(d: RawDisk, all: Map<string, RawDisk>): boolean {
  if (!/\d$/.test(d.name)) return false;
  for (let cut = d.name.length - 1; cut > 0; cut--) {
    const base = d.name.slice(0, cut);
    const suffix = d.name.slice(cut);
    const disk = all.get(base);
    // Same major, or 259 (blkext): partitions past the 15th of sd, and all of nvme and loop.
    if (!disk || disk === d || (disk.major !== d.major && d.major !== 259)) continue;
    const endsInDigit = /\d$/.test(base);
    if (endsInDigit ? /^p\d+$/.test(suffix) : /^\d+$/.test(suffix)) return true;
  }
  return false;
}

/**
 * iostat -x (sysstat 12.6 compute_ext_disk_stats/write_ext_stat), per second:
 *   r_s = delta(reads)/dt, rkB_s = delta(sectors read)*512/1024/dt (w_s, wkB_s alike);
 *   r_await = delta(read ms)/delta(reads) (0 without reads; w_await alike);
 *   aqu_sz = delta(weighted ms)/interval ms; util = delta(io ms)/interval ms*100, capped at 100
 *   (iostat can print slightly more when its interval and the kernel's ticks disagree).
 * -z: only devices that completed a read, write, discard or flush in the interval; whole devices
 * only (no partitions), as iostat -x without -p.
 */
export function diskCounters(cur: Map<string, RawDisk>, prev: Map<string, RawDisk>, dt: number): Record<string, DiskCounters> {
  const out: Record<string, DiskCounters> = {};
  const ms = dt * 1000;
  for (const [name, c] of cur) {
    const p = prev.get(name);
    if (!p || isPartition(c, cur)) continue;
    const reads = counterDelta(c.reads, p.reads);
    const writes = counterDelta(c.writes, p.writes);
    if (!reads && !writes && !counterDelta(c.discards, p.discards) && !counterDelta(c.flushes, p.flushes)) continue;
    out[name] = {
      r_s: r2(dt > 0 ? reads / dt : 0),
      w_s: r2(dt > 0 ? writes / dt : 0),
      rkB_s: r2(rate(c.readSectors, p.readSectors, dt) * (SECTOR_BYTES / 1024)),
      wkB_s: r2(rate(c.writeSectors, p.writeSectors, dt) * (SECTOR_BYTES / 1024)),
      r_await: r2(reads ? counterDelta(c.readMs, p.readMs) / reads : 0),
      w_await: r2(writes ? counterDelta(c.writeMs, p.writeMs) / writes : 0),
      aqu_sz: r2(ms > 0 ? counterDelta(c.weightedMs, p.weightedMs) / ms : 0),
      util: r2(ms > 0 ? Math.min(100, (counterDelta(c.ioMs, p.ioMs) / ms) * 100) : 0),
    };
  }
  return out;
}

// ---- network (sar -n DEV, sar -n TCP,ETCP) ----

/** sar -n DEV: packets and kB (1024 bytes, as sar) per second, for interfaces present in both samples. */
export function netCounters(
  cur: Map<string, { rxBytes: number; rxPackets: number; txBytes: number; txPackets: number }>,
  prev: typeof cur,
  dt: number,
): Record<string, NetCounters> {
  const out: Record<string, NetCounters> = {};
  for (const [name, c] of cur) {
    const p = prev.get(name);
    if (!p) continue;
    out[name] = {
      rxpck_s: r2(rate(c.rxPackets, p.rxPackets, dt)),
      txpck_s: r2(rate(c.txPackets, p.txPackets, dt)),
      rxkB_s: r2(rate(c.rxBytes, p.rxBytes, dt) / 1024),
      txkB_s: r2(rate(c.txBytes, p.txBytes, dt) / 1024),
    };
  }
  return out;
}

/**
 * sar -n TCP (active/s ActiveOpens, passive/s PassiveOpens, iseg/s InSegs, oseg/s OutSegs) and
 * sar -n ETCP (atmptf/s AttemptFails, estres/s EstabResets, retrans/s RetransSegs, isegerr/s
 * InErrs, orsts/s OutRsts), all per second from the Tcp: line of /proc/net/snmp.
 */
export function tcpCounters(cur: Record<string, number> | null, prev: Record<string, number> | null, dt: number): TcpCounters | null {
  if (!cur || !prev) return null;
  const r = (k: string): number => r2(rate(cur[k] ?? 0, prev[k] ?? 0, dt));
  return {
    active_s: r('ActiveOpens'),
    passive_s: r('PassiveOpens'),
    iseg_s: r('InSegs'),
    oseg_s: r('OutSegs'),
    atmptf_s: r('AttemptFails'),
    estres_s: r('EstabResets'),
    retrans_s: r('RetransSegs'),
    isegerr_s: r('InErrs'),
    orsts_s: r('OutRsts'),
  };
}

// ---- processes (pidstat -u) ----

/**
 * pidstat -u, per process: with ticks = delta / (dt * CLK_TCK) * 100,
 *   usr = ticks(utime - guest_time) (0 if it steps back), system = ticks(stime),
 *   cpu_pct = ticks(utime + stime) — utime already includes guest time; a process with several
 *   busy threads exceeds 100, as pidstat without -I.
 * A pid absent from the previous sample, or whose start time changed (pid reused), started
 * during the interval: all its ticks belong to it. Processes gone at the end are not listed.
 * Only processes that used CPU in the interval are listed (pidstat hides idle ones), busiest first.
 */
export function processRows(cur: Map<number, RawProc>, prev: Map<number, RawProc>, dt: number): TopRow[] {
  const rows: TopRow[] = [];
  const scale = dt > 0 ? 100 / (dt * CLK_TCK) : 0;
  for (const [pid, c] of cur) {
    let p = prev.get(pid);
    if (p && p.starttime !== c.starttime) p = undefined;
    const pu = p ? p.utime : 0,
      ps = p ? p.stime : 0,
      pg = p ? p.guest : 0;
    const total = Math.max(0, c.utime + c.stime - (pu + ps));
    if (total === 0) continue;
    rows.push({
      pid,
      comm: c.comm,
      usr: r2(Math.max(0, c.utime - c.guest - (pu - pg)) * scale),
      system: r2(Math.max(0, c.stime - ps) * scale),
      cpu_pct: r2(total * scale),
      cpu: c.processor,
    });
  }
  rows.sort((a, b) => b.cpu_pct - a.cpu_pct || a.pid - b.pid);
  return rows;
}

/**
 * The same rows from the scheduler's figures (ns per process over the interval, KernelTop): the
 * time of every run is exact (sum_exec_runtime, what pidstat's tick counts approximate); usr and
 * system split it in the ratio the kernel's tick accounting saw (all usr when no tick fell in it,
 * as cputime_adjust() does). Processes that ran and exited within the interval are listed too.
 */
export function kernelProcessRows(rows: readonly KernelTopRow[], dt: number): TopRow[] {
  const out: TopRow[] = [];
  const scale = dt > 0 ? 100 / (dt * 1e9) : 0;
  for (const k of rows) {
    const split = k.usr_ns + k.sys_ns;
    const usr = split > 0 ? (k.run_ns * k.usr_ns) / split : k.run_ns;
    const pct = r2(k.run_ns * scale);
    if (pct <= 0) continue;
    out.push({ pid: k.pid, comm: k.comm, usr: r2(usr * scale), system: r2((k.run_ns - usr) * scale), cpu_pct: pct, cpu: k.cpu });
  }
  out.sort((a, b) => b.cpu_pct - a.cpu_pct || a.pid - b.pid);
  return out;
}

export interface ModelOptions {
  pinnedCpu?: number | null;
  /** A process left out of the top tables (perfscope's own, unless --include-self). */
  excludePid?: number | null;
  /** The top rows from the scheduler (KernelTop) instead of the samples' /proc/PID/stat, and the seconds they cover. */
  kernelTop?: { rows: readonly KernelTopRow[]; dt: number } | null;
}

/** The counters object for the interval between prev and cur (dt seconds). */
export function computeCounters(cur: RawSample, prev: RawSample, dt: number, opts: ModelOptions = {}): CountersSample {
  const skip = opts.excludePid;
  const all = opts.kernelTop ? kernelProcessRows(opts.kernelTop.rows, opts.kernelTop.dt > 0 ? opts.kernelTop.dt : dt) : processRows(cur.procs, prev.procs, dt);
  const rows = skip ? all.filter((r) => r.pid !== skip) : all;
  const out: CountersSample = {
    interval_s: Math.round(dt * 1000) / 1000,
    load: loadCounters(cur),
    cpu: cpuCounters(cur.stat.cpus, prev.stat.cpus),
    vmstat: vmstatCounters(cur, prev, dt),
    mem: memCounters(cur.meminfo),
    disks: diskCounters(cur.disks, prev.disks, dt),
    net: netCounters(cur.net, prev.net, dt),
    tcp: tcpCounters(cur.tcp, prev.tcp, dt),
    top: rows.slice(0, TOP_N),
  };
  const pin = opts.pinnedCpu;
  if (pin !== null && pin !== undefined) {
    out.pinned_cpu = pin;
    out.top_on_pinned = rows.filter((r) => r.cpu === pin).slice(0, TOP_N);
  }
  return out;
}

/** Seconds between two raw samples. */
export function elapsedSeconds(cur: RawSample, prev: RawSample): number {
  return Number(cur.tNs - prev.tNs) / 1e9;
}
