// The /proc readers against the fixture trees of test/proc/fixtures (written by make-fixtures.mjs,
// in the layout of this machine's /proc): every field each reader returns, 64-bit tokens, missing
// files as empty sections, and parse errors that name the file and the line.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PidStatReader,
  parseCounter,
  parsePidStat,
  readDiskstats,
  readLoadavg,
  readMeminfo,
  readNetDev,
  readPids,
  readRaw,
  readSnmp,
  readStat,
  readVmstat,
} from '../../src/probes/proc/readers.js';

const FX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const A0 = join(FX, 'host-a/t0');
const A1 = join(FX, 'host-a/t1');
const BAD = join(FX, 'malformed');
const MIN = join(FX, 'minimal');

describe('parseCounter', () => {
  it('parses plain and signed integers without a regex and rejects anything else', () => {
    expect(parseCounter('0')).toBe(0);
    expect(parseCounter('123456789012345')).toBe(123456789012345);
    expect(parseCounter('-1')).toBe(-1);
    for (const bad of ['', '-', '1.5', '12a', ' 1', '0x10', '+3']) expect(parseCounter(bad)).toBeNaN();
  });

  it('keeps 64-bit counters exact near a wrap: values >= 2^63 become the int64 with the same bits', () => {
    expect(parseCounter('18446744073709551615')).toBe(-1); // 2^64 - 1
    expect(parseCounter('18446744073709551000')).toBe(-616);
    expect(parseCounter('9223372036854775807')).toBe(2 ** 63); // 2^63 - 1, rounded by the double
    expect(parseCounter('9007199254740993')).toBe(9007199254740992); // 2^53 + 1: above 2^53 a double rounds
    expect(parseCounter('18446744073709551616')).toBeNaN(); // 2^64 does not fit in a u64
    expect(parseCounter('12345678901234567890x')).toBeNaN();
  });
});

describe('readStat', () => {
  it('reads the per-CPU lines, the aggregate line, intr (first field), ctxt, procs_running/blocked', () => {
    const s = readStat(A0);
    expect([...s.cpus.keys()]).toEqual([0, 1]);
    expect(s.cpus.get(0)).toEqual({ user: 1000, nice: 10, system: 500, idle: 8000, iowait: 100, irq: 5, softirq: 20, steal: 0, guest: 0, guest_nice: 0 });
    expect(s.cpus.get(1)).toEqual({ user: 2000, nice: 0, system: 300, idle: 7000, iowait: 50, irq: 0, softirq: 10, steal: 5, guest: 100, guest_nice: 0 });
    expect(s.total).toEqual({ user: 3000, nice: 10, system: 800, idle: 15000, iowait: 150, irq: 5, softirq: 30, steal: 5, guest: 100, guest_nice: 0 });
    expect(s.intr).toBe(100000);
    expect(s.ctxt).toBe(50000);
    expect(s.procsRunning).toBe(2);
    expect(s.procsBlocked).toBe(0);
  });

  it('lists only the CPUs that have a line (offline CPUs have none)', () => {
    expect([...readStat(join(FX, 'cpu-online/t0')).cpus.keys()]).toEqual([0, 1, 2]);
    expect([...readStat(join(FX, 'cpu-online/t1')).cpus.keys()]).toEqual([0, 2]);
  });

  it('names the file and line of a bad field', () => {
    expect(() => readStat(BAD)).toThrow(`${BAD}/stat:4: cpu1 nice: expected an integer, got "x"`);
  });

  it('throws ENOENT when /proc/stat itself is missing (the probe is then unavailable)', () => {
    expect(() => readStat(join(FX, 'no-such-root'))).toThrow(/ENOENT/);
  });
});

describe('readMeminfo', () => {
  it('reads every "Name: value [kB]" line, HugePages_* counts too', () => {
    const m = readMeminfo(A1);
    expect(m.MemTotal).toBe(16384000);
    expect(m.MemFree).toBe(8192000);
    expect(m.MemAvailable).toBe(12288000);
    expect(m.SReclaimable).toBe(204800);
    expect(m.SwapFree).toBe(1048576);
    expect(m.HugePages_Total).toBe(0);
    expect(Object.keys(m)).toHaveLength(19);
  });

  it('names the file and line of a bad value', () => {
    expect(() => readMeminfo(BAD)).toThrow(`${BAD}/meminfo:2: expected "Name: value [kB]", got "MemFree: lots"`);
  });
});

