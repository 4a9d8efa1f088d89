// Two maps a BPF program writes in turn, through the one slot of an ARRAY_OF_MAPS: user space
// flips the slot each interval and reads the map the program left. The update of a map-in-map
// slot returns only after an RCU grace period (kernel/bpf/syscall.c: map_update_elem() calls
// maybe_wait_bpf_programs() for ARRAY_OF_MAPS/HASH_OF_MAPS), and every run of a tracing program
// looks the inner map up and writes it inside one RCU read-side section: once flip() returns, no
// run still writes the map it left, so it can be read and emptied with nothing lost or counted twice.
import { BpfError } from './error.js';
import { u32, type BpfMap } from './map.js';

export class Generations {
  /** Index of the map the program writes. */
  private written = 0;

  /** `slot`: the ARRAY_OF_MAPS, whose slot 0 points at maps[0] when this is made (as at load). */
  constructor(
    private readonly slot: BpfMap,
    readonly maps: readonly [BpfMap, BpfMap],
  ) {}

  /** Point the program at maps[0] again. */
  reset(): void {
    this.slot.update(u32(0), u32(this.maps[0].fd));
    this.written = 0;
  }

  /** Point the program at the other map; returns the index of the one it left (nothing writes it now). */
  flip(): number {
    const left = this.written;
    this.written = 1 - left;
    this.slot.update(u32(0), u32(this.maps[this.written].fd));
    return left;
  }
}

/**
 * Every entry of a map nothing writes any more, then empty it: one lookup-and-delete batch pass
 * (a hash's buckets are walked once; read, then clear, then look for leftovers walked them three
 * times, each pass as long as the map's size whatever it holds: a cost that grew with the host's
 * tasks, which size the generations). Where the kernel has no batch for the map, takeAll iterates
 * (safe: nothing writes it). If a batch fails part-way (the kernel's copy to user space failed), what
 * that batch had taken is gone with the error; the rest is read the old way: read, then clear.
 */
export function drainQuiet(map: BpfMap): [Buffer, Buffer][] {
  try {
    return map.takeAll();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
  }
  const got: [Buffer, Buffer][] = [];
  for (const k of map.keys()) {
    const v = map.lookup(k);
    if (v) got.push([Buffer.from(k), v]);
  }
  for (const [k] of got) {
    try {
      map.delete(k);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
    }
  }
  return got;
}
