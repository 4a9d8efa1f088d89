// A BPF object file through its life cycle: open -> setGlobal* -> load -> attach/detach -> close.
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { addon, type NativeObject } from './addon.js';
import { BpfError, wrap, wrapAsync } from './error.js';
import { BpfMap } from './map.js';

export interface ProgStats {
  runTimeNs: number;
  runCnt: number;
  recursionMisses: number;
}

export class BpfObject {
  private obj: NativeObject | null;
  private mapCache = new Map<string, BpfMap>();
  /** Tracepoints a program is attached to besides its own section's (see alsoAttach). */
  private extraTracepoints = new Map<string, [string, string][]>();

  private constructor(
    readonly path: string,
    obj: NativeObject,
  ) {
    this.obj = obj;
  }

  static open(file: string): BpfObject {
    const n = addon();
    return new BpfObject(
      file,
      wrap(() => new n.BpfObject(file)),
    );
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
  /** Before load: the number of entries of a map (ring buffers: bytes, a power of 2 of pages). */
  setMaxEntries(map: string, n: number): this {
    wrap(() => this.o.setMaxEntries(map, n));
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
    return this.o
      .programs()
      .filter((p) => p.autoload)
      .map((p) => p.name);
  }

  /**
   * The tp_btf hooks of the programs to be loaded that this kernel does not have (read from its
   * BTF, once per hook: for explaining a failed load, not for every start).
   */
  missingTpBtf(): string[] {
    const hooks = this.programs()
      .filter((p) => p.autoload && p.section.startsWith('tp_btf/'))
      .map((p) => p.section.slice('tp_btf/'.length));
    return [...new Set(hooks)].filter((h) => !wrap(() => addon().probeTpBtf(h)));
  }

  attach(prog: string): void {
    wrap(() => this.o.attach(prog));
  }
  /**
   * Attach a loaded program to one more tracepoint `category/name` (any tracepoint, for a
   * SEC("tracepoint") program); with a cookie, bpf_get_attach_cookie() returns it in the runs
   * from this attachment. detach(prog) removes it too, detachTracepoint() only it.
   */
  attachTracepoint(prog: string, category: string, name: string, cookie?: number): void {
    wrap(() => this.o.attachTracepoint(prog, category, name, cookie));
  }
  /**
   * Remove attachments made by attachTracepoint ([category, name, cookie?] each; those that do
   * not exist are skipped), all at once: each waits for a grace period in the kernel (~70 ms
   * here), and closed together those overlap (so do detach() and close()).
   */
  detachTracepoints(prog: string, list: readonly (readonly [string, string, number?])[]): void {
    wrap(() => this.o.detachTracepoints(prog, list));
  }
  /** A uprobe (or uretprobe) of `prog` at a file offset of `path`, for `pid` (-1: every process), the slot as its cookie. */
  attachUprobe(prog: string, slot: number, path: string, offset: number, retprobe: boolean, pid: number): void {
    wrap(() => this.o.attachUprobe(prog, slot, path, offset, retprobe, pid));
  }
  /** A USDT probe of `prog` (libbpf's: argument specs, semaphores), the slot as bpf_usdt_cookie(). */
  attachUsdt(prog: string, slot: number, path: string, provider: string, name: string, pid: number): void {
    wrap(() => this.o.attachUsdt(prog, slot, path, provider, name, pid));
  }
  /** Before load: the program's expected attach type (48: BPF_TRACE_UPROBE_MULTI). */
  setExpectedAttachType(prog: string, type: number): void {
    wrap(() => this.o.setExpectedAttachType(prog, type));
  }
  /** One multi-uprobe link of `prog` for these file offsets of `path`, each with its cookie; all or none attached. */
  attachUprobeMulti(prog: string, key: string, path: string, offsets: readonly number[], cookies: readonly number[], retprobe: boolean, pid: number): void {
    wrap(() => this.o.attachUprobeMulti(prog, key, path, offsets, cookies, retprobe, pid));
  }
  /** Close the multi-uprobe link `key` (absent: nothing). */
  detachMulti(key: string): void {
    wrap(() => this.o.detachMulti(key));
  }
  /** Remove the attachments of attachUprobe/attachUsdt of `prog` in these slots (absent ones skipped). */
  detachSlots(prog: string, slots: readonly number[]): void {
    wrap(() => this.o.detachSlots(prog, slots));
  }
  /** A CPU-clock sampling perf event at `hz` on `cpu` (every task on it), with `prog` (a SEC("perf_event") program) attached. */
  attachPerfEvent(prog: string, cpu: number, hz: number): void {
    wrap(() => this.o.attachPerfEvent(prog, cpu, hz));
  }
  /** Close the perf events of attachPerfEvent on these CPUs (those that have none are skipped). */
  detachPerfEvents(prog: string, cpus: readonly number[]): void {
    wrap(() => this.o.detachPerfEvents(prog, cpus));
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

  /** Does the object declare a map of this name? */
  hasMap(name: string): boolean {
    return this.mapCache.has(name) || this.o.maps().some((x) => x.name === name);
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

/** Resolve build/bpf/<name>.bpf.o. */
export function bpfObjectPath(name: string): string {
  return path.join(PACKAGE_ROOT, 'build', 'bpf', `${name}.bpf.o`);
}
