import { addon, type NativeFeedReader, type NativeRingBuffer } from './addon.js';
import { wrap } from './error.js';
import type { BpfMap } from './map.js';

/** The records of one batch from the addon: each an 8-byte header holding its u32 length, then the record, padded to 8 bytes (views, not copies). */
function splitBatch(batch: Buffer, count: number): Buffer[] {
  const records: Buffer[] = new Array(count);
  let off = 0;
  for (let i = 0; i < count; i++) {
    const len = batch.readUInt32LE(off);
    records[i] = batch.subarray(off + 8, off + 8 + len);
    off += 8 + Math.ceil(len / 8) * 8;
  }
  return records;
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
        new n.RingBuffer(
          map.fd,
          (batch: Buffer, count: number) => {
            onBatch(splitBatch(batch, count));
          },
          maxBatch,
        ),
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

/** What one take() of a FeedReader queue returns. */
export interface TakenRecords {
  /** The records kept, in order (views into one buffer). */
  records: Buffer[];
  /** Records that reached the queue since the previous take (kept or not). */
  seen: number;
  /** First-N mode: records beyond the cap since the previous take (not kept). */
  overflow: number;
}

export interface FeedReaderOptions {
  /** Interval queue: at most this many records kept between takes. */
  intervalMax: number;
  /** Interval queue: keep the newest intervalMax (the others are only counted), not the first. */
  intervalNewest: boolean;
  /** Interval queue: at most this many bytes of records kept between takes (default 32 MiB); in first mode the rest is counted as overflow. */
  intervalMaxBytes?: number;
  /** Recent queue: the newest recentMax records kept between takes. */
  recentMax: number;
  /** Keep only records whose NUL-terminated comm at commOffset (commLen bytes) contains `comm`. */
  comm?: { offset: number; len: number; text: string } | null;
}

/**
 * The event feeds' reader (native/ringbuf.h, FeedReader): a native thread drains the ring
 * buffer as soon as the kernel wakes it into two bounded queues of raw records, an interval
 * queue and a recent queue; take() hands one over (as views into one buffer) and clears it.
 */
export class FeedReader {
  private rb: NativeFeedReader;

  constructor(map: BpfMap, o: FeedReaderOptions) {
    const n = addon();
    this.rb = wrap(
      () =>
        new n.FeedReader(map.fd, {
          intervalMax: o.intervalMax,
          intervalNewest: o.intervalNewest,
          intervalMaxBytes: o.intervalMaxBytes,
          recentMax: o.recentMax,
          commOffset: o.comm?.offset ?? 0,
          commLen: o.comm?.len ?? 0,
          comm: o.comm?.text ?? '',
        }),
    );
  }

  /** Hand over the interval (0) or recent (1) queue, after consuming what the kernel has queued. */
  take(which: 0 | 1): TakenRecords {
    const [batch, count, seen, overflow] = this.rb.take(which);
    return { records: splitBatch(batch, count), seen, overflow };
  }

  setInterval(max: number, newest: boolean): void {
    this.rb.setInterval(max, newest);
  }

  /** Since start: records that passed the comm filter, records it left out; is the thread real-time? */
  stats(): { received: number; filtered: number; realtime: boolean } {
    return this.rb.stats();
  }

  /** Stop the thread (what is queued stays takeable). Idempotent. */
  close(): void {
    this.rb.close();
  }
}
