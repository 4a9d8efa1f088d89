// Raw stacks to frames: the typed face of the addon's Symbolizer (native/symbolize.cc).
//
// The stack probes hand user space arrays of u64 instruction addresses, leaf first: addrs[0] is
// the interrupted instruction, addrs[i > 0] are return addresses. A return address is looked up
// at addr - 1 (a call that ends its function belongs to it, not to the next one); every frame
// reports the address it was given.
//
// Resolution, for user space:
//   - a file-backed executable mapping: the mapped file's ELF .symtab, else the .symtab of its
//     separate debug file (<debugDir>/.build-id/xx/rest.debug, or .gnu_debuglink beside it, in
//     .debug/ there, or under <debugDir>/<its dir>), else its .dynsym; then DWARF (libdw), where
//     present, for file:line and inlined functions. Address -> file offset (addr - start +
//     pgoff) -> ELF address through the PT_LOAD segment holding that offset;
//   - [vdso]: the process's own vDSO image (read at snapshot);
//   - anonymous executable memory (and any address outside the mappings): the process's
//     /tmp/perf-NSPID.map, re-read at most once a second while the process lives.
// Kernel addresses: kallsyms, loaded once.
//
// No byte of another process's file is parsed in this process (which runs as root): the
// addon hands the descriptors it opened (and the candidates for a file's debug file) to a
// parser process of its own, build/perfscope-parser (native/parser/), over a socketpair. That
// process runs as nobody, without capabilities, with no_new_privs, resource limits and a
// seccomp allowlist, and sends back plain tables (segments, sorted symbols, a perf map's
// entries, an address's DWARF frames), which the addon checks and looks up. If it dies or
// overruns a request's time bound it is killed and started again for the next request, and
// that file's frames stay module+offset (counted in stats().parser). docs/stacks.md states
// the sandbox and every bound.
//
// The requests to the parser (a file's tables, an address's DWARF, a perf map) and kallsyms run
// on a worker thread of the addon's own, never on the caller's: a call with `budgetMs` (what
// the stack probes make, on the thread that draws the screen) finds what is not ready yet,
// hands it to the worker and returns its frames `pending`; a call without waits for it. Files
// can be handed over ahead (snapshot(pid, { prefetch: true }), prefetchKernel()); whenIdle()
// resolves once the worker has nothing left to do.
//
// Never a wrong name: an address past a symbol's size, in a gap between symbols, in a file
// that cannot be read or is not (valid) ELF, comes back with `sym: null` and its module and
// offset. Names and paths come from files and other processes: they are returned as they are
// (invalid UTF-8 bytes replaced by U+FFFD) and must be escaped before they reach a terminal
// (src/stacks/resolve.ts escapes every frame it hands on, once).
import { addon, type Frame, type NativeParserStats, type NativeSymbolizer, type NativeUnwound } from '../bpf/addon.js';
import { wrap } from '../bpf/error.js';

export type { Frame, NativeParserStats, NativeUnwound } from '../bpf/addon.js';

/** Frames of one unwound stack, at most (native/symbolize.cc, kMaxUnwind). */
export const MAX_UNWIND = 127;

export interface SymbolizerOptions {
  /** Default `/proc`. */
  procRoot?: string;
  /** Where separate debug files are looked for; default `['/usr/lib/debug']`. */
  debugDirs?: string[];
  /** Default `<procRoot>/kallsyms`. */
  kallsyms?: string;
  /** The parser executable; default `perfscope-parser` beside the addon. */
  parserPath?: string;
}

export interface SymbolizerStats {
  /** Snapshots not released. */
  handles: number;
  /** Files held (one per distinct file, shared by every handle that maps it). */
  files: number;
  /** Symbols in the parsed tables (files, kallsyms, perf maps). */
  symbols: number;
  /** About the memory the tables and caches hold. */
  bytes: number;
  /** The parser process: restarts, timeouts, files refused, what the bounds cut. */
  parser: NativeParserStats;
}

