// The isolation probe's readers and model on fixture trees (test/proc/fixtures/iso, written by
// make-iso-fixtures.mjs): isolated CPUs by isolcpus, nohz_full and cgroup v2 partitions (also
// under a v1/v2 hybrid mount), none, and a malformed file; IRQ affinities; two reads of
// /proc/interrupts, softirqs, net/softnet_stat, snmp, snmp6, netstat and dev turned into the
// watched CPU's rates and the host's drops; and a live cross-check against the kernel's own totals.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isolatedOnline, readIrqAffinities, readIsolation } from '../../src/probes/proc/isolation.js';
import { parseSoftirqs, readInterrupts, readNetstat, readSnmp, readSnmp6, readSnmpAll, readSoftirqs, readSoftnet } from '../../src/probes/proc/readers.js';
import { cpuRates, irqName, netPart } from '../../src/probes/isolation-model.js';
import { readIsoProc } from '../../src/probes/isolation.js';
import { onlineCpus } from '../../src/probes/cpus.js';
import { hasControl } from '../../src/ui/safe.js';

const FX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/iso');
const T0 = join(FX, 'host/t0');
const T1 = join(FX, 'host/t1');
const BAD = join(FX, 'bad');

describe('isolated CPUs (readIsolation on sysfs trees)', () => {
  it('isolcpus: /sys/devices/system/cpu/isolated', () => {
    expect(readIsolation(join(FX, 'isolcpus/sys'))).toEqual({ cpus: [2, 3], isolcpus: [2, 3], nohz_full: [], partitions: [] });
  });
  it('nohz_full: its own file, an empty isolated file', () => {
    expect(readIsolation(join(FX, 'nohz/sys'))).toEqual({ cpus: [1, 3], isolcpus: [], nohz_full: [1, 3], partitions: [] });
  });
  it('cgroup v2 partitions: isolated and root ones with their effective CPUs, nested; invalid and member ones left out', () => {
    const iso = readIsolation(join(FX, 'partition/sys'));
    expect(iso.partitions).toEqual([
      { cgroup: '/rt.slice', mode: 'root', cpus: [2, 3] },
      { cgroup: '/rt.slice/app', mode: 'isolated', cpus: [3] },
    ]);
    expect(iso.cpus).toEqual([2, 3]);
    expect(iso.nohz_full).toEqual([]); // "(null)"
  });
  it('a v1/v2 hybrid: the v2 hierarchy under fs/cgroup/unified', () => {
    expect(readIsolation(join(FX, 'hybrid/sys')).partitions).toEqual([{ cgroup: '/iso', mode: 'isolated', cpus: [1] }]);
  });
  it('none: empty or absent files, no cgroup v2', () => {
    expect(readIsolation(join(FX, 'none/sys'))).toEqual({ cpus: [], isolcpus: [], nohz_full: [], partitions: [] });
    expect(readIsolation(join(FX, 'does-not-exist'))).toEqual({ cpus: [], isolcpus: [], nohz_full: [], partitions: [] });
  });
  it('malformed: the error names the file', () => {
    expect(() => readIsolation(join(FX, 'malformed/sys'))).toThrow(`${join(FX, 'malformed/sys')}/devices/system/cpu/isolated: bad CPU list: "2-x"`);
  });
  it('only online CPUs count for -C isolated and the header', () => {
    expect(isolatedOnline(readIsolation(join(FX, 'isolcpus/sys')), [0, 1, 2])).toEqual([2]);
  });
  it('this host: no isolated CPU (the -C isolated test relies on it)', () => {
    expect(readIsolation().cpus).toEqual([]);
  });
});

