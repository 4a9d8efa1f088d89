// The native libbpf binding (build/perfscope.node), loaded once, on first use: nothing loads it
// at import time, so a module that only names these types costs nothing.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { BpfError } from './error.js';

export const ADDON_PATH = path.join(PACKAGE_ROOT, 'build', 'perfscope.node');

export interface NativeMapInfo {
  name: string;
  fd: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}
export interface NativeProgInfo {
  id: number;
  runTimeNs: number;
  runCnt: number;
  recursionMisses: number;
}
export interface NativeObject {
  setGlobal(name: string, value: Buffer): void;
  setAutoload(prog: string, on: boolean): void;
  setMaxEntries(map: string, n: number): void;
  load(): void;
  /** load() on the libuv thread pool; see BpfObject.loadAsync(). */
  loadAsync(): Promise<void>;
  programs(): { name: string; section: string; autoload: boolean; fd: number }[];
  maps(): NativeMapInfo[];
  attach(prog: string): void;
  attachTracepoint(prog: string, category: string, name: string, cookie?: number): void;
  detachTracepoints(prog: string, list: readonly (readonly [string, string, number?])[]): void;
  attachUprobe(prog: string, slot: number, path: string, offset: number, retprobe: boolean, pid: number): void;
  attachUsdt(prog: string, slot: number, path: string, provider: string, name: string, pid: number): void;
  detachSlots(prog: string, slots: readonly number[]): void;
  setExpectedAttachType(prog: string, type: number): void;
  attachUprobeMulti(prog: string, key: string, path: string, offsets: readonly number[], cookies: readonly number[], retprobe: boolean, pid: number): void;
  detachMulti(key: string): void;
  attachPerfEvent(prog: string, cpu: number, hz: number): void;
  detachPerfEvents(prog: string, cpus: readonly number[]): void;
  detach(prog: string): void;
  isAttached(prog: string): boolean;
  progInfo(prog: string): NativeProgInfo;
  close(): void;
}
export interface NativeElfFunction {
  name: string;
  vaddr: number;
  /** File offset (what a uprobe attaches at). */
  offset: number;
  size: number;
  ifunc: boolean;
}
export interface NativeElfFunctions {
  funcs: NativeElfFunction[];
  segs: { vaddr: number; offset: number; filesz: number }[];
  /** Functions left out by the bound. */
  cut: number;
  /** Has a .symtab (else only the exported functions of .dynsym). */
  symtab: boolean;
}
export interface NativeUsdtNote {
  provider: string;
  name: string;
  /** The argument specs ("-4@%eax 8@-16(%rbp)"). */
  args: string;
  pc: number;
  semaphore: number;
}
export interface NativeRingBuffer {
  consume(): number;
  close(): void;
}
export interface NativeFeedReaderOptions {
  intervalMax?: number;
  intervalNewest?: boolean;
  intervalMaxBytes?: number;
  recentMax?: number;
  commOffset?: number;
  commLen?: number;
  comm?: string;
}
export interface NativeFeedReader {
  take(which: 0 | 1): [records: Buffer, count: number, seen: number, overflow: number];
  setInterval(max: number, newest: boolean): void;
  stats(): { received: number; filtered: number; realtime: boolean };
  close(): void;
}
/** One frame of a symbolized address, as the addon's symbolizer returns it (src/stacks/symbolizer.ts is its typed face). */
export interface Frame {
  /** The address given, '0x…' hex (kernel addresses exceed 2^53). */
  addr: string;
  /** The function, demangled (C++, Rust legacy), or null when it cannot be told. */
  sym: string | null;
  /**
   * `[kernel]`, `[modname]` (a kernel module, `[bpf]` for BPF programs), the mapped file's path
   * as /proc/PID/maps shows it (e.g. `/usr/lib/x86_64-linux-gnu/libc.so.6`, `… (deleted)`),
   * `[vdso]`, `[jit]`, another special mapping's name (`[vsyscall]`), or `[unknown]` when no
   * mapping (no kernel symbol) holds the address.
   */
  module: string;
  /**
   * addr - the symbol's start when `sym` is set (inlined frames repeat their outer frame's);
   * else the offset in the module: the file offset for files, from the mapping's start for
   * [vdso] and [jit], 0 for `[unknown]`. Print `module+0xoffset`.
   */
  offset: number;
  /** Source file and line, from DWARF, where the address is in this frame's code. */
  file?: string;
  line?: number;
  /** The GNU build-id of the mapped file (or vDSO image) holding the address, lowercase hex, when it has one. */
  buildId?: string;
  /** An inlined function (every frame of an address but its first, outermost one). */
  inlined?: true;
  /**
   * Not whole yet, ask again later: the file's tables (or kallsyms) are being read in the
   * background (sym null, module and offset set; `[unknown]` for the kernel), or, with `sym`
   * set, the budget was spent before its DWARF (file:line, inlined frames) was looked up.
   */
  pending?: true;
}

