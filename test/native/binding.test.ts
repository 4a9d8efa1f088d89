// The native binding against the real kernel: open/load/attach/detach/re-attach, globals set
// before load, map operations (incl. batch), ring buffer delivered on the event loop, program
// run statistics, errors that carry errno, code and stage, and loads on the thread pool
// (loadAsync).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BpfError } from '../../src/bpf/error.js';
import { BpfObject, bpfObjectPath } from '../../src/bpf/object.js';
import { RingBufferReader } from '../../src/bpf/ringbuf.js';
import { acquireStats, releaseStats } from '../../src/bpf/stats.js';
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
    // The exec feed's ps_exec_exit (section: syscalls/sys_exit_execve), also put on
    // sys_exit_execveat. libbpf needs tracefs for tracepoint ids: mounted here if missing.
    expect(ensureTracefs()).toBeNull();
    acquireStats();
    try {
      obj = BpfObject.open(bpfObjectPath('exec'));
      for (const p of obj.programs()) obj.setAutoload(p.name, p.section.startsWith('tracepoint/'));
      obj.load();
      const links = () =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:bpf_link';
          } catch {
            return false;
          }
        }).length;
      const base = links();
      obj.attach('ps_exec_exit');
      obj.attachTracepoint('ps_exec_exit', 'syscalls', 'sys_exit_execveat');
      obj.attachTracepoint('ps_exec_exit', 'syscalls', 'sys_exit_execveat'); // idempotent
      expect(links() - base).toBe(2);
      expect(obj.isAttached('ps_exec_exit')).toBe(true);
      expect(() => obj!.attachTracepoint('ps_exec_exit', 'syscalls', 'sys_exit_no_such_syscall')).toThrow(BpfError);

      // 5 failing execveat(AT_FDCWD, missing) calls: each runs the program (on the extra link).
      const at = [
        'import ctypes',
        'libc = ctypes.CDLL(None, use_errno=True)',
        'argv = (ctypes.c_char_p * 2)(b"/nonexistent/x", None)',
        'for _ in range(5): libc.syscall(ctypes.c_long(322), ctypes.c_long(-100), ctypes.c_char_p(b"/nonexistent/x"), argv, argv, ctypes.c_long(0))',
      ].join('\n');
      const runs = () => obj!.progInfo('ps_exec_exit').runCnt;
      const a = runs();
      expect(spawnSync('/usr/bin/python3', ['-c', at]).status).toBe(0);
      expect(runs() - a).toBeGreaterThanOrEqual(5);

      obj.detach('ps_exec_exit');
      expect(obj.isAttached('ps_exec_exit')).toBe(false);
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
    const rb = new RingBufferReader(
      obj.map('events'),
      (recs) => {
        sizes.push(recs.length);
        for (const r of recs) seqs.push(r.readBigUInt64LE(8));
      },
      3,
    );
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
      const drops = obj
        .map('drops')
        .lookupPerCpu(u32(0))!
        .reduce((a, b) => a + b.readBigUInt64LE(0), 0n);
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