describe('IRQ affinities', () => {
  it('every numbered /proc/irq/N/smp_affinity_list, by IRQ number', () => {
    expect(readIrqAffinities(T0)).toEqual([
      { irq: 0, cpus: [0] },
      { irq: 24, cpus: [0, 1, 2, 3] },
      { irq: 40, cpus: [3] },
      { irq: 41, cpus: [0, 1, 2] },
    ]);
  });
  it('none without /proc/irq; a bad list names its file', () => {
    expect(readIrqAffinities(join(FX, 'none'))).toEqual([]);
    expect(() => readIrqAffinities(BAD)).toThrow(`${BAD}/irq/7/smp_affinity_list: bad CPU list: "zz"`);
  });
});

describe('/proc/interrupts and /proc/softirqs', () => {
  it('columns by CPU, counts per column, the description after them (ERR/MIS: one count)', () => {
    const r = readInterrupts(T0);
    expect(r.cpus).toEqual([0, 1, 2, 3]);
    expect(r.rows.map((x) => x.irq)).toEqual(['24', '40', '41', 'NMI', 'LOC', 'RES', 'CAL', 'TLB', 'ERR', 'MIS']);
    expect(r.rows[1]).toEqual({ irq: '40', counts: [5000, 5000, 0, 200], desc: 'PCI-MSIX-0000:00:04.0 1-edge eth0-rx-0' });
    expect(r.rows[4]).toEqual({ irq: 'LOC', counts: [100000, 100000, 100000, 1000], desc: 'Local timer interrupts' });
    expect(r.rows[8]).toEqual({ irq: 'ERR', counts: [0, 0, 0, 0], desc: '' });
    expect(irqName(r.rows[1].desc)).toBe('eth0-rx-0');
  });
  it('a hostile handler name is escaped where it is read', () => {
    const d = readInterrupts(T0).rows[2].desc;
    expect(d).toBe('PCI-MSIX-0000:00:05.0 0-edge evil\\e]0;pwned\\a');
    expect(hasControl(d)).toBe(false);
  });
  it('softirqs: ten types, one count per CPU', () => {
    const s = readSoftirqs(T0);
    expect(s.cpus).toEqual([0, 1, 2, 3]);
    expect(s.rows.map((x) => x.irq)).toEqual(['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU']);
    expect(s.rows[3].counts).toEqual([6000, 5000, 4000, 1000]);
  });
  it("the watched CPU's column as counts and rates over 2 s, non-zero only, most first", () => {
    const a = readInterrupts(T0);
    const b = readInterrupts(T1);
    expect(cpuRates(b, a, 3, 2)).toEqual([
      { name: '40', desc: 'PCI-MSIX-0000:00:04.0 1-edge eth0-rx-0', count: 60, rate: 30 },
      { name: 'RES', desc: 'Rescheduling interrupts', count: 40, rate: 20 },
      { name: 'CAL', desc: 'Function call interrupts', count: 20, rate: 10 },
      { name: '41', desc: 'PCI-MSIX-0000:00:05.0 0-edge evil\\e]0;pwned\\a', count: 4, rate: 2 },
      { name: 'LOC', desc: 'Local timer interrupts', count: 2, rate: 1 },
    ]);
    expect(cpuRates(b, a, 0, 2)).toEqual([]);
    expect(cpuRates(b, a, 7, 2)).toEqual([]); // no such column
    expect(cpuRates(readSoftirqs(T1), readSoftirqs(T0), 3, 2)).toEqual([{ name: 'NET_RX', desc: '', count: 60, rate: 30 }]);
  });
  it('malformed: file and line', () => {
    expect(() => readInterrupts(BAD)).toThrow(`${BAD}/interrupts:3: expected "ID: counts", got "  oops no colon"`);
    expect(() => readSoftirqs(BAD)).toThrow(`${BAD}/softirqs:2: TIMER: 2 CPUs but 1 counts`);
    expect(() => parseSoftirqs('CPU0 x\n', 'f')).toThrow('f:1: expected a header of CPUn columns, got "x"');
  });
});