export interface NativeSymbolizerOptions {
  procRoot?: string;
  debugDirs?: string[];
  kallsyms?: string;
  parserPath?: string;
}
/** The symbolizer's parser process (native/parser/main.cc): what it did and what it was refused. */
export interface NativeParserStats {
  /** Its pid now (0: not running). */
  pid: number;
  starts: number;
  /** Starts after the first (it died, overran or was killed). */
  restarts: number;
  /** Died on a request (a signal, a resource limit, the seccomp filter) or broke the protocol. */
  crashes: number;
  /** Overran a request's time bound: killed. */
  timeouts: number;
  /** Could not be started (then tried again at most once a second). */
  startErrors: number;
  /** Files left unparsed (refused by the parser, died or overran on, or past the bound on descriptors held): their frames module+offset. */
  refused: number;
  /** Symbols and perf-map entries left out by a bound. */
  entriesCut: number;
  /** Perf-map bytes left unread by a bound. */
  bytesCut: number;
  /** Descriptors of mapped and debug files held. */
  fds: number;
}
/** A user stack unwound by the addon (native/symbolize.cc, Engine::Unwind). */
export interface NativeUnwound {
  /** Leaf first: the interrupted instruction, then return addresses. */
  addrs: BigUint64Array;
  /** Per address, how it was found: 0 the registers, 1 CFI, 2 frame pointer (no CFI there), 3 frame pointer (the module's CFI is corrupt), 4 frame pointer (its tables not read yet). */
  via: Uint8Array;
  /** Why it ended: 0 the outermost frame, 1 the end of the copied stack, 2 the depth bound, 3 bad data (no progress, a frame pointer outside the copy). */
  end: number;
}

export interface NativeSymbolizer {
  snapshot(pid: number, opts?: { prefetch?: boolean }): number;
  user(handle: number, addrs: BigUint64Array, opts?: { budgetMs?: number }): Frame[][];
  kernel(addrs: BigUint64Array, opts?: { budgetMs?: number }): Frame[];
  /** Writes addrs[0..n) and via[0..n) (each at least 127 long); returns n | end << 8. */
  unwind(handle: number, ip: bigint, sp: bigint, bp: bigint, stack: Buffer, addrs: BigUint64Array, via: Uint8Array, opts?: { budgetMs?: number }): number;
  prefetchKernel(): void;
  idle(): boolean;
  whenIdle(): Promise<void>;
  release(handle: number): boolean;
  stats(): { handles: number; files: number; symbols: number; bytes: number; parser: NativeParserStats };
}
export interface Native {
  BpfObject: new (path: string) => NativeObject;
  RingBuffer: new (fd: number, cb: (batch: Buffer, count: number) => void, maxBatch?: number) => NativeRingBuffer;
  FeedReader: new (fd: number, opts: NativeFeedReaderOptions) => NativeFeedReader;
  Symbolizer: new (opts?: NativeSymbolizerOptions) => NativeSymbolizer;
  libbpfVersion(): string;
  numPossibleCpus(): number;
  enableStats(): number;
  closeFd(fd: number): void;
  /** Does the kernel's BTF have the raw tracepoint btf_trace_<name> (what tp_btf/<name> attaches to)? */
  probeTpBtf(name: string): boolean;
  /** The defined functions of an ELF file (.symtab and .dynsym), its PT_LOAD segments (native/uprobe.cc). */
  elfFunctions(path: string): NativeElfFunctions;
  /** Its SystemTap SDT notes. */
  usdtNotes(path: string): NativeUsdtNote[];
  /** The link-time address an IFUNC resolves to in this process (a library already loaded here), or null. */
  ifuncTarget(path: string, name: string): number | null;
  mapLookup(fd: number, key: Buffer, valueSize: number): Buffer | null;
  mapUpdate(fd: number, key: Buffer, value: Buffer, flags?: number): void;
  mapDelete(fd: number, key: Buffer): boolean;
  mapKeys(fd: number, keySize: number): Buffer;
  mapBatch(fd: number, keySize: number, valueSize: number, maxEntries: number, del: boolean): { keys: Buffer; values: Buffer; count: number };
  mapInfo(fd: number): NativeMapInfo & { id: number };
}

let native: Native | undefined;

/** The addon, loaded once. Throws a BpfError (stage 'addon') that says how to build it. */
export function addon(): Native {
  if (native) return native;
  if (!existsSync(ADDON_PATH)) {
    throw new BpfError(`native addon not built (${ADDON_PATH} is missing): run ./dev start or make build`, 2, 'ENOENT', 'addon');
  }
  try {
    native = createRequire(import.meta.url)(ADDON_PATH) as Native;
  } catch (e) {
    throw new BpfError(`native addon does not load: ${(e as Error).message.split('\n')[0]}`, 0, 'EADDON', 'addon');
  }
  return native;
}

export function possibleCpus(): number {
  return addon().numPossibleCpus();
}
