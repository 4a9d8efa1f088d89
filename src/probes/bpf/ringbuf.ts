import { addon, type NativeRingBuffer } from './addon.js';
import { wrap } from './error.js';
import type { BpfMap } from './map.js';

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

