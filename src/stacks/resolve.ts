// From raw stacks to frames: the address spaces the BPF objects announce (bpf/stacks.bpf.h) are
// snapshotted at once (their maps read while the process lives, so a process that exits before
// the interval ends still resolves), and each interval's stacks are symbolized through the one
// native Symbolizer of this process (src/stacks/symbolizer.ts: kallsyms, ELF symbol tables,
// DWARF, perf maps, cached by file), within a time budget. The costly reads happen on the
// addon's worker thread, started ahead: kallsyms when the resolver is made (a stack probe
// starts), an address space's files when it is announced; until they are ready their frames
// come back pending (module+offset) and resolve in a later interval. Frames come back root
// first; names from files and other processes are escaped here (src/probes/strings.ts), once.
import { existsSync } from 'node:fs';
import { escapeBytes } from '../probes/strings.js';
import type { StackKey } from './layout.js';
import { Symbolizer, type Frame } from './symbolizer.js';

/** One frame as --json, the screen and the folded output see it. */
export interface StackFrame {
  /** Instruction address, hex ('0x…'; kernel addresses exceed 2^53). */
  readonly addr: string;
  /** Function name, or null when it cannot be told (then module+offset says where). */
  readonly sym: string | null;
  /** `[kernel]`, `[module]`, a mapped file's path, `[vdso]`, `[jit]` or `[unknown]`. */
  readonly module: string;
  /** From the symbol's start, or (sym null) within the module. */
  readonly offset: number;
  /** A function inlined into the frame before it (root first). */
  readonly inlined?: boolean;
  /**
   * User stacks unwound in user space: how this frame was found. `regs` the sampled
   * instruction, `cfi` the call-frame information of the frame below, `fp` its frame pointer
   * (no CFI for that code: a JIT, a module without .eh_frame), `fp-corrupt-cfi` its frame
   * pointer because its module's CFI could not be read, `fp-pending` its frame pointer because
   * its module was not parsed yet. Absent: walked by frame pointer in the kernel (--unwind fp,
   * or a sample whose copy did not fit), and on inlined frames.
   */
  readonly via?: FrameVia;
  /**
   * The GNU build-id of the file holding a user frame's address (its `.note.gnu.build-id`, in
   * lowercase hex as `readelf -n` shows it), when it has one; not on inlined frames (they are
   * their outer frame's). --pprof puts it on the module's mapping.
   */
  readonly build_id?: string;
}

/** A build-id as the addon hands it: 1 to 64 bytes in lowercase hex (the parser reads at most 64). */
export const BUILD_ID = /^(?:[0-9a-f]{2}){1,64}$/;

export type FrameVia = 'regs' | 'cfi' | 'fp' | 'fp-corrupt-cfi' | 'fp-pending';
const VIA: readonly FrameVia[] = ['regs', 'cfi', 'fp', 'fp-corrupt-cfi', 'fp-pending'];

/** A user stack unwound from a copy: leaf first; truncated when it ended at the end of the copy or the depth bound. */
export interface Unwound {
  user: BigUint64Array;
  via: Uint8Array;
  truncated: boolean;
}

/** A stack resolved: user frames then kernel frames, each root first. */
export interface ResolvedStack {
  readonly user: StackFrame[];
  readonly kernel: StackFrame[];
}

/** The frames a tracing program adds on top of the kernel stack it reads (never the kernel's own work). */
const TRACING_FRAME = /^(bpf_prog_|bpf_trace_run|__bpf_trace_|__traceiter_|bpf_overflow_handler$|__perf_event_overflow$|perf_swevent_hrtimer$)/;

interface Space {
  handle: number | null;
  /** Resolve() calls since it was last used. */
  idle: number;
}

/** How many sweeps an address space of a process that exited is kept, unused, before it is freed. */
const KEEP_SWEEPS = 3;

/**
 * Wait for the tables instead of a budget (pending frames): for a run without a screen whose
 * output is printed once at its end (--folded), where holding the thread costs nothing.
 */
