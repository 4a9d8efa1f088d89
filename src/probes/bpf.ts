// Typed facade over the native libbpf binding (build/perfscope.node). Generic: objects, programs,
// maps, ring buffers and run statistics. Probes build on this and never touch the addon directly.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Package root: src/probes/ and dist/probes/ are both two levels down. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ADDON_PATH = path.join(PACKAGE_ROOT, 'build', 'perfscope.node');

export type BpfStage = 'open' | 'load' | 'attach' | 'read' | 'write' | 'addon';

export class BpfError extends Error {
  constructor(
    message: string,
    readonly errno: number,
    readonly code: string,
    readonly stage: BpfStage,
    readonly log?: string,
  ) {
    super(message);
    this.name = 'BpfError';
  }
}

interface NativeMapInfo { name: string; fd: number; type: number; keySize: number; valueSize: number; maxEntries: number }
interface NativeProgInfo { id: number; runTimeNs: number; runCnt: number; recursionMisses: number }
interface NativeObject {
  setGlobal(name: string, value: Buffer): void;
  setAutoload(prog: string, on: boolean): void;
  load(): void;
  loadAsync(): Promise<void>;
  programs(): { name: string; section: string; autoload: boolean; fd: number }[];
  maps(): NativeMapInfo[];
  attach(prog: string): void;
  attachTracepoint(prog: string, category: string, name: string): void;
  detach(prog: string): void;
  isAttached(prog: string): boolean;
  progInfo(prog: string): NativeProgInfo;
  close(): void;
}
interface NativeRingBuffer { consume(): number; close(): void }
interface Native {
  BpfObject: new (path: string) => NativeObject;
  RingBuffer: new (fd: number, cb: (batch: Buffer, count: number) => void, maxBatch?: number) => NativeRingBuffer;
  libbpfVersion(): string;
  numPossibleCpus(): number;
  enableStats(): number;
  closeFd(fd: number): void;
  probeTpBtf(name: string): boolean;
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

/** Rethrow anything the addon threw as a BpfError. */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfError) throw e;
    const err = e as Error & { errno?: number; code?: string; stage?: BpfStage; log?: string };
    if (typeof err.errno === 'number') throw new BpfError(err.message, err.errno, err.code ?? 'EUNKNOWN', err.stage ?? 'read', err.log);
    throw e;
  }
}

/** wrap() for a promise: rejects with a BpfError where wrap() would throw one. */
async function wrapAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return wrap<never>(() => {
      throw e;
    });
  }
}

export const BPF_MAP_TYPE = { HASH: 1, ARRAY: 2, PERCPU_HASH: 5, PERCPU_ARRAY: 6, LRU_PERCPU_HASH: 10, RINGBUF: 27 } as const;
const PERCPU_TYPES = new Set<number>([BPF_MAP_TYPE.PERCPU_HASH, BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.LRU_PERCPU_HASH, 21 /* PERCPU_CGROUP_STORAGE */]);

export function possibleCpus(): number {
  return addon().numPossibleCpus();
}

export class BpfMap {
  readonly percpu: boolean;
  /** Bytes per value as the syscalls see it (per-CPU maps: one 8-aligned slot per possible CPU). */
  readonly valueBytes: number;
  /** Bytes of one CPU's slot in a per-CPU value. */
  readonly slotBytes: number;
  private batchOk = true;

  constructor(
    readonly name: string,
    readonly fd: number,
    readonly type: number,
    readonly keySize: number,
    readonly valueSize: number,
    readonly maxEntries: number,
  ) {
    this.percpu = PERCPU_TYPES.has(type);
    this.slotBytes = this.percpu ? Math.ceil(valueSize / 8) * 8 : valueSize;
    this.valueBytes = this.percpu ? this.slotBytes * possibleCpus() : valueSize;
  }

  /** A map known only by fd (e.g. an inner map of a map-in-map). */
  static fromFd(fd: number): BpfMap {
    const i = wrap(() => addon().mapInfo(fd));
    return new BpfMap(i.name, fd, i.type, i.keySize, i.valueSize, i.maxEntries);
  }

  lookup(key: Buffer): Buffer | null {
    return wrap(() => addon().mapLookup(this.fd, key, this.valueBytes));
  }

  /** Per-CPU maps: the value of each possible CPU, index = CPU number. */
  lookupPerCpu(key: Buffer): Buffer[] | null {
    const v = this.lookup(key);
    if (!v) return null;
    return splitPerCpu(v, this.slotBytes, this.valueSize);
  }

  update(key: Buffer, value: Buffer, flags = 0): void {
    wrap(() => addon().mapUpdate(this.fd, key, value, flags));
  }

  delete(key: Buffer): boolean {
    return wrap(() => addon().mapDelete(this.fd, key));
  }

  keys(): Buffer[] {
    const all = wrap(() => addon().mapKeys(this.fd, this.keySize));
    const out: Buffer[] = [];
    for (let o = 0; o < all.length; o += this.keySize) out.push(all.subarray(o, o + this.keySize));
    return out;
  }

  /** Every entry (a snapshot by batch lookup where the kernel has it, else by iteration). */
  entries(): [Buffer, Buffer][] {
    return this.readAll(false);
  }

