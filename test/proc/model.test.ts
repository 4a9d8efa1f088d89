// The pure model (sample, previous, elapsed) -> counters, on the fixture trees. Every expected
// number is worked out by hand from the fixture values in make-fixtures.mjs (shown in comments),
// with sysstat's definitions; and ProcProbe itself on a tree that changes under it.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  kernelProcessRows,
  computeCounters,
  cpuCounters,
  cpuDelta,
  cpuPercents,
  diskCounters,
  elapsedSeconds,
  isPartition,
  memCounters,
  netCounters,
  processRows,
  tcpCounters,
  vmstatCounters,
} from '../../src/probes/proc/model.js';
import { counterDelta, rate } from '../../src/model/counter.js';
import { readDiskstats, readNetDev, readRaw, readSnmp, readStat } from '../../src/probes/proc/readers.js';
import { ProcProbe } from '../../src/probes/proc.js';
import { TOP_N } from '../../src/probes/proc/model.js';
import type { CpuTimes, RawDisk, RawProc, RawSample } from '../../src/probes/proc/types.js';

const FX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const raw = (tree: string, s: number): RawSample => readRaw(join(FX, tree), () => BigInt(s * 1e9));
// host-a: t0 and t1 are 2 s apart.
const A0 = raw('host-a/t0', 100);
const A1 = raw('host-a/t1', 102);
// wrap: only diskstats, net/dev and net/snmp, 1 s apart.
const wrap = (t: string) => ({ disks: readDiskstats(join(FX, 'wrap', t)), net: readNetDev(join(FX, 'wrap', t)), tcp: readSnmp(join(FX, 'wrap', t)) });
const W0 = wrap('t0');
const W1 = wrap('t1');
const U32 = 2 ** 32;

describe('counterDelta and rate', () => {
  it('is the plain difference when the counter went up', () => {
    expect(counterDelta(150, 100)).toBe(50);
    expect(counterDelta(100, 100)).toBe(0);
  });

  it('takes a 32-bit wrap modulo 2^32', () => {
    expect(counterDelta(5, U32 - 5)).toBe(10);
    expect(counterDelta(0, U32 - 1)).toBe(1);
  });

  it('takes a 64-bit wrap exactly (values >= 2^63 are stored as negative int64, see parseCounter)', () => {
    expect(counterDelta(384, -616)).toBe(1000); // 2^64 - 616 -> 384
    expect(counterDelta(-100, -1000)).toBe(900); // both above 2^63
    // crossing 2^63 (positive -> negative int64): still going up, ~2000 (doubles are 2048 apart there)
    expect(counterDelta(-(2 ** 63) + 1000, 2 ** 63 - 1000)).toBeCloseTo(2000, -4);
  });

  it('treats any other step back as a restart from 0 (the current value is the increase)', () => {
    expect(counterDelta(30, 5000)).toBe(30);
    expect(counterDelta(10, U32 / 2 - 1)).toBe(10); // lower half of the 32-bit range: not a wrap
    expect(counterDelta(10, U32 + 5)).toBe(10); // above 2^32: a 64-bit counter, not a wrap
  });

  it('rate is per second and 0 over an empty interval', () => {
    expect(rate(300, 100, 2)).toBe(100);
    expect(rate(300, 100, 0)).toBe(0);
  });
});