let waitForTables = false;
export function setSymbolizeWait(on: boolean): void {
  waitForTables = on;
}

function safeText(s: string): string {
  return /^[\x20-\x5b\x5d-\x7e]*$/.test(s) ? s : escapeBytes(Buffer.from(s, 'utf8'));
}

function clean(f: Frame): StackFrame {
  const out: { -readonly [K in keyof StackFrame]: StackFrame[K] } = {
    addr: f.addr,
    sym: f.sym === null ? null : safeText(f.sym),
    module: safeText(f.module),
    offset: f.offset,
  };
  if (f.inlined) out.inlined = true;
  else if (f.buildId !== undefined && BUILD_ID.test(f.buildId)) out.build_id = f.buildId;
  return out;
}

export class StackResolver {
  private readonly sym: Symbolizer;
  private readonly spaces = new Map<string, Space>();
  private readonly kernelCache = new Map<bigint, StackFrame>();
  /** Milliseconds spent symbolizing since the last call of spentMs(). */
  private spent = 0;
  /** What delivers pending announcements now (each collector's ring buffer). */
  private readonly flushers = new Set<() => void>();

  constructor(private readonly procRoot = '/proc') {
    this.sym = new Symbolizer({ procRoot });
    this.sym.prefetchKernel();
  }

  /** `flush` delivers the announcements not heard yet (see whenIdle()); returns what removes it. */
  addFlusher(flush: () => void): () => void {
    this.flushers.add(flush);
    return () => this.flushers.delete(flush);
  }

  /** Resolves once the announcements so far are heard and every file they named is read. */
  async whenIdle(): Promise<void> {
    for (const f of this.flushers) f();
    await this.sym.whenIdle();
  }

  /** An address space seen for the first time: read its maps now, while the process lives. */
  announce(tgid: number, mmid: number): void {
    const id = `${tgid}:${mmid}`;
    if (this.spaces.has(id)) return;
    let handle: number | null = null;
    try {
      handle = this.sym.snapshot(tgid, { prefetch: true });
    } catch {
      handle = null; // already gone: its user frames show as [unknown]
    }
    this.spaces.set(id, { handle, idle: 0 });
  }

  /** User frames then kernel frames, root first; `deadline`: performance.now() after which files not yet read are left for later. */
  resolve(key: StackKey, deadline: number): ResolvedStack {
    const t0 = performance.now();
    const budget = () => (waitForTables ? {} : { budgetMs: Math.max(0, deadline - performance.now()) });
    const kernel = this.kernelFrames(key.kernel, budget());
    let user: StackFrame[] = [];
    if (key.user.length) {
      const id = `${key.tgid}:${key.mmid}`;
      if (!this.spaces.has(id)) this.announce(key.tgid, key.mmid); // its announcement was lost
      const sp = this.spaces.get(id)!;
      sp.idle = 0;
      if (sp.handle === null) user = [...key.user].reverse().map((a) => unknownFrame(a));
      else {
        const per = this.sym.user(sp.handle, key.user, budget());
        for (let i = per.length - 1; i >= 0; i--) {
          per[i].forEach((f, k) => {
            const c = clean(f);
            const via = key.via && k === 0 ? VIA[key.via[i]] : undefined;
            user.push(via ? { ...c, via } : c);
          });
        }
      }
    }
    this.spent += performance.now() - t0;
    return { user, kernel };
  }

  /**
   * A user stack from its registers and a copy of its stack top (struct stack_sample), unwound
   * by the process's modules' CFI (src/stacks/symbolizer.ts, unwind()); null when its address
   * space is gone (its user frames are lost: the caller counts it).
   */
  unwind(tgid: number, mmid: number, regs: { ip: bigint; sp: bigint; bp: bigint }, stack: Buffer, deadline: number): Unwound | null {
    const t0 = performance.now();
    const id = `${tgid}:${mmid}`;
    if (!this.spaces.has(id)) this.announce(tgid, mmid);
    const sp = this.spaces.get(id)!;
    sp.idle = 0;
    if (sp.handle === null || regs.ip === 0n) return null;
    const opts = waitForTables ? {} : { budgetMs: Math.max(0, deadline - performance.now()) };
    const u = this.sym.unwind(sp.handle, regs, stack, opts);
    this.spent += performance.now() - t0;
    return { user: u.addrs, via: u.via, truncated: u.end === 1 || u.end === 2 };
  }