export class Symbolizer {
  private readonly native: NativeSymbolizer;

  constructor(opts: SymbolizerOptions = {}) {
    this.native = wrap(() => new (addon().Symbolizer)(opts));
  }

  /**
   * Read /proc/PID/maps now and keep what symbolizing this process needs, even after it exits:
   * every executable mapping's file (opened through /proc/PID/map_files, else its path inside
   * /proc/PID/root), its vDSO image and its perf map. Returns a handle (a positive integer).
   * Throws a BpfError (code ESRCH when the process does not exist). `prefetch`: hand its files
   * to the background worker now, so that they are parsed before they are asked for.
   */
  snapshot(pid: number, opts: { prefetch?: boolean } = {}): number {
    return wrap(() => this.native.snapshot(pid, opts));
  }

  /**
   * Frames of user-space addresses of a snapshotted process: one list per address, from the
   * outermost function to the innermost inlined one (length 1 without inline information).
   * Without `budgetMs` the call waits for the tables it needs (parsed on the worker thread).
   * With it, nothing is parsed or waited for here: addresses in files whose tables are not
   * ready come back `pending` (module and offset) and the files are parsed in the background;
   * in files that are ready, the symbol is always looked up and the DWARF only while the budget
   * lasts (monotonic clock; after it, `pending` with `sym` set). Throws on an unknown handle.
   */
  user(handle: number, addrs: BigUint64Array, opts: { budgetMs?: number } = {}): Frame[][] {
    return this.native.user(handle, addrs, opts);
  }

  /**
   * Frames of kernel addresses (one each; same addr - 1 rule for addrs[i > 0]). Without
   * `budgetMs` the first call waits for kallsyms; with it (any value), until kallsyms is loaded
   * in the background the frames come back `pending`, module `[unknown]`.
   */
  kernel(addrs: BigUint64Array, opts: { budgetMs?: number } = {}): Frame[] {
    return this.native.kernel(addrs, opts);
  }

  /**
   * Unwind a user stack of a snapshotted process from its registers and a copy of the top of
   * its stack (`stack`: the bytes from `sp` up): by each module's call-frame information
   * (.eh_frame, compiled into rows by the parser process), else by frame pointer. Without
   * `budgetMs` it waits for the modules' tables; with it, a module not parsed yet is walked by
   * frame pointer (via 4) and parsed in the background. Throws on an unknown handle.
   */
  unwind(handle: number, regs: { ip: bigint; sp: bigint; bp: bigint }, stack: Buffer, opts: { budgetMs?: number } = {}): NativeUnwound {
    const r = this.native.unwind(handle, regs.ip, regs.sp, regs.bp, stack, this.addrsOut, this.viaOut, opts);
    const n = r & 0xff;
    return { addrs: this.addrsOut.slice(0, n), via: this.viaOut.slice(0, n), end: r >> 8 };
  }

  /** What unwind() has the addon write into (no allocation in the addon per call). */
  private readonly addrsOut = new BigUint64Array(MAX_UNWIND);
  private readonly viaOut = new Uint8Array(MAX_UNWIND);

  /** Start loading kallsyms in the background (once). */
  prefetchKernel(): void {
    this.native.prefetchKernel();
  }

  /** Nothing queued or being parsed in the background. */
  idle(): boolean {
    return this.native.idle();
  }

  /** Resolves once nothing is queued or being parsed in the background (the next call sees it all). */
  whenIdle(): Promise<void> {
    return this.native.whenIdle();
  }

  /**
   * Forget a snapshot. Files no other handle maps are closed and their tables freed (a parse in
   * flight finishes on the worker, and its result is dropped). Returns whether the handle was
   * known.
   */
  release(handle: number): boolean {
    return this.native.release(handle);
  }

  stats(): SymbolizerStats {
    return this.native.stats();
  }
}
