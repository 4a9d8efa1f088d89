// A BPF map by fd: lookup, update, delete, iteration and lookup-and-delete batches, with the
// per-CPU value layout (one 8-byte-aligned slot per possible CPU) taken care of.
import { addon, possibleCpus } from './addon.js';
import { BpfError, wrap } from './error.js';

export const BPF_MAP_TYPE = { HASH: 1, ARRAY: 2, PERCPU_HASH: 5, PERCPU_ARRAY: 6, LRU_PERCPU_HASH: 10, RINGBUF: 27 } as const;
const PERCPU_TYPES = new Set<number>([BPF_MAP_TYPE.PERCPU_HASH, BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.LRU_PERCPU_HASH, 21 /* PERCPU_CGROUP_STORAGE */]);

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
          out.push([r.keys.subarray(i * this.keySize, (i + 1) * this.keySize), r.values.subarray(i * this.valueBytes, (i + 1) * this.valueBytes)]);
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

/** A u32 as a map key or value (little-endian). */
export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
