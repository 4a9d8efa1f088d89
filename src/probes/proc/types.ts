// Types of the `proc` probe: the raw cumulative counters the readers return, and the `counters`
// object of perfscope's --json line that the model computes from two raw samples.
import type { CgroupRef } from '../cgroup/registry.js';

/** One line of /proc/stat "cpuN": cumulative ticks (USER_HZ, see CLK_TCK). user includes guest, nice includes guest_nice. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guest_nice: number;
}

export interface RawStat {
  /** Per online CPU (offline CPUs have no line in /proc/stat). */
  cpus: Map<number, CpuTimes>;
  /** The aggregate "cpu" line (kept for reference; "all" is the sum of the per-CPU lines, as mpstat does). */
  total: CpuTimes | null;
  /** First field of "intr": all interrupts serviced since boot. */
  intr: number;
  ctxt: number;
  procsRunning: number;
  procsBlocked: number;
}

/** /proc/meminfo, values in kB (HugePages_* are counts, kept as they are). */
export type RawMeminfo = Record<string, number>;

/** /proc/vmstat, name -> value. */
export type RawVmstat = Record<string, number>;

/** One line of /proc/diskstats (Documentation/admin-guide/iostats.rst). Times in ms, sectors of 512 bytes. */
export interface RawDisk {
  major: number;
  minor: number;
  name: string;
  reads: number;
  readsMerged: number;
  readSectors: number;
  readMs: number;
  writes: number;
  writesMerged: number;
  writeSectors: number;
  writeMs: number;
  inFlight: number;
  /** "time spent doing I/Os": wall time with at least one I/O in flight (iostat's tot_ticks). */
  ioMs: number;
  /** "weighted time spent doing I/Os": sum of the in-flight time of every request (iostat's rq_ticks). */
  weightedMs: number;
  /** Kernel 4.18+ (0 when absent). */
  discards: number;
  /** Kernel 5.5+ (0 when absent). */
  flushes: number;
}

export interface RawNetDev {
  rxBytes: number;
  rxPackets: number;
  /** Received packets the interface or its driver dropped (the "drop" column). */
  rxDrop: number;
  txBytes: number;
  txPackets: number;
  txDrop: number;
}

export interface RawLoadavg {
  load1: number;
  load5: number;
  load15: number;
  /** Runnable scheduling entities (the "1" of "1/86"). */
  runnable: number;
  /** Scheduling entities (tasks) that exist (the "86" of "1/86"). */
  tasks: number;
  lastPid: number;
}

/** The fields of /proc/PID/stat we use (proc(5) numbering in comments). */
export interface RawProc {
  pid: number;
  /** Escaped (printable) comm. */
  comm: string;
  state: string;
  /** (14) ticks in user mode, including guest time. */
  utime: number;
  /** (15) ticks in kernel mode. */
  stime: number;
  /** (22) start time after boot in ticks: tells a reused pid from the process we saw before. */
  starttime: number;
  /** (39) CPU it last ran on. */
  processor: number;
  /** (43) ticks running a virtual CPU (0 on kernels without the field). */
  guest: number;
}

/**
 * Everything read in one tick. Counters are cumulative; the model takes differences. A 64-bit
 * counter at or above 2^63 is held as the signed 64-bit integer with the same bits (negative), so
 * that a wrap at 2^64 is exact (readers.ts parseCounter, model.ts counterDelta).
 */
export interface RawSample {
  /** Monotonic time of the read, ns. */
  tNs: bigint;
  stat: RawStat;
  meminfo: RawMeminfo;
  /** null when /proc/vmstat does not exist. */
  vmstat: RawVmstat | null;
  /** Empty when /proc/diskstats does not exist. */
  disks: Map<string, RawDisk>;
  /** Empty when /proc/net/dev does not exist. */
  net: Map<string, RawNetDev>;
  /** The "Tcp:" counters of /proc/net/snmp by name, or null when the file does not exist. */
  tcp: Record<string, number> | null;
  loadavg: RawLoadavg;
  procs: Map<number, RawProc>;
}