describe('readVmstat', () => {
  it('reads name/value pairs', () => {
    expect(readVmstat(A1)).toEqual({ nr_free_pages: 2048000, pgpgin: 3000, pgpgout: 6000, pswpin: 60, pswpout: 20, pgfault: 123456 });
  });

  it('is null when the file is missing', () => {
    expect(readVmstat(MIN)).toBeNull();
  });
});

describe('readDiskstats', () => {
  it('reads 17-field (5.5+) and 11-field lines; fields a kernel lacks are 0', () => {
    const d = readDiskstats(A1);
    expect([...d.keys()]).toEqual(['loop0', 'loop1', 'loop10', 'vda', 'vda1', 'nvme0n1', 'nvme0n1p1', 'sdb', 'md0']);
    expect(d.get('vda')).toEqual({
      major: 254,
      minor: 0,
      name: 'vda',
      reads: 1200,
      readsMerged: 12,
      readSectors: 104096,
      readMs: 900,
      writes: 2100,
      writesMerged: 25,
      writeSectors: 52048,
      writeMs: 1500,
      inFlight: 1,
      ioMs: 4000,
      weightedMs: 6000,
      discards: 0,
      flushes: 110,
    });
    expect(d.get('md0')).toMatchObject({ reads: 150, readSectors: 1200, ioMs: 0, discards: 0, flushes: 0 });
  });

  it('keeps 64-bit ios/sectors exact near 2^64', () => {
    const d = readDiskstats(join(FX, 'wrap/t0'));
    expect(d.get('vdb')).toMatchObject({ reads: -616, readSectors: -1, readMs: 2 ** 32 - 296, ioMs: 2 ** 32 - 1 });
  });

  it('is an empty map when the file is missing, and names file and line of a short line', () => {
    expect(readDiskstats(MIN).size).toBe(0);
    expect(() => readDiskstats(BAD)).toThrow(`${BAD}/diskstats:2: expected at least 14 fields, got 5`);
  });
});

describe('readNetDev', () => {
  it('reads rx/tx bytes, packets and drops per interface, skipping the two header lines', () => {
    const n = readNetDev(A1);
    expect([...n.keys()]).toEqual(['lo', 'eth0', 'wlan0']);
    expect(n.get('lo')).toEqual({ rxBytes: 3097152, rxPackets: 300, rxDrop: 0, txBytes: 3097152, txPackets: 300, txDrop: 0 });
    expect(n.get('eth0')).toEqual({ rxBytes: 1000, rxPackets: 30, rxDrop: 0, txBytes: 2548, txPackets: 9, txDrop: 0 });
  });

  it('reads a number that touches the colon, and 64-bit byte counters near 2^64', () => {
    const n = readNetDev(join(FX, 'wrap/t0'));
    expect(n.get('eth1')).toEqual({ rxBytes: -1024, rxPackets: 10, rxDrop: 0, txBytes: 500, txPackets: 5, txDrop: 0 });
    expect(n.get('eth2')).toEqual({ rxBytes: 1000, rxPackets: 2 ** 32 - 1, rxDrop: 0, txBytes: 2 ** 32 - 100, txPackets: 7, txDrop: 0 });
  });

  it('is empty when missing; names file and line of a short line', () => {
    expect(readNetDev(MIN).size).toBe(0);
    expect(() => readNetDev(BAD)).toThrow(`${BAD}/net/dev:3: expected "iface: counters", got "    lo 1 2 3"`);
  });
});

describe('readSnmp', () => {
  it('reads the Tcp: section by name (MaxConn is signed)', () => {
    const t = readSnmp(A1)!;
    expect(t).toMatchObject({
      ActiveOpens: 120,
      PassiveOpens: 60,
      AttemptFails: 4,
      EstabResets: 3,
      InSegs: 12000,
      OutSegs: 10000,
      RetransSegs: 16,
      InErrs: 2,
      OutRsts: 30,
      MaxConn: -1,
    });
  });

  it('is null when missing; names file and line when the values do not match the names', () => {
    expect(readSnmp(MIN)).toBeNull();
    expect(() => readSnmp(BAD)).toThrow(`${BAD}/net/snmp:2: Tcp: 2 names but 1 values`);
  });
});

