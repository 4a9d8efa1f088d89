// The native binding against the real kernel: open/load/attach/detach/re-attach, globals set
// before load, map operations (incl. batch), ring buffer delivered on the event loop, program
// run statistics, and errors that carry errno, code and stage.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { BpfError } from '../../src/probes/bpf/error.js';
import { BpfObject, bpfObjectPath } from '../../src/probes/bpf/object.js';
import { RingBufferReader } from '../../src/probes/bpf/ringbuf.js';
import { acquireStats, releaseStats } from '../../src/probes/bpf/stats.js';
import { ensureTracefs } from '../../src/probes/tracefs.js';
import { heldProgramIds, noBpf, waitUnloaded } from '../helpers/bpf.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};

/** A child that context-switches a lot (sleeps 1 ms in a loop) for `ms`. */
function switcher(ms: number) {
  return spawn('python3', ['-c', `import time\nend=time.time()+${ms / 1000}\nwhile time.time()<end: time.sleep(0.001)`], { stdio: 'ignore' });
}

describe('errors', () => {
  it.skipIf(noBpf)('a bad object path throws a BpfError with errno, code and stage', () => {
    let err: unknown;
    try {
      BpfObject.open('/nonexistent/perfscope.bpf.o');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    const e = err as BpfError;
    expect(e.errno).toBe(2);
    expect(e.code).toBe('ENOENT');
    expect(e.stage).toBe('open');
    expect(e.message).toContain('/nonexistent/perfscope.bpf.o');
  });

  it.skipIf(noBpf)('setting an unknown global or a global of the wrong size fails at the open stage', () => {
    const obj = BpfObject.open(bpfObjectPath('selftest'));
    try {
      expect(() => obj.setGlobalU32('no_such_global', 1)).toThrow(/no global variable 'no_such_global'/);
      expect(() => obj.setGlobalU64('targ_tgid', 1)).toThrow(/is 4 bytes, got 8/);
    } finally {
      obj.close();
    }
  });
});

describe.skipIf(noBpf)('a real object through its life cycle', () => {
  let obj: BpfObject | null = null;
  afterEach(() => {
    obj?.close();
    obj = null;
    expect(heldProgramIds()).toEqual([]);
  });

  it('loads, attaches, counts, detaches (stops counting) and re-attaches', async () => {
    acquireStats();
    try {
      obj = BpfObject.open(bpfObjectPath('selftest'));
      const child = switcher(4000);
      obj.setGlobalU32('targ_tgid', child.pid!).setGlobalU32('magic', 0xc0ffee).load();
      obj.map('enabled').update(u32(0), u32(1));
      expect(obj.programNames()).toEqual(['ps_st_switch']);
      const ids = obj.progIds();
      expect(heldProgramIds()).toEqual(ids);

      obj.attach('ps_st_switch');
      expect(obj.isAttached('ps_st_switch')).toBe(true);
      await sleep(400);
      const a = obj.progInfo('ps_st_switch').runCnt;
      expect(a).toBeGreaterThan(0);
      const seen = obj.map('seen').entries();
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[0][0].readUInt32LE(0)).toBe(child.pid);

      obj.detach('ps_st_switch');
      expect(obj.isAttached('ps_st_switch')).toBe(false);
      const b = obj.progInfo('ps_st_switch').runCnt;
      await sleep(300);
      expect(obj.progInfo('ps_st_switch').runCnt).toBe(b);

      obj.attach('ps_st_switch');
      await sleep(300);
      expect(obj.progInfo('ps_st_switch').runCnt).toBeGreaterThan(b);
      expect(obj.stats().runTimeNs).toBeGreaterThan(0);
      child.kill();
      obj.close();
      obj = null;
      expect(await waitUnloaded(ids)).toEqual([]);
    } finally {
      releaseStats();
    }
  });

  it('attaches one program to an extra tracepoint (attachTracepoint), idempotently; detach removes every link', async () => {
    // The exec feed's ps_exec_enter (section: syscalls/sys_enter_execve), also put on
    // sys_enter_execveat. libbpf needs tracefs for tracepoint ids: mounted here if missing.
    expect(ensureTracefs()).toBeNull();
    acquireStats();
    try {
      obj = BpfObject.open(bpfObjectPath('exec'));
      for (const p of obj.programs()) obj.setAutoload(p.name, p.section.startsWith('tracepoint/'));
      obj.load();
      const links = () => readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:bpf_link';
        } catch {
          return false;
        }
      }).length;
      const base = links();
      obj.attach('ps_exec_enter');
      obj.attachTracepoint('ps_exec_enter', 'syscalls', 'sys_enter_execveat');
      obj.attachTracepoint('ps_exec_enter', 'syscalls', 'sys_enter_execveat'); // idempotent
      expect(links() - base).toBe(2);
      expect(obj.isAttached('ps_exec_enter')).toBe(true);
      expect(() => obj!.attachTracepoint('ps_exec_enter', 'syscalls', 'sys_enter_no_such_syscall')).toThrow(BpfError);

      // 5 failing execveat(AT_FDCWD, missing) calls: each runs the program (on the extra link).
      const at = ['import ctypes', 'libc = ctypes.CDLL(None, use_errno=True)',
        'argv = (ctypes.c_char_p * 2)(b"/nonexistent/x", None)',
        'for _ in range(5): libc.syscall(ctypes.c_long(322), ctypes.c_long(-100), ctypes.c_char_p(b"/nonexistent/x"), argv, argv, ctypes.c_long(0))'].join('\n');
      const runs = () => obj!.progInfo('ps_exec_enter').runCnt;
      const a = runs();
      expect(spawnSync('/usr/bin/python3', ['-c', at]).status).toBe(0);
      expect(runs() - a).toBeGreaterThanOrEqual(5);

      obj.detach('ps_exec_enter');
      expect(obj.isAttached('ps_exec_enter')).toBe(false);
      expect(links()).toBe(base);
      const b = runs();
      expect(spawnSync('/usr/bin/python3', ['-c', at]).status).toBe(0);
      expect(runs()).toBe(b);
    } finally {
      releaseStats();
    }
  });

  it('delivers ring buffer records in batches on the event loop, in order, with the global set before load', async () => {
    obj = BpfObject.open(bpfObjectPath('selftest'));
    const child = switcher(3000);
    obj.setGlobalU32('targ_tgid', child.pid!).setGlobalU32('magic', 0xbeef).load();
    const records: { pid: number; seq: bigint; magic: number }[] = [];
    let batches = 0;
    const rb = new RingBufferReader(obj.map('events'), (recs) => {
      batches++;
      for (const r of recs) records.push({ pid: r.readUInt32LE(0), seq: r.readBigUInt64LE(8), magic: r.readUInt32LE(16) });
    });
    try {
      obj.map('enabled').update(u32(0), u32(1));
      obj.attachAll();
      await sleep(500);
      expect(records.length).toBeGreaterThan(10);
      expect(batches).toBeGreaterThan(0);
      expect(batches).toBeLessThanOrEqual(records.length);
      expect(records.every((r) => r.pid === child.pid && r.magic === 0xbeef)).toBe(true);
      for (let i = 1; i < records.length; i++) expect(records[i].seq > records[i - 1].seq).toBe(true);
      // Switching the config map off from user space stops the events (live config).
      obj.map('enabled').update(u32(0), u32(0));
      await sleep(50);
      rb.consume();
      const n = records.length;
      await sleep(300);
      rb.consume();
      expect(records.length).toBe(n);
    } finally {
      rb.close();
      child.kill();
    }
  });

  it('hands over at most maxBatch records per batch, losing none and keeping the order', async () => {
    obj = BpfObject.open(bpfObjectPath('selftest'));
    const child = switcher(20_000); // killed below; long enough for a slow start on a busy host
    obj.setGlobalU32('targ_tgid', child.pid!).load();
    const sizes: number[] = [];
    const seqs: bigint[] = [];
    const rb = new RingBufferReader(obj.map('events'), (recs) => {
      sizes.push(recs.length);
      for (const r of recs) seqs.push(r.readBigUInt64LE(8));
    }, 3);
    try {
      obj.attachAll();
      obj.map('enabled').update(u32(0), u32(1));
      // The child (python) may take a while to start on a busy host: wait for its switches.
      for (let t = 0; t < 100 && seqs.length < 20; t++) await sleep(50);
      // Block the event loop so that records pile up in the ring buffer, then drain them.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      const before = sizes.length;
      rb.consume();
      expect(sizes.length - before).toBeGreaterThan(3); // many small batches, not one big one
      obj.map('enabled').update(u32(0), u32(0));
      await sleep(50);
      rb.consume();
      expect(seqs.length).toBeGreaterThan(10);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
      // The program numbers its records 0, 1, 2, ...: none lost (no drops at this rate), in order.
      const drops = obj.map('drops').lookupPerCpu(u32(0))!.reduce((a, b) => a + b.readBigUInt64LE(0), 0n);
      expect(drops).toBe(0n);
      expect(seqs).toEqual(seqs.map((_, i) => BigInt(i)));
      expect(() => new RingBufferReader(obj!.map('events'), () => {}, 0)).toThrow(/maxBatch must be 1\.\.16384/);
    } finally {
      rb.close();
      child.kill();
    }
  });

  it('reads maps by iteration and by batch, and lookup-and-delete empties a hash', async () => {
    obj = BpfObject.open(bpfObjectPath('selftest'));
    obj.setGlobalU32('targ_tgid', process.pid).load();
    const seen = obj.map('seen');
    for (let i = 1; i <= 100; i++) {
      const v = Buffer.alloc(8);
      v.writeBigUInt64LE(BigInt(i * 10));
      seen.update(u32(i), v);
    }
    expect(seen.keys().length).toBe(100);
    const all = seen.entries();
    expect(all.length).toBe(100);
    expect(all.every(([k, v]) => v.readBigUInt64LE(0) === BigInt(k.readUInt32LE(0) * 10))).toBe(true);
    const taken = seen.takeAll();
    expect(taken.length).toBe(100);
    expect(seen.keys().length).toBe(0);
    expect(seen.lookup(u32(5))).toBeNull();
    expect(seen.delete(u32(5))).toBe(false);
    // Per-CPU values come back one per possible CPU.
    const per = obj.map('drops').lookupPerCpu(u32(0))!;
    expect(per.length).toBeGreaterThanOrEqual(2);
    expect(per.every((b) => b.length === 8)).toBe(true);
  });
});
