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
 * Every entry of a map nothing writes any more, then empty it. Read first (a failed batch read
 * loses nothing), clear second.
 */
export function drainQuiet(map: BpfMap): [Buffer, Buffer][] {
  let got: [Buffer, Buffer][];
  try {
    got = map.entries().map(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    got = [];
    for (const k of map.keys()) {
      const v = map.lookup(k);
      if (v) got.push([Buffer.from(k), v]);
    }
  }
  try {
    map.takeAll();
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
  }
  // Whatever a failed batch delete left behind (normally nothing).
  for (const k of map.keys()) map.delete(k);
  return got;
}