describe('readLoadavg', () => {
  it('reads the three averages, runnable/total tasks and the last pid', () => {
    expect(readLoadavg(A1)).toEqual({ load1: 1.5, load5: 0.75, load15: 0.25, runnable: 3, tasks: 123, lastPid: 4567 });
    expect(() => readLoadavg(BAD)).toThrow(`${BAD}/loadavg:1: expected "l1 l5 l15 runnable/tasks lastpid", got "busy"`);
  });
});

describe('readPids and parsePidStat', () => {
  it('reads every pid directory, skipping one that vanished (no stat file)', () => {
    const p = readPids(A1);
    expect([...p.keys()].sort((a, b) => a - b)).toEqual([1, 100, 200, 400, 500, 700]);
    expect(p.get(200)).toEqual({ pid: 200, comm: '\\e[31mred', state: 'R', utime: 5300, stime: 1100, starttime: 1000, processor: 0, guest: 500 });
    expect(p.get(400)).toMatchObject({ utime: 30, stime: 10, starttime: 9000, processor: 1, guest: 0 });
  });

  it('takes comm up to the LAST ")" and escapes control bytes and invalid UTF-8', () => {
    const p = readPids(A1);
    expect(p.get(100)!.comm).toBe('my (weird) comm)');
    expect(p.get(100)!.state).toBe('S');
    expect(p.get(700)!.comm).toBe('tab\\there\\nx\\xff');
    // a ')' in comm must not shift the fields: utime/stime/processor of pid 100 are right
    expect(p.get(100)).toMatchObject({ utime: 1100, stime: 220, processor: 1 });
  });

  it('reads a real line of this machine (its own process)', () => {
    const self = readPids('/proc').get(process.pid)!;
    expect(self.comm).toMatch(/node|vitest/);
    expect(self.utime + self.stime).toBeGreaterThan(0);
    expect(self.processor).toBeGreaterThanOrEqual(0);
  });

  it('names the file and line of a truncated stat line', () => {
    expect(() => readPids(BAD)).toThrow(`${BAD}/42/stat:1: expected at least 39 fields, got 5`);
    expect(() => parsePidStat(Buffer.from('7 (x) S 1 2 3 4 5 6 7 8 9 10 zz 13'), '/p/7/stat')).toThrow('/p/7/stat:1: field 14: expected an integer');
    expect(() => parsePidStat(Buffer.from('7 x S 1'), '/p/7/stat')).toThrow('/p/7/stat:1: no "(comm)"');
  });
});

describe('readRaw', () => {
  it('reads one tick of a tree with the given clock', () => {
    const r = readRaw(A1, () => 42n);
    expect(r.tNs).toBe(42n);
    expect(r.stat.cpus.size).toBe(2);
    expect(r.disks.size).toBe(9);
    expect(r.net.size).toBe(3);
    expect(r.tcp?.InSegs).toBe(12000);
    expect(r.procs.size).toBe(6);
  });

  it('reads a restricted tree (no diskstats, vmstat, net/, processes) as empty sections', () => {
    const r = readRaw(MIN);
    expect(r.vmstat).toBeNull();
    expect(r.disks.size).toBe(0);
    expect(r.net.size).toBe(0);
    expect(r.tcp).toBeNull();
    expect(r.procs.size).toBe(0);
  });

  const tmp = mkdtempSync(join(tmpdir(), 'perfscope-proc-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('grows its read buffer for a file larger than 64 KiB (a many-CPU /proc/stat)', () => {
    const root = join(tmp, 'big');
    cpSync(MIN, root, { recursive: true });
    const cpus = Array.from({ length: 2000 }, (_, i) => `cpu${i} ${i} 0 ${2 * i} 1000 0 0 0 0 0 0`);
    writeFileSync(join(root, 'stat'), ['cpu  1 2 3 4 5 6 7 8 9 10', ...cpus, `intr 77 ${'0 '.repeat(20000)}`, 'ctxt 5', ''].join('\n'));
    const s = readStat(root);
    expect(s.cpus.size).toBe(2000);
    expect(s.cpus.get(1999)).toMatchObject({ user: 1999, system: 3998, idle: 1000 });
    expect(s.intr).toBe(77);
  });

  it('names file and line of a net/dev line with too few counters', () => {
    const root = join(tmp, 'short-net');
    mkdirSync(join(root, 'net'), { recursive: true });
    writeFileSync(join(root, 'net/dev'), 'Inter-|\n face |\n  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n    lo: 1 2 3\n');
    expect(() => readNetDev(root)).toThrow(`${root}/net/dev:4: lo: expected 16 counters, got 3`);
  });

  it('escapes interface names from their bytes: UTF-8 shows as itself, control bytes as escapes', () => {
    const root = join(tmp, 'names');
    mkdirSync(join(root, 'net'), { recursive: true });
    const zeros = ' 0'.repeat(16);
    writeFileSync(
      join(root, 'net/dev'),
      Buffer.concat([
        Buffer.from('Inter-|\n face |\n'),
        Buffer.from(`  caf\u00e9:${zeros}\n`, 'utf8'),
        Buffer.from('  x'),
        Buffer.from([0x1b, 0xff]),
        Buffer.from(`:${zeros}\n`),
      ]),
    );
    expect([...readNetDev(root).keys()]).toEqual(['caf\u00e9', 'x\\e\\xff']);
  });

  it('skips a pid directory whose stat is empty (the process exited as it was read)', () => {
    const root = join(tmp, 'empty-pid');
    cpSync(MIN, root, { recursive: true });
    mkdirSync(join(root, '77'));
    writeFileSync(join(root, '77', 'stat'), '');
    expect(readPids(root).size).toBe(0);
  });
});