  private kernelFrames(addrs: BigUint64Array, opts: { budgetMs?: number }): StackFrame[] {
    const fresh = new Map<bigint, StackFrame>();
    // Only whole frames are kept: a pending one (kallsyms still loading) is asked for again.
    const keep = (k: bigint, f: Frame) => {
      const c = clean(f);
      if (f.pending) fresh.set(k, c);
      else this.kernelCache.set(k, c);
    };
    if (addrs.some((a, i) => !this.kernelCache.has(cacheKey(a, i)))) {
      if (this.kernelCache.size > 200_000) this.kernelCache.clear();
      // The whole stack in one call: the symbolizer itself looks return addresses (i > 0) up at addr-1.
      const got = this.sym.kernel(addrs, opts);
      addrs.forEach((a, i) => keep(cacheKey(a, i), got[i]));
    }
    const out: StackFrame[] = [];
    for (let i = addrs.length - 1; i >= 0; i--) {
      const k = cacheKey(addrs[i], i);
      out.push(this.kernelCache.get(k) ?? fresh.get(k)!);
    }
    // Drop the tracing program's own frames at the leaf end: the first frame shown is the kernel's.
    while (out.length && out[out.length - 1].sym !== null && TRACING_FRAME.test(out[out.length - 1].sym!)) out.pop();
    return out;
  }

  /**
   * Once per interval: free the address spaces of processes that exited and have not been used
   * for a few intervals. Returns their tgids (the caller forgets them in the kernel's `seen`).
   */
  sweep(): number[] {
    const gone: number[] = [];
    for (const [id, sp] of this.spaces) {
      sp.idle++;
      if (sp.idle < KEEP_SWEEPS) continue;
      const tgid = Number(id.slice(0, id.indexOf(':')));
      if (existsSync(`${this.procRoot}/${tgid}`) && sp.idle < 60) continue;
      if (sp.handle !== null) this.sym.release(sp.handle);
      this.spaces.delete(id);
      gone.push(tgid);
    }
    return gone;
  }

  /** Milliseconds spent in resolve() since the last call. */
  spentMs(): number {
    const s = this.spent;
    this.spent = 0;
    return s;
  }

  close(): void {
    for (const sp of this.spaces.values()) if (sp.handle !== null) this.sym.release(sp.handle);
    this.spaces.clear();
    this.kernelCache.clear();
  }
}

/** Leaf (i = 0) and return addresses resolve differently: cached apart. */
function cacheKey(a: bigint, i: number): bigint {
  return i === 0 ? a : a | (1n << 64n);
}

function unknownFrame(a: bigint): StackFrame {
  return { addr: `0x${a.toString(16)}`, sym: null, module: '[unknown]', offset: 0 };
}

let shared: { r: StackResolver; users: number } | null = null;

/**
 * Resolves once the shared resolver (if any) has heard every announcement so far and read every
 * file they named and kallsyms: the next sample's frames are named (tests; nothing waits in a run).
 */
export async function symbolizerIdle(): Promise<void> {
  if (shared) await shared.r.whenIdle();
}

/** The one resolver of this process (its caches are shared by the profile and off-CPU stacks). */
export function acquireResolver(procRoot = '/proc'): StackResolver {
  if (!shared) shared = { r: new StackResolver(procRoot), users: 0 };
  shared.users++;
  return shared.r;
}

export function releaseResolver(r: StackResolver): void {
  if (!shared || shared.r !== r) return;
  if (--shared.users === 0) {
    shared.r.close();
    shared = null;
  }
}
