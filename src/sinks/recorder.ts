// The recorder: a sink that appends every interval — its --json line, exactly as the json sink
// prints it — to a recording file (src/replay/format.ts), one framed, compressed record per
// interval. Writes are small synchronous appends (one write(2) of a few KB per interval, measured
// at well under a millisecond with the compression: docs/record-replay.md), so a record is
// either wholly in the page cache or, after a crash or kill -9, a cut the reader reports. A write
// error (a full disk, ...) stops the recording with one message (and the sink's SinkHealth is
// failed with it); the probes go on.
// The file is opened safely (openRecordingFile): never through a symbolic link, never a file that
// is not a regular file, and with mode 0600 before any byte is written, whatever it had before.
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import { encodeHeader, RecordEncoder, type RecordingHeader } from '../replay/format.js';
import { intervalChunks } from '../catalogue/codec.js';

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
  /** Why the recording stopped by itself on an error, or null. */
  private failed: string | null = null;
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
    this.sink = {
      name: 'recorder',
      interval: (iv) => {
        if (this.done) return;
        // The line's pieces as bytes, joined without the newline (a record's payload): bounded as
        // the line is (each feed's events by bytes: src/probes/feed.ts), and never one string.
        const parts: Buffer[] = [];
        for (const c of intervalChunks(this.cat, iv)) parts.push(Buffer.from(c, 'utf8'));
        const line = Buffer.concat(parts);
        this.append(line.subarray(0, line.length - 1));
      },
      failure: () => this.failed,
    };
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

  private append(line: Buffer): void {
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
      this.failed = err.message.split('\n')[0];
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

export class RecordingFileError extends Error {}

/**
 * Open `path` for a recording, safely, whoever may have prepared it: perfscope runs as root and
 * records every user's command lines, often into a shared directory (/tmp, /var/tmp).
 *   - a new file is created with O_EXCL and mode 0600 (never through a link: O_EXCL fails on any
 *     existing name, a dangling symbolic link included);
 *   - an existing one is opened with O_NOFOLLOW (a symbolic link is refused: ELOOP) and O_NONBLOCK
 *     (a FIFO without reader does not hang the open), then must be a regular file, with one link
 *     only (a hard link would write into another name's file) and owned by perfscope's own user;
 *     it gets mode 0600 (fchmod, on the open descriptor) before it is truncated and before any byte
 *     is written.
 * Throws RecordingFileError with one line saying why not.
 */
export function openRecordingFile(path: string): number {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;
  try {
    const fd = openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    fchmodSync(fd, 0o600); // exactly 0600, whatever the umask took away
    return fd;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new RecordingFileError('is a symbolic link: refused (give the path of a new or regular file)');
    if (code === 'ENXIO') throw new RecordingFileError('is not a regular file (a FIFO or socket): refused');
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RecordingFileError('is not a regular file: refused');
    if (st.nlink > 1) throw new RecordingFileError(`has ${st.nlink} hard links: refused (another name would get the recording)`);
    const uid = process.geteuid?.() ?? st.uid;
    if (st.uid !== uid) throw new RecordingFileError(`is owned by uid ${st.uid}, not by perfscope's user (${uid}): refused`);
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
    return fd;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** A recorder writing to `path` (a new file, or a regular one truncated; mode 0600: feeds hold other users' argv and paths; openRecordingFile). */
// The file is opened by the first write (the header's), so a --max-size smaller than the header
// is refused by the Recorder before any file is created.
export function openRecorder(cat: Catalogue, path: string, header: RecordingHeader, opts: RecorderOptions): Recorder {
  let fd: number | null = null;
  const close = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  try {
    return new Recorder(cat, header, (b) => writeSync((fd ??= openRecordingFile(path)), b), opts, path, close);
  } catch (e) {
    close();
    throw e;
  }
}