describe('PidStatReader (the probe keeps /proc/PID/stat open between ticks)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'perfscope-pids-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads what readPids reads, keeps one fd per process, and close() releases them', () => {
    const r = new PidStatReader(A1);
    expect(r.read()).toEqual(readPids(A1));
    expect(r.openFds).toBe(6);
    expect(r.read()).toEqual(readPids(A1)); // second read through the kept fds
    r.close();
    expect(r.openFds).toBe(0);
    r.close();
  });

  it('closes the fd of a process that is no longer listed, and keeps at most maxFds', () => {
    const root = join(tmp, 'drop');
    cpSync(A1, root, { recursive: true });
    const r = new PidStatReader(root);
    expect(r.read().size).toBe(6);
    rmSync(join(root, '400'), { recursive: true });
    const again = r.read();
    expect(again.has(400)).toBe(false);
    expect(again.size).toBe(5);
    expect(r.openFds).toBe(5);
    r.close();
    const capped = new PidStatReader(root, 2);
    expect(capped.read().size).toBe(5);
    expect(capped.openFds).toBe(2);
    capped.close();
  });

  it('on the real /proc: re-reads fresh times through a kept fd, and lets go of an exited process', async () => {
    const { spawn } = await import('node:child_process');
    const r = new PidStatReader('/proc');
    const child = spawn(process.execPath, ['-e', 'const e = Date.now() + 10000; while (Date.now() < e) {}'], { stdio: 'ignore' });
    try {
      const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
      await sleep(50);
      const first = r.read().get(child.pid!)!;
      expect(first).toBeDefined();
      // the child's times go up (it may wait for a CPU a while on a busy machine: poll, up to 5 s)
      let second = first;
      for (const until = Date.now() + 5000; second.utime + second.stime <= first.utime + first.stime && Date.now() < until; ) {
        await sleep(50);
        second = r.read().get(child.pid!)!;
      }
      expect(second.utime + second.stime).toBeGreaterThan(first.utime + first.stime);
      const statFds = (): string[] =>
        readdirSync('/proc/self/fd')
          .flatMap((fd) => {
            try {
              return [readlinkSync(`/proc/self/fd/${fd}`)];
            } catch {
              return [];
            }
          })
          .filter((t) => /^\/proc\/\d+\/stat$/.test(t));
      expect(statFds()).toContain(`/proc/${child.pid}/stat`);
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGKILL');
      await exited;
      await sleep(50);
      expect(r.read().has(child.pid!)).toBe(false);
      expect(statFds()).not.toContain(`/proc/${child.pid}/stat`);
      r.close();
      expect(statFds()).toEqual([]);
    } finally {
      child.kill('SIGKILL'); // bounded anyway (10 s); harmless once it has exited
      r.close();
    }
  });
});