describe('cpu (mpstat -P ALL)', () => {
  const t = (v: number[]): CpuTimes => ({
    user: v[0],
    nice: v[1],
    system: v[2],
    idle: v[3],
    iowait: v[4],
    irq: v[5],
    softirq: v[6],
    steal: v[7],
    guest: v[8],
    guest_nice: v[9],
  });

  it('per CPU: each delta over the sum of the deltas; all = sum of the CPUs', () => {
    const c = cpuCounters(A1.stat.cpus, A0.stat.cpus);
    // cpu0: user +100, sys +40, idle +50, iowait +4, irq +2, soft +4 = 200 ticks
    expect(c['0']).toEqual({ usr: 50, nice: 0, sys: 20, iowait: 2, irq: 1, soft: 2, steal: 0, guest: 0, gnice: 0, idle: 25 });
    // cpu1: user +150 of which guest +50 -> usr 100, guest 50; sys +20, idle +20, steal +10 = 200 ticks
    expect(c['1']).toEqual({ usr: 50, nice: 0, sys: 10, iowait: 0, irq: 0, soft: 0, steal: 5, guest: 25, gnice: 0, idle: 10 });
    // all: 400 ticks: usr 200, sys 60, idle 70, iowait 4, irq 2, soft 4, steal 10, guest 50
    expect(c.all).toEqual({ usr: 50, nice: 0, sys: 15, iowait: 1, irq: 0.5, soft: 1, steal: 2.5, guest: 12.5, gnice: 0, idle: 17.5 });
    expect(Object.keys(c).sort()).toEqual(['0', '1', 'all']);
  });

  it('subtracts guest_nice from nice', () => {
    const p = cpuPercents(cpuDelta(t([0, 100, 0, 0, 0, 0, 0, 0, 0, 40]), t([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
    // nice +100 includes guest_nice +40: nice 60, gnice 40 of 100 ticks
    expect(p).toMatchObject({ nice: 60, gnice: 40, usr: 0, idle: 0 });
  });

  it('when guest runs ahead of user, usr is 0 and the step widens the interval (mpstat ishift)', () => {
    // user +10, guest +14: user - guest stepped back by 4 -> usr 0; total = 0 + 14 guest + 86 idle = 100
    const p = cpuPercents(cpuDelta(t([110, 0, 0, 186, 0, 0, 0, 0, 14, 0]), t([100, 0, 0, 100, 0, 0, 0, 0, 0, 0])));
    expect(p).toEqual({ usr: 0, nice: 0, sys: 0, iowait: 0, irq: 0, soft: 0, steal: 0, guest: 14, gnice: 0, idle: 86 });
  });

  it('a tickless CPU with no ticks in the interval is 100% idle', () => {
    const z = t([5, 0, 5, 5, 0, 0, 0, 0, 0, 0]);
    expect(cpuPercents(cpuDelta(z, z))).toEqual({ usr: 0, nice: 0, sys: 0, iowait: 0, irq: 0, soft: 0, steal: 0, guest: 0, gnice: 0, idle: 100 });
  });

  it('a CPU that went offline during the interval is left out, and out of "all"', () => {
    const c = cpuCounters(readStat(join(FX, 'cpu-online/t1')).cpus, readStat(join(FX, 'cpu-online/t0')).cpus);
    expect(Object.keys(c).sort()).toEqual(['0', '2', 'all']);
    // cpu0: user +50 sys +50 idle +100; cpu2: user +100 idle +100 -> all: usr 150, sys 50, idle 200 of 400
    expect(c['0']).toMatchObject({ usr: 25, sys: 25, idle: 50 });
    expect(c.all).toMatchObject({ usr: 37.5, sys: 12.5, idle: 50 });
  });

  it('a CPU that is back online appears once it has a line in both samples', () => {
    const t1 = readStat(join(FX, 'cpu-online/t1')).cpus;
    const t2 = readStat(join(FX, 'cpu-online/t2')).cpus;
    const t3 = readStat(join(FX, 'cpu-online/t3')).cpus;
    expect(Object.keys(cpuCounters(t2, t1)).sort()).toEqual(['0', '2', 'all']);
    // t2 -> t3: cpu1 user +50, idle +50
    expect(cpuCounters(t3, t2)['1']).toMatchObject({ usr: 50, idle: 50, sys: 0 });
  });

  it('idle and iowait that restarted from 0 (CPU back online between two samples) count from 0, as mpstat', () => {
    // cpu1 t0 -> t2: user 300 -> 310, sys 100 -> 105, idle 600 -> 5 (restart: +5), iowait 20 -> 0 (restart: +0)
    const c = cpuCounters(readStat(join(FX, 'cpu-online/t2')).cpus, readStat(join(FX, 'cpu-online/t0')).cpus);
    expect(c['1']).toEqual({ usr: 50, nice: 0, sys: 25, iowait: 0, irq: 0, soft: 0, steal: 0, guest: 0, gnice: 0, idle: 25 });
  });
});

describe('load, vmstat, free', () => {
  const c = computeCounters(A1, A0, 2);

  it('load: /proc/loadavg averages and tasks, procs_running/blocked of /proc/stat', () => {
    expect(c.load).toEqual({ load1: 1.5, load5: 0.75, load15: 0.25, running: 3, blocked: 1, tasks: 123 });
  });

  it('vmstat: kB of memory, si/so in kB/s from pages, bi/bo kB/s, in/cs per second', () => {
    // swpd 2097152-1048576; cache = Cached + SReclaimable; si = 50 pages * 4 kB / 2 s;
    // bi = 2000 / 2; bo = 4000 / 2; in = 6000 / 2; cs = 8000 / 2
    expect(c.vmstat).toEqual({
      r: 3,
      b: 1,
      swpd: 1048576,
      free: 8192000,
      buff: 102400,
      cache: 2252800,
      si: 100,
      so: 0,
      bi: 1000,
      bo: 2000,
      in: 3000,
      cs: 4000,
    });
  });

  it('vmstat si/so/bi/bo are null without /proc/vmstat', () => {
    const m = raw('minimal', 1);
    expect(vmstatCounters(m, raw('minimal', 0), 1)).toMatchObject({ si: null, so: null, bi: null, bo: null });
  });

  it('free -m: used = total - available, buff/cache = Buffers + Cached + SReclaimable, MiB', () => {
    expect(c.mem).toEqual({ total: 16000, used: 4000, free: 8000, shared: 50, buff_cache: 2300, available: 12000, swap_total: 2048, swap_used: 1024 });
  });

  it('free: without MemAvailable (kernel < 3.14) available is MemFree', () => {
    expect(memCounters({ MemTotal: 2048, MemFree: 1024 })).toMatchObject({ total: 2, used: 1, available: 1 });
  });
});

describe('disks (iostat -xz)', () => {
  it('computes r/s w/s rkB/s wkB/s r_await w_await aqu-sz %util for whole devices with activity', () => {
    const d = diskCounters(A1.disks, A0.disks, 2);
    // no partitions (vda1, nvme0n1p1), no idle devices (loop0, loop1); sdb had only flushes (kept, as iostat -z)
    expect(Object.keys(d).sort()).toEqual(['loop10', 'md0', 'nvme0n1', 'sdb', 'vda']);
    // vda: +200 reads, +4096 sectors, +400 ms; +100 writes, +2048 sectors, +500 ms; io +1000 ms, weighted +1000 ms over 2000 ms
    expect(d.vda).toEqual({ r_s: 100, w_s: 50, rkB_s: 1024, wkB_s: 512, r_await: 2, w_await: 5, aqu_sz: 0.5, util: 50 });
    // loop10: +4 reads, +32 sectors, +2 ms
    expect(d.loop10).toEqual({ r_s: 2, w_s: 0, rkB_s: 8, wkB_s: 0, r_await: 0.5, w_await: 0, aqu_sz: 0, util: 0 });
    // nvme0n1: writes 2^32-6 -> 4 (+10), sectors 4294967000 -> 1000 (+1296), ms 2^32-1 -> 15 (+16): 32-bit wraps
    expect(d.nvme0n1).toEqual({ r_s: 0, w_s: 5, rkB_s: 0, wkB_s: 324, r_await: 0, w_await: 1.6, aqu_sz: 0.15, util: 10 });
    // md0: an 11-field line (+100 reads, +800 sectors)
    expect(d.md0).toMatchObject({ r_s: 50, rkB_s: 200 });
    expect(d.sdb).toMatchObject({ r_s: 0, w_s: 0, util: 0.05 });
  });

  it('64-bit ios/sectors wrap exactly; 32-bit ms fields wrap modulo 2^32; a re-created device restarts from 0', () => {
    const d = diskCounters(W1.disks, W0.disks, 1);
    // vdb: reads 2^64-616 -> 384 (+1000), sectors 2^64-1 -> 2047 (+2048 = 1024 kB), read ms 2^32-296 -> 704 (+1000),
    //      io ms 2^32-1 -> 999 (+1000 of 1000 ms), weighted 2^32-1000 -> 1000 (+2000)
    expect(d.vdb).toEqual({ r_s: 1000, w_s: 0, rkB_s: 1024, wkB_s: 0, r_await: 1, w_await: 0, aqu_sz: 2, util: 100 });
    // sdc: every counter went back (5000 -> 30 reads): a restart, so the increase is the current value
    expect(d.sdc).toEqual({ r_s: 30, w_s: 0, rkB_s: 120, wkB_s: 0, r_await: 2, w_await: 0, aqu_sz: 0.12, util: 10 });
  });

  it('%util is capped at 100', () => {
    const mk = (ioMs: number, reads: number): RawDisk => ({
      major: 8,
      minor: 0,
      name: 'sda',
      reads,
      readsMerged: 0,
      readSectors: 0,
      readMs: 0,
      writes: 0,
      writesMerged: 0,
      writeSectors: 0,
      writeMs: 0,
      inFlight: 0,
      ioMs,
      weightedMs: 0,
      discards: 0,
      flushes: 0,
    });
    const d = diskCounters(new Map([['sda', mk(1100, 1)]]), new Map([['sda', mk(0, 0)]]), 1);
    expect(d.sda.util).toBe(100);
  });

  it('isPartition: <disk><n>, <disk>p<n> when the disk ends in a digit, on its major or blkext (259)', () => {
    const all = new Map<string, RawDisk>();
    const add = (name: string, major: number): RawDisk => {
      const d = { major, minor: 0, name } as RawDisk;
      all.set(name, d);
      return d;
    };
    const sda = add('sda', 8);
    const sda1 = add('sda1', 8);
    const sda16 = add('sda16', 259);
    const loop1 = add('loop1', 7);
    const loop10 = add('loop10', 7);
    const loop1p1 = add('loop1p1', 259);
    const mmc = add('mmcblk0', 179);
    const mmcp2 = add('mmcblk0p2', 179);
    const sr0 = add('sr0', 11);
    const dm0 = add('dm-0', 253);
    expect([sda1, sda16, loop1p1, mmcp2].map((d) => isPartition(d, all))).toEqual([true, true, true, true]);
    expect([sda, loop1, loop10, mmc, sr0, dm0].map((d) => isPartition(d, all))).toEqual([false, false, false, false, false, false]);
    // same name pattern on another (non-blkext) major is not a partition of that disk
    expect(isPartition({ major: 9, minor: 1, name: 'sda2' } as RawDisk, all)).toBe(false);
  });
});

describe('net (sar -n DEV) and tcp (sar -n TCP,ETCP)', () => {
  it('packets and kB (1024 bytes) per second per interface present in both samples', () => {
    const n = netCounters(A1.net, A0.net, 2);
    expect(Object.keys(n)).toEqual(['lo', 'eth0']); // wlan0 appeared in t1: next interval
    expect(n.lo).toEqual({ rxpck_s: 100, txpck_s: 100, rxkB_s: 1024, txkB_s: 1024 }); // +2097152 bytes, +200 packets
    // eth0 rx bytes 4294967000 -> 1000: a 32-bit wrap (+1296 bytes = 0.63 kB/s)
    expect(n.eth0).toEqual({ rxpck_s: 10, txpck_s: 2, rxkB_s: 0.63, txkB_s: 1 });
  });

  it('64-bit and 32-bit wraps and a re-created interface', () => {
    const n = netCounters(W1.net, W0.net, 1);
    expect(n.eth1).toEqual({ rxpck_s: 10, txpck_s: 1, rxkB_s: 2, txkB_s: 1 }); // rx bytes 2^64-1024 -> 1024
    expect(n.eth2).toEqual({ rxpck_s: 10, txpck_s: 1, rxkB_s: 2, txkB_s: 1 }); // rx packets 2^32-1 -> 9, tx bytes 2^32-100 -> 924
    expect(n.veth0).toEqual({ rxpck_s: 20, txpck_s: 10, rxkB_s: 2, txkB_s: 1 }); // restarted: current values
  });

  it('tcp: ActiveOpens, PassiveOpens, InSegs, OutSegs, AttemptFails, EstabResets, RetransSegs, InErrs, OutRsts per second', () => {
    expect(tcpCounters(A1.tcp, A0.tcp, 2)).toEqual({
      active_s: 10,
      passive_s: 5,
      iseg_s: 1000,
      oseg_s: 500,
      atmptf_s: 1,
      estres_s: 0,
      retrans_s: 3,
      isegerr_s: 1,
      orsts_s: 5,
    });
    // 32-bit snmp counters (32-bit kernel): ActiveOpens 2^32-10 -> 10, InSegs 2^32-6 -> 10
    expect(tcpCounters(W1.tcp, W0.tcp, 1)).toMatchObject({ active_s: 20, iseg_s: 16 });
  });

  it('tcp is null and net/disks empty when the files are missing', () => {
    const c = computeCounters(raw('minimal', 1), raw('minimal', 0), 1);
    expect(c.tcp).toBeNull();
    expect(c.net).toEqual({});
    expect(c.disks).toEqual({});
    expect(c.top).toEqual([]);
  });
});

describe('top processes (pidstat -u)', () => {
  it('%usr (minus guest), %system, %CPU of one CPU over the interval, last CPU, escaped comm, busiest first', () => {
    const rows = processRows(A1.procs, A0.procs, 2);
    // 200 ticks in 2 s. pid 200: utime +300 (guest +100) stime +100; pid 100: +100/+20;
    // pid 400 is new (all its 40 ticks); pid 500 was reused (new starttime: its 10 ticks);
    // pid 700: +2; pid 1 used nothing (not listed); pid 300 exited (not listed).
    expect(rows).toEqual([
      { pid: 200, comm: '\\e[31mred', usr: 100, system: 50, cpu_pct: 200, cpu: 0 },
      { pid: 100, comm: 'my (weird) comm)', usr: 50, system: 10, cpu_pct: 60, cpu: 1 },
      { pid: 400, comm: 'new one', usr: 15, system: 5, cpu_pct: 20, cpu: 1 },
      { pid: 500, comm: 'reused', usr: 5, system: 0, cpu_pct: 5, cpu: 0 },
      { pid: 700, comm: 'tab\\there\\nx\\xff', usr: 1, system: 0, cpu_pct: 1, cpu: 1 },
    ]);
  });

  it('pinned: top_on_pinned holds the busiest processes whose last CPU is the pinned one', () => {
    const c = computeCounters(A1, A0, 2, { pinnedCpu: 1 });
    expect(c.pinned_cpu).toBe(1);
    expect(c.top_on_pinned!.map((r) => r.pid)).toEqual([100, 400, 700]);
    expect(c.top.map((r) => r.pid)).toEqual([200, 100, 400, 500, 700]); // top is unchanged
    const c0 = computeCounters(A1, A0, 2, { pinnedCpu: 0 });
    expect(c0.top_on_pinned!.map((r) => r.pid)).toEqual([200, 500]);
    const none = computeCounters(A1, A0, 2, { pinnedCpu: null });
    expect('top_on_pinned' in none || 'pinned_cpu' in none).toBe(false);
  });

  it(`keeps the ${TOP_N} busiest`, () => {
    const mk = (pid: number, utime: number): RawProc => ({ pid, comm: `p${pid}`, state: 'R', utime, stime: 0, starttime: 1, processor: pid % 2, guest: 0 });
    const prev = new Map<number, RawProc>();
    const cur = new Map<number, RawProc>();
    for (let pid = 1; pid <= 25; pid++) {
      prev.set(pid, mk(pid, 0));
      cur.set(pid, mk(pid, pid));
    }
    const c = computeCounters({ ...A1, procs: cur }, { ...A0, procs: prev }, 1, { pinnedCpu: 0 });
    expect(c.top.map((r) => r.pid)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    expect(c.top_on_pinned!.map((r) => r.pid)).toEqual([24, 22, 20, 18, 16, 14, 12, 10, 8, 6]);
    // perfscope's own process (excludePid) is left out and the next busiest takes its place.
    const self = computeCounters({ ...A1, procs: cur }, { ...A0, procs: prev }, 1, { pinnedCpu: 0, excludePid: 24 });
    expect(self.top.map((r) => r.pid)).toEqual([25, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
    expect(self.top_on_pinned!.map((r) => r.pid)).toEqual([22, 20, 18, 16, 14, 12, 10, 8, 6, 4]);
  });
});

describe('computeCounters and elapsed', () => {
  it('interval_s is the elapsed time between the raw samples; an empty interval gives zero rates', () => {
    expect(elapsedSeconds(A1, A0)).toBe(2);
    const c = computeCounters(A1, A0, elapsedSeconds(A1, A0));
    expect(c.interval_s).toBe(2);
    const z = computeCounters(A1, A0, 0);
    expect(z.vmstat.in).toBe(0);
    expect(z.net.lo.rxpck_s).toBe(0);
    expect(z.top.every((r) => r.cpu_pct === 0)).toBe(true);
  });
});

describe('ProcProbe on a tree that changes under it', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'perfscope-probe-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  // The probe keeps /proc/PID/stat open between ticks, and procfs regenerates an open file on each
  // read; a regular file does that only when it is rewritten in place (same inode), so the tree is
  // swapped by rewriting files, not by replacing them.
  const syncTree = (src: string, dst: string): void => {
    mkdirSync(dst, { recursive: true });
    for (const e of readdirSync(dst)) if (!existsSync(join(src, e))) rmSync(join(dst, e), { recursive: true, force: true });
    for (const e of readdirSync(src, { withFileTypes: true })) {
      if (e.isDirectory()) syncTree(join(src, e.name), join(dst, e.name));
      else writeFileSync(join(dst, e.name), readFileSync(join(src, e.name)));
    }
  };
  const swap = (from: string): void => syncTree(join(FX, from), tmp);
  const cfg = (pinnedCpu: number | null) => ({ pinnedCpu, pid: null, comm: null, intervalS: 1, procRoot: tmp, cpus: [0, 1] });

  it('start() reads the first sample, sample() the rates since, with the clock it was given', () => {
    let now = 5_000_000_000n;
    const p = new ProcProbe({ clock: () => now });
    expect(() => p.sample()).toThrow(/before start/);
    swap('host-a/t0');
    p.start(cfg(null));
    swap('host-a/t1');
    now += 2_000_000_000n;
    const c = p.sample();
    expect(c.interval_s).toBe(2);
    expect(c.cpu.all.usr).toBe(50);
    expect(c.disks.vda.r_s).toBe(100);
    expect(c.top[0].pid).toBe(200);
    expect(c.top_on_pinned).toBeUndefined();
    p.stop();
    p.stop();
    expect(() => p.sample()).toThrow(/before start/);
  });

  it('follows the pinned CPU from the config and live through setPinnedCpu', () => {
    let now = 0n;
    const p = new ProcProbe({ clock: () => now });
    swap('host-a/t0');
    p.start(cfg(0));
    swap('host-a/t1');
    now += 2_000_000_000n;
    expect(p.sample().top_on_pinned!.map((r) => r.pid)).toEqual([200, 500]);
    p.setPinnedCpu(1);
    now += 1_000_000_000n; // same tree: an idle interval
    const idle = p.sample();
    expect(idle.pinned_cpu).toBe(1);
    expect(idle.top_on_pinned).toEqual([]);
    p.setPinnedCpu(null);
    expect(p.sample().pinned_cpu).toBeUndefined();
    p.stop();
  });
});

describe('kernelProcessRows (the top table from the scheduler)', () => {
  const row = (pid: number, run_ns: number, usr_ns: number, sys_ns: number, cpu = 0) => ({ pid, comm: `p${pid}`, run_ns, usr_ns, sys_ns, cpu });
  it('percent of one CPU over the interval, split in the ratio of the tick accounting; no tick: all usr', () => {
    const rows = kernelProcessRows([row(1, 500e6, 3, 1, 1), row(2, 250e6, 0, 0), row(3, 2e9, 1, 1)], 1);
    expect(rows).toEqual([
      { pid: 3, comm: 'p3', usr: 100, system: 100, cpu_pct: 200, cpu: 0 },
      { pid: 1, comm: 'p1', usr: 37.5, system: 12.5, cpu_pct: 50, cpu: 1 },
      { pid: 2, comm: 'p2', usr: 25, system: 0, cpu_pct: 25, cpu: 0 },
    ]);
  });
  it('over 2 s; processes with no time (or less than 0.005 %) are not listed; ties by pid', () => {
    const rows = kernelProcessRows([row(9, 100e6, 1, 0), row(4, 100e6, 0, 1), row(5, 10, 1, 0)], 2);
    expect(rows.map((r) => [r.pid, r.cpu_pct, r.usr, r.system])).toEqual([
      [4, 5, 0, 5],
      [9, 5, 5, 0],
    ]);
  });
});