describe('network backlog and drops', () => {
  it('softnet_stat: hex columns, the CPU from the 13th column, the backlog length', () => {
    expect(readSoftnet(T1).get(3)).toEqual({ processed: 0x10030, dropped: 9, timeSqueeze: 17, backlog: 3 });
    expect(readSoftnet(join(FX, 'none')).size).toBe(0);
    expect(() => readSoftnet(BAD)).toThrow(`${BAD}/net/softnet_stat:1: dropped: expected a hex counter, got "0000000g"`);
  });
  it('snmp: every section; the Tcp one as before; snmp6 and netstat', () => {
    const all = readSnmpAll(T0);
    expect([...all.keys()]).toEqual(['Ip', 'Tcp', 'Udp', 'UdpLite']);
    expect(all.get('Udp')).toMatchObject({ RcvbufErrors: 10, InErrors: 12 });
    expect(readSnmp(T0)).toMatchObject({ ActiveOpens: 10, MaxConn: -1 });
    expect(readSnmp6(T0)).toEqual({ Ip6InReceives: 100, Udp6InErrors: 1, Udp6RcvbufErrors: 1 });
    expect(readNetstat(T0).get('TcpExt')).toEqual({ SyncookiesSent: 0, TCPBacklogDrop: 4, TCPMinTTLDrop: 0 });
    expect(() => readSnmpAll(BAD)).toThrow(`${BAD}/net/snmp:2: Udp: 2 names but 1 values`);
  });
  it("two reads: the CPU's softnet, UDP/UDP6 receive-buffer errors, TCP backlog drops, NIC drops", () => {
    const n = netPart(
      readIsoProc(T1, () => 2n),
      readIsoProc(T0, () => 0n),
      3,
    );
    expect(n).toEqual({
      softnet: { processed: 64, dropped: 4, time_squeeze: 10, backlog: 3 },
      udp_rcvbuf_errors: 100,
      udp_in_errors: 100,
      udp6_rcvbuf_errors: 2,
      udp6_in_errors: 2,
      tcp_backlog_drop: 2,
      nic_rx_drop: 5,
      nic_tx_drop: 0,
      nic_drops: [{ iface: 'eth0', rx: 5, tx: 0 }],
    });
  });
});

describe("live (this host's /proc)", () => {
  it('every online CPU has a column in /proc/interrupts and /proc/softirqs, and a softnet line', () => {
    const cpus = onlineCpus();
    expect(readInterrupts().cpus).toEqual(cpus);
    expect(readSoftirqs().cpus).toEqual(cpus);
    expect([...readSoftnet().keys()].sort((a, b) => a - b)).toEqual(cpus);
  });

  it("each softirq type's total in /proc/stat lies between the sums of two reads of /proc/softirqs around it", () => {
    // The kernel counts both from the same per-CPU counters: a read of /proc/stat between two reads
    // of /proc/softirqs can only see totals between theirs.
    const before = readSoftirqs();
    const stat = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('softirq '))!
      .split(' ')
      .slice(2)
      .map(Number);
    const after = readSoftirqs();
    const sum = (r: typeof before, i: number) => r.rows[i].counts.reduce((a, b) => a + b, 0);
    expect(stat.length).toBe(before.rows.length);
    before.rows.forEach((r, i) => {
      expect(stat[i], r.irq).toBeGreaterThanOrEqual(sum(before, i));
      expect(stat[i], r.irq).toBeLessThanOrEqual(sum(after, i));
    });
  });

  it('the local timer interrupt counts up on every online CPU between two reads 200 ms apart', async () => {
    const a = readInterrupts();
    await new Promise((r) => setTimeout(r, 200));
    const b = readInterrupts();
    for (const cpu of onlineCpus()) {
      const loc = cpuRates(b, a, cpu, 0.2).find((x) => x.name === 'LOC');
      // A busy CPU ticks; an idle tickless one may not, but the read itself runs on some CPU.
      if (loc) expect(loc.count).toBeGreaterThan(0);
    }
    const all = onlineCpus().flatMap((cpu) => cpuRates(b, a, cpu, 0.2));
    expect(all.length).toBeGreaterThan(0);
  });
});
