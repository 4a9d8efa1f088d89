// The recorder: a sink that appends every interval — its --json line, exactly as the json sink
// prints it — to a recording file (src/replay/format.ts), one framed, compressed record per
// interval. Writes are small synchronous appends (one write(2) of a few KB per interval, measured
// at well under a millisecond with the compression: docs/record-replay.md), so a record is
// either wholly in the page cache or, after a crash or kill -9, a cut the reader reports. A write
// error (a full disk, ...) stops the recording with one message; the probes go on.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import { encodeHeader, RecordEncoder, type RecordingHeader } from '../replay/format.js';
import { intervalToLine } from '../catalogue/codec.js';

export type RecorderEnd = 'done' | 'max-size' | 'error';

export interface RecorderOptions {
  /** Stop before a record that would make the file larger than this (bytes), or null. */
  readonly maxSize: number | null;
  /** Stop after this many records (--duration / interval), or null. */
  readonly maxRecords: number | null;
  /** Called once when the recording ends by itself, with one line saying why. */
  readonly onEnd: (why: RecorderEnd, message: string) => void;
}

/** Where the bytes go: the file, or a test's buffer. Throws on error; returns bytes written. */
export type WriteFn = (buf: Buffer) => number;

export class RecorderError extends Error {}

export class Recorder {
  private readonly encoder = new RecordEncoder();
  private done = false;
  records = 0;
  bytes = 0;
  readonly sink: Sink;

  constructor(
    private readonly cat: Catalogue,
    header: RecordingHeader,
    private readonly write: WriteFn,
    private readonly opts: RecorderOptions,
    private readonly label = 'recording',
    private readonly close: () => void = () => {},
  ) {
    const h = encodeHeader(header);
    if (opts.maxSize !== null && h.length > opts.maxSize) {
      throw new RecorderError(`--max-size ${opts.maxSize} bytes is smaller than the recording's header (${h.length} bytes)`);
    }
    this.put(h); // throws: the caller reports it (nothing recorded yet)
    this.sink = { interval: (iv) => this.append(intervalToLine(this.cat, iv).slice(0, -1)) };
  }

  private put(buf: Buffer): void {
    const n = this.write(buf);
    if (n !== buf.length) throw Object.assign(new Error(`short write (${n} of ${buf.length} bytes)`), { code: 'ENOSPC' });
    this.bytes += n;
  }

  get active(): boolean {
    return !this.done;
  }

  private end(why: RecorderEnd, message: string): void {
    if (this.done) return;
    this.done = true;
    try {
      this.close();
    } catch {
      /* the message already says why */
    }
    this.opts.onEnd(why, message);
  }

  private append(line: string): void {
    if (this.done) return;
    const frame = this.encoder.encode(line);
    if (this.opts.maxSize !== null && this.bytes + frame.length > this.opts.maxSize) {
      this.end('max-size', `${this.label}: stopped at --max-size (${this.records} records, ${this.bytes} bytes)`);
      return;
    }
    try {
      this.put(frame);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.end('error', `${this.label}: recording stopped after record ${this.records}: ${err.message.split('\n')[0]}`);
      return;
    }
    this.records++;
    if (this.opts.maxRecords !== null && this.records >= this.opts.maxRecords) {
      this.end('done', `${this.label}: ${this.records} records, ${this.bytes} bytes`);
    }
  }

  /** End now (exit): closes the file. Idempotent. */
  finish(): void {
    if (this.done) return;
    this.done = true;
    try {
      this.close();
    } catch {
      /* exiting */
    }
  }
}

/** A recorder writing to `path` (created or truncated, mode 0600: feeds hold other users' argv and paths). */
// The file is opened by the first write (the header's), so a --max-size smaller than the header
// is refused by the Recorder before any file is created.
export function openRecorder(cat: Catalogue, path: string, header: RecordingHeader, opts: RecorderOptions): Recorder {
  let fd: number | null = null;
  const close = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  try {
    return new Recorder(cat, header, (b) => writeSync((fd ??= openSync(path, 'w', 0o600)), b), opts, path, close);
  } catch (e) {
    close();
    throw e;
  }
}
