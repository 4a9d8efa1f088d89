// The kernel side of a stack-collecting object, as user space reads it each interval: the two
// generations of its (task, stacks) hash, flipped through `gens`, and its per-generation,
// per-CPU counters `stats` (see bpf/profile.bpf.c, 4.). take() flips, then returns the rows of
// the generation the program left and that generation's counter differences since it was last
// read: rows and counters of the same runs.
import { Generations } from '../bpf/generations.js';
import type { BpfMap } from '../bpf/map.js';
import type { BpfObject } from '../bpf/object.js';
import { u32 } from '../bpf/map.js';
import { counterDelta } from '../model/counter.js';
import { decodeStackKey, type StackKey } from './layout.js';

export interface TableTake<V> {
  rows: { key: StackKey; value: V }[];
  /** The counters of `fields`, by name: this interval's differences, summed over the CPUs. */
  counts: Record<string, number>;
}

export class StackTable<V> {
  private readonly gens: Generations;
  private readonly stats: BpfMap;
  /** Each generation's counters as last read. */
  private readonly prev: [number[], number[]];

  /**
   * `fields`: the u64 members of the object's stat struct, in order; `decode`: its row value.
   * Call right after load, before anything runs (both generations empty, counters at zero).
   */
  constructor(
    obj: BpfObject,
    private readonly fields: readonly string[],
    private readonly decode: (v: Buffer) => V,
  ) {
    this.gens = new Generations(obj.map('gens'), [obj.map('agg0'), obj.map('agg1')]);
    this.gens.reset();
    this.stats = obj.map('stats');
    this.prev = [this.read(0), this.read(1)];
  }

  private read(gen: number): number[] {
    const sums = new Array<number>(this.fields.length).fill(0);
    for (const b of this.stats.lookupPerCpu(u32(gen)) ?? []) {
      for (let i = 0; i < sums.length; i++) sums[i] += Number(b.readBigUInt64LE(8 * i));
    }
    return sums;
  }

  /** The generation the last take() read (0 or 1). */
  lastGen = 0;

  take(): TableTake<V> {
    const gen = this.gens.flip();
    this.lastGen = gen;
    const entries = this.gens.maps[gen].takeAll();
    const cur = this.read(gen);
    const counts: Record<string, number> = {};
    this.fields.forEach((f, i) => (counts[f] = counterDelta(cur[i], this.prev[gen][i])));
    this.prev[gen] = cur;
    return { rows: entries.map(([k, v]) => ({ key: decodeStackKey(k), value: this.decode(v) })), counts };
  }
}