// ---- the counters object (--json "counters") ----

/** Percent of the interval (mpstat -P). */
export interface CpuPct {
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

export interface LoadCounters {
  load1: number;
  load5: number;
  load15: number;
  /** procs_running of /proc/stat. */
  running: number;
  /** procs_blocked of /proc/stat. */
  blocked: number;
  /** Total tasks, from /proc/loadavg. */
  tasks: number;
}

/** vmstat 1: memory in kB, si/so/bi/bo in kB/s, in/cs per second. */
export interface VmstatCounters {
  r: number;
  b: number;
  swpd: number;
  free: number;
  buff: number;
  cache: number;
  /** null when /proc/vmstat is missing. */
  si: number | null;
  so: number | null;
  bi: number | null;
  bo: number | null;
  in: number;
  cs: number;
}

/** free, in MiB (1024 * 1024 bytes). */
export interface MemCounters {
  total: number;
  used: number;
  free: number;
  shared: number;
  buff_cache: number;
  available: number;
  swap_total: number;
  swap_used: number;
}

/** iostat -x: per second, kB = 1024 bytes, await in ms, util in percent. */
export interface DiskCounters {
  r_s: number;
  w_s: number;
  rkB_s: number;
  wkB_s: number;
  r_await: number;
  w_await: number;
  aqu_sz: number;
  util: number;
}

/** sar -n DEV: per second, kB = 1024 bytes. */
export interface NetCounters {
  rxpck_s: number;
  txpck_s: number;
  rxkB_s: number;
  txkB_s: number;
}

/** sar -n TCP,ETCP: per second. */
export interface TcpCounters {
  active_s: number;
  passive_s: number;
  iseg_s: number;
  oseg_s: number;
  atmptf_s: number;
  estres_s: number;
  retrans_s: number;
  isegerr_s: number;
  orsts_s: number;
}

/** pidstat -u: percent of one CPU over the interval (cpu_pct can exceed 100 for multithreaded processes). */
export interface TopRow {
  pid: number;
  comm: string;
  usr: number;
  system: number;
  cpu_pct: number;
  /** CPU the process last ran on. */
  cpu: number;
  /** Its v2 cgroup (/proc/PID/cgroup; absent when it could not be read, or in older recordings). */
  cgroup?: CgroupRef;
}

/** One process's CPU time in an interval from the scheduler (src/probes/proc/kernel-top.ts), in ns. */
export interface KernelTopRow {
  pid: number;
  comm: string;
  run_ns: number;
  usr_ns: number;
  sys_ns: number;
  cpu: number;
  /** Its v2 cgroup id as the kernel saw it at a switch-out (0 or absent: not known, a run still going on). */
  cgroupId?: number;
}

export interface CountersSample {
  /** Seconds between the two raw samples the rates are computed over. */
  interval_s: number;
  load: LoadCounters;
  /** "all" and one key per CPU online in both samples ("0", "1", ...). */
  cpu: Record<string, CpuPct>;
  vmstat: VmstatCounters;
  mem: MemCounters;
  /** Whole devices with I/O completed in the interval (iostat -xz). */
  disks: Record<string, DiskCounters>;
  net: Record<string, NetCounters>;
  /** null when /proc/net/snmp is missing. */
  tcp: TcpCounters | null;
  /** The 10 busiest processes of the interval by cpu_pct. */
  top: TopRow[];
  /** Present only when the view is pinned to a CPU. */
  pinned_cpu?: number;
  /** The 10 busiest processes whose last CPU is the pinned CPU (present only when pinned). */
  top_on_pinned?: TopRow[];
  /**
   * Runs of tasks the scheduler's top table could not count in the interval (its generation was
   * full: more processes ran than it holds); absent when none, and with the table from /proc.
   */
  top_lost?: number;
}