  /**
   * Read and remove every entry: one lookup-and-delete batch where the map type supports it, so
   * that an entry is either returned or left in the map, never lost in between. Falls back to
   * iterate-lookup-delete (only safe when nothing writes the map, e.g. an inactive generation).
   */
  takeAll(): [Buffer, Buffer][] {
    return this.readAll(true);
  }

  private readAll(del: boolean): [Buffer, Buffer][] {
    if (this.batchOk) {
      try {
        const r = wrap(() => addon().mapBatch(this.fd, this.keySize, this.valueBytes, this.maxEntries, del));
        const out: [Buffer, Buffer][] = [];
        for (let i = 0; i < r.count; i++) {
          out.push([
            r.keys.subarray(i * this.keySize, (i + 1) * this.keySize),
            r.values.subarray(i * this.valueBytes, (i + 1) * this.valueBytes),
          ]);
        }
        return out;
      } catch (e) {
        if (!(e instanceof BpfError) || !['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'ENOTSUPP'].includes(e.code)) throw e;
        this.batchOk = false;
      }
    }
    const out: [Buffer, Buffer][] = [];
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (!v) continue;
      if (del) this.delete(k);
      out.push([Buffer.from(k), v]);
    }
    return out;
  }
}

export function splitPerCpu(v: Buffer, slotBytes: number, valueSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o + slotBytes <= v.length; o += slotBytes) out.push(v.subarray(o, o + valueSize));
  return out;
}

export interface ProgStats {
  runTimeNs: number;
  runCnt: number;
  recursionMisses: number;
}

/** A BPF object file through its life cycle: open -> setGlobal* -> load -> attach/detach -> close. */
export class BpfObject {
  private obj: NativeObject | null;
  private mapCache = new Map<string, BpfMap>();
  /** Tracepoints a program is attached to besides its own section's (see alsoAttach). */
  private extraTracepoints = new Map<string, [string, string][]>();

  private constructor(readonly path: string, obj: NativeObject) {
    this.obj = obj;
  }

  static open(file: string): BpfObject {
    const n = addon();
    return new BpfObject(file, wrap(() => new n.BpfObject(file)));
  }

  private get o(): NativeObject {
    if (!this.obj) throw new BpfError(`${this.path}: BPF object is closed`, 9, 'EBADF', 'read');
    return this.obj;
  }

  /** Set a `const volatile` global before load. */
  setGlobal(name: string, value: Buffer): this {
    wrap(() => this.o.setGlobal(name, value));
    return this;
  }
  setGlobalU32(name: string, v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.setGlobal(name, b);
  }
  setGlobalI32(name: string, v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v | 0);
    return this.setGlobal(name, b);
  }
  setGlobalU64(name: string, v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return this.setGlobal(name, b);
  }
  setAutoload(prog: string, on: boolean): this {
    wrap(() => this.o.setAutoload(prog, on));
    return this;
  }

  load(): this {
    wrap(() => this.o.load());
    return this;
  }

  /**
   * load() on the libuv thread pool: the event loop runs on while the verifier works. Rejects
   * like load() throws. Until it settles every other method throws (EBUSY), but close(): that
   * takes effect when the load ends, and the promise then rejects (ECANCELED).
   */
  async loadAsync(): Promise<this> {
    await wrapAsync(() => this.o.loadAsync());
    return this;
  }

  /** Every program of the object, with its ELF section and whether it is (to be) loaded. */
  programs(): { name: string; section: string; autoload: boolean }[] {
    return this.o.programs().map((p) => ({ name: p.name, section: p.section, autoload: p.autoload }));
  }

  /** The programs that are (to be) loaded. */
  programNames(): string[] {
    return this.o.programs().filter((p) => p.autoload).map((p) => p.name);
  }

  attach(prog: string): void {
    wrap(() => this.o.attach(prog));
  }
  /** Attach a loaded program to one more tracepoint `category/name`; detach(prog) removes it too. */
  attachTracepoint(prog: string, category: string, name: string): void {
    wrap(() => this.o.attachTracepoint(prog, category, name));
  }
  /**
   * Declare that attachAll() also attaches `prog` to the tracepoint `category/name` (one program
   * on several tracepoints of the same format, e.g. syscalls:sys_enter_execve and
   * sys_enter_execveat). Ignored while prog is not loaded (autoload off).
   */
  alsoAttach(prog: string, category: string, name: string): this {
    const l = this.extraTracepoints.get(prog) ?? [];
    l.push([category, name]);
    this.extraTracepoints.set(prog, l);
    return this;
  }
  detach(prog: string): void {
    wrap(() => this.o.detach(prog));
  }
  isAttached(prog: string): boolean {
    return this.obj ? this.o.isAttached(prog) : false;
  }
  attachAll(): void {
    const done: string[] = [];
    try {
      for (const p of this.programNames()) {
        done.push(p);
        this.attach(p);
        for (const [category, name] of this.extraTracepoints.get(p) ?? []) this.attachTracepoint(p, category, name);
      }
    } catch (e) {
      for (const p of done) this.detach(p);
      throw e;
    }
  }
  detachAll(): void {
    if (!this.obj) return;
    for (const p of this.programNames()) this.detach(p);
  }

  map(name: string): BpfMap {
    const hit = this.mapCache.get(name);
    if (hit) return hit;
    const m = this.o.maps().find((x) => x.name === name);
    if (!m) throw new BpfError(`${this.path}: no map '${name}'`, 2, 'ENOENT', 'read');
    if (m.fd < 0) throw new BpfError(`${this.path}: map '${name}' used before load`, 9, 'EBADF', 'read');
    const map = new BpfMap(m.name, m.fd, m.type, m.keySize, m.valueSize, m.maxEntries);
    this.mapCache.set(name, map);
    return map;
  }

  progInfo(prog: string): ProgStats & { id: number } {
    return wrap(() => this.o.progInfo(prog));
  }

  /** Run statistics summed over every loaded program of this object. */
  stats(): ProgStats {
    const s: ProgStats = { runTimeNs: 0, runCnt: 0, recursionMisses: 0 };
    if (!this.obj) return s;
    for (const p of this.programNames()) {
      const i = this.progInfo(p);
      s.runTimeNs += i.runTimeNs;
      s.runCnt += i.runCnt;
      s.recursionMisses += i.recursionMisses;
    }
    return s;
  }

  /** Program ids (for `bpftool prog show id N` checks). */
  progIds(): number[] {
    return this.programNames().map((p) => this.progInfo(p).id);
  }

  close(): void {
    this.obj?.close();
    this.obj = null;
    this.mapCache.clear();
  }
}