describe.skipIf(noBpf)('loadAsync: the load on the thread pool', () => {
  const objs: BpfObject[] = [];
  const open = (file = bpfObjectPath('selftest')) => {
    const o = BpfObject.open(file);
    objs.push(o);
    return o;
  };
  /** The error a failing call throws (or a failing promise rejects with). */
  const thrown = (fn: () => unknown): Error & { code?: string; stage?: string } => {
    try {
      fn();
    } catch (e) {
      return e as Error;
    }
    throw new Error('did not throw');
  };
  /** A selftest object whose load the verifier rejects (ps_st_reject turned on). */
  const rejected = (file?: string) => open(file).setAutoload('ps_st_reject', true);
  // The verifier log names kernel addresses (map pointers), which differ from load to load.
  const unaddressed = (log: string | undefined) => log?.replace(/0x[0-9a-f]{8,}/g, '0x…');

  afterEach(() => {
    for (const o of objs.splice(0)) o.close();
    expect(heldProgramIds()).toEqual([]);
  });

  it('resolves to the object, which then attaches and works as after load()', async () => {
    acquireStats();
    const child = switcher(4000);
    try {
      const obj = open();
      obj.setGlobalU32('targ_tgid', child.pid!).setGlobalU32('magic', 0xa5a5);
      expect(await obj.loadAsync()).toBe(obj);
      expect(obj.programNames()).toEqual(['ps_st_switch']);
      const ids = obj.progIds();
      expect(heldProgramIds()).toEqual(ids);
      obj.map('enabled').update(u32(0), u32(1));
      obj.attachAll();
      await sleep(400);
      expect(obj.progInfo('ps_st_switch').runCnt).toBeGreaterThan(0);
      expect(
        obj
          .map('seen')
          .keys()
          .map((k) => k.readUInt32LE(0)),
      ).toContain(child.pid);
      expect(() => obj.load()).toThrow(/only before load\(\)/);
      obj.close();
      expect(await waitUnloaded(ids)).toEqual([]);
    } finally {
      child.kill();
      releaseStats();
    }
  });

  it('while it runs every other method throws EBUSY; a close() meanwhile closes the object when it ends', async () => {
    const obj = open();
    const loading = obj.loadAsync();
    // Synchronous code runs before the load can settle (that takes the event loop).
    const busy = [
      () => obj.setGlobalU32('magic', 1),
      () => obj.setAutoload('ps_st_switch', false),
      () => obj.load(),
      () => obj.programs(),
      () => obj.map('seen'),
      () => obj.attach('ps_st_switch'),
      () => obj.detach('ps_st_switch'),
      () => obj.isAttached('ps_st_switch'),
      () => obj.progInfo('ps_st_switch'),
    ].map(thrown);
    for (const e of busy) {
      expect(e.message).toMatch(/BpfObject: busy loading .*selftest\.bpf\.o/);
      expect(e.code).toBe('EBUSY');
    }
    expect(busy[0]).toBeInstanceOf(BpfError); // through the facade's wrap()
    const second = await obj.loadAsync().catch((e: unknown) => e);
    expect(second).toBeInstanceOf(BpfError);
    expect(second).toMatchObject({ code: 'EBUSY', stage: 'load' });

    obj.close(); // deferred in the addon: the worker closes the object when libbpf is done
    expect(() => obj.programs()).toThrow(/closed/);
    const err = await loading.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ code: 'ECANCELED', stage: 'load' });
    expect(heldProgramIds()).toEqual([]);

    // A load that fails while a close() waits: the rejection is the load's own error.
    const bad = rejected();
    const failing = bad.loadAsync();
    bad.close();
    expect(await failing.catch((e: unknown) => e)).toMatchObject({ code: 'EACCES', stage: 'load' });
    expect(heldProgramIds()).toEqual([]);
  });

  it('a failing load rejects with the same BpfError as load() throws: stage load, errno, code, libbpf log', async () => {
    const err = (await rejected()
      .loadAsync()
      .catch((e: unknown) => e)) as BpfError;
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ stage: 'load', errno: 13, code: 'EACCES' });
    expect(err.message).toMatch(/cannot load BPF object .*selftest\.bpf\.o: Permission denied \(libbpf: /);
    expect(err.log).toMatch(/prog 'ps_st_reject'/);
    expect(err.log).toMatch(/invalid mem access/);

    const sync = thrown(() => rejected().load()) as BpfError;
    expect(sync).toBeInstanceOf(BpfError);
    expect([sync.errno, sync.code, sync.stage]).toEqual([err.errno, err.code, err.stage]);
    expect(unaddressed(err.log)).toBe(unaddressed(sync.log));
    expect(unaddressed(err.message)).toBe(unaddressed(sync.message));
    expect(heldProgramIds()).toEqual([]);
  });

  it('keeps the libbpf log of each load to itself: two failing loads at once, and a failing call on the main thread meanwhile', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'perfscope-'));
    try {
      const [a, b] = ['first', 'second'].map((n) => {
        const f = path.join(dir, `${n}.bpf.o`);
        copyFileSync(bpfObjectPath('selftest'), f);
        return rejected(f);
      });
      let settled = false;
      const both = Promise.allSettled([a.loadAsync(), b.loadAsync()]).finally(() => (settled = true));
      // Meanwhile libbpf logs on the main thread too, once per turn of the loop.
      const mainLogs: (string | undefined)[] = [];
      do {
        mainLogs.push((thrown(() => BpfObject.open('/nonexistent/main-thread.bpf.o')) as BpfError).log);
        await new Promise((r) => setImmediate(r));
      } while (!settled);
      const [ea, eb] = (await both).map((r) => (r.status === 'rejected' ? (r.reason as BpfError) : null));
      expect(ea?.log).toMatch(/failed to load object '.*first\.bpf\.o'/);
      expect(eb?.log).toMatch(/failed to load object '.*second\.bpf\.o'/);
      expect(ea?.log).not.toMatch(/second\.bpf\.o|main-thread/);
      expect(eb?.log).not.toMatch(/first\.bpf\.o|main-thread/);
      for (const log of mainLogs) expect(log).toBe('libbpf: elf: failed to open /nonexistent/main-thread.bpf.o: No such file or directory\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two objects load in parallel (Promise.all) and both run', async () => {
    acquireStats();
    const child = switcher(4000);
    try {
      const [a, b] = [open(), open()];
      for (const o of [a, b]) o.setGlobalU32('targ_tgid', child.pid!);
      expect(await Promise.all([a.loadAsync(), b.loadAsync()])).toEqual([a, b]);
      const ids = [...a.progIds(), ...b.progIds()];
      expect(new Set(ids).size).toBe(2);
      expect(heldProgramIds()).toEqual([...ids].sort((x, y) => x - y));
      for (const o of [a, b]) {
        o.map('enabled').update(u32(0), u32(1));
        o.attachAll();
      }
      await sleep(400);
      for (const o of [a, b]) expect(o.progInfo('ps_st_switch').runCnt).toBeGreaterThan(0);
    } finally {
      child.kill();
      releaseStats();
    }
  });

  it('the event loop runs while a real probe object loads', async () => {
    // The scheduler probes' object (its configuration is live, in a map: nothing to set before load).
    const obj = open(bpfObjectPath('sched'));
    // Start from an I/O callback (the poll phase): the loop's check phase, where immediates
    // run, comes before the next poll, where the load's end can be taken up. So an immediate
    // runs before the promise settles unless the load blocked the loop (or settled without it).
    await stat('/');
    let immediates = 0;
    let loading = true;
    const spin = () => {
      immediates++;
      if (loading) setImmediate(spin);
    };
    setImmediate(spin);
    const p = obj.loadAsync();
    const before = immediates; // nothing ran yet: loadAsync() itself did not wait
    await p;
    loading = false;
    const during = immediates - before;
    expect(before).toBe(0);
    expect(during).toBeGreaterThan(0);
    expect(obj.programNames().length).toBeGreaterThan(0);
    expect(heldProgramIds()).toEqual(obj.progIds().sort((x, y) => x - y));
  });
});