/**
 * A BPF ring buffer read on the event loop. onBatch receives, per wake-up, the records in
 * order as Buffers (views into one batch buffer: copy what you keep past the callback), at most
 * `maxBatch` (default and upper bound 16384) per call, so a storm cannot stall the loop.
 */
export class RingBufferReader {
  private rb: NativeRingBuffer | null;

  constructor(map: BpfMap, onBatch: (records: Buffer[]) => void, maxBatch?: number) {
    const n = addon();
    this.rb = wrap(
      () =>
        new n.RingBuffer(map.fd, (batch: Buffer, count: number) => {
          const records: Buffer[] = new Array(count);
          let off = 0;
          for (let i = 0; i < count; i++) {
            const len = batch.readUInt32LE(off);
            records[i] = batch.subarray(off + 8, off + 8 + len);
            off += 8 + Math.ceil(len / 8) * 8;
          }
          onBatch(records);
        }, maxBatch),
    );
  }

  /** Drain now (e.g. right before a tick's sample), batch by batch; at most 64 batches. */
  consume(): number {
    return this.rb ? this.rb.consume() : 0;
  }

  close(): void {
    this.rb?.close();
    this.rb = null;
  }
}

/** Resolve build/bpf/<name>.bpf.o. */
export function bpfObjectPath(name: string): string {
  return path.join(PACKAGE_ROOT, 'build', 'bpf', `${name}.bpf.o`);
}

/**
 * Kernel run-time statistics (run_time_ns) for BPF programs are counted only while someone holds
 * a BPF_ENABLE_STATS fd (or kernel.bpf_stats_enabled=1). Every running BPF probe holds a
 * reference; the kernel restores the previous setting when the last fd closes or we exit.
 */
let statsFd: number | null = null;
let statsRefs = 0;
export function acquireStats(): void {
  statsRefs++;
  if (statsFd !== null) return;
  try {
    statsFd = addon().enableStats();
  } catch {
    statsFd = null; /* cost shows as unknown; the probe still runs */
  }
}
export function releaseStats(): void {
  statsRefs = Math.max(0, statsRefs - 1);
  if (statsRefs === 0 && statsFd !== null) {
    addon().closeFd(statsFd);
    statsFd = null;
  }
}

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/**
 * Why BPF probes cannot run here, or null when they can: capabilities (root, or CAP_BPF and
 * CAP_PERFMON), kernel BTF, and the addon. Checked once, before any probe is started.
 */
export function bpfUnavailableReason(procRoot = '/proc', btfPath = '/sys/kernel/btf/vmlinux'): string | null {
  let capEff = 0n;
  try {
    const status = readFileSync(path.join(procRoot, 'self', 'status'), 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
    if (m) capEff = BigInt('0x' + m[1]);
  } catch {
    /* unknown: try anyway */
    capEff = -1n;
  }
  const has = (c: bigint) => capEff === -1n || ((capEff >> c) & 1n) === 1n;
  if (!(has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)))) return 'needs root (CAP_BPF and CAP_PERFMON)';
  if (!existsSync(btfPath)) return 'kernel lacks BTF (/sys/kernel/btf/vmlinux)';
  if (!existsSync(ADDON_PATH)) return 'native addon not built (run ./dev start)';
  try {
    addon();
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** A one-line reason for a failed start, shown in the probe's pane and in --json. */
export function describeError(e: unknown): string {
  if (e instanceof BpfError) {
    if (e.code === 'EPERM' || e.code === 'EACCES') return `${e.stage}: permission denied (needs root, CAP_BPF and CAP_PERFMON)`;
    return `${e.stage}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}
