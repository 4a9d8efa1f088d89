// The always-on recorder (perfscope record --dir DIR): the recorder sink's framed, compressed
// records (src/sinks/recorder.ts) written to a series of shard files in one directory
// (src/replay/shards.ts names them), a new one every --shard (and on SIGHUP: rotate()), each a
// whole recording with its own header and its own dictionary chain, so any shard replays alone
// and losing one loses only it. As each shard starts, retention runs: shards that started more
// than --retain ago are deleted, then the oldest until the others take at most --max-disk; the
// shard being written is bounded by what --max-disk leaves it (it ends, and the next begins,
// deleting the oldest, before the total would pass it).
// A write error (a full disk) ends the shard cleanly: the file is cut back to its last complete
// record, one line says so, the older shards stay, and a new shard is tried when the next one
// would have started. Nothing in the directory but the shard names is ever touched.
import { closeSync, ftruncateSync, lstatSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import type { RecordingHeader } from '../replay/format.js';
import { checkRecordDir, listShards, shardName } from '../replay/shards.js';
import { openRecordingFile, Recorder, RecorderError } from './recorder.js';

export interface ShardOptions {
  readonly dir: string;
  /** A new shard after this long (ms). */
  readonly shardMs: number;
  /** Delete shards that started more than this long ago (ms), or null. */
  readonly retainMs: number | null;
  /** Keep all the shards together at most this many bytes, or null. */
  readonly maxDisk: number | null;
  /** Stop after this many records in all (--duration), or null. */
  readonly maxRecords: number | null;
  /** The header of a shard starting now. */
  readonly header: () => RecordingHeader;
  /** One line about the recording (a shard that ended on an error, a deletion that failed). */
  readonly say: (line: string) => void;
  /** --duration reached. */
  readonly onDone: () => void;
  /** The clock (tests). */
  readonly now?: () => number;
}

export class ShardedRecorder {
  private current: Recorder | null = null;
  private currentName: string | null = null;
  private currentStart = 0;
  /** No shard before this time (after a shard failed to start or write). */
  private retryAt = 0;
  private rotateAsked = false;
  private done = false;
  /** Why the last shard ended on an error, while no shard is being written; else null. */
  private failed: string | null = null;
  /** Intervals that reached no shard (while a full disk kept the shards closed). */
  lost = 0;
  records = 0;
  shards = 0;
  deleted = 0;
  readonly sink: Sink;

  constructor(
    private readonly cat: Catalogue,
    private readonly opts: ShardOptions,
  ) {
    checkRecordDir(opts.dir); // throws RecordDirError: the caller says it and exits 2
    this.sink = {
      name: 'recorder',
      interval: (iv) => {
        if (this.done) return;
        const now = this.now();
        if (this.current && (this.rotateAsked || now - this.currentStart >= opts.shardMs)) this.closeShard();
        this.rotateAsked = false;
        if (!this.current && now >= this.retryAt) this.openShard(now);
        if (!this.current) {
          this.lost++;
          return;
        }
        let r = this.current;
        let before = r.records;
        r.sink.interval?.(iv);
        if (this.current === null && r.records === before && !this.done && now >= this.retryAt) {
          // The shard reached what --max-disk leaves it before this record: it goes to the next
          // one (the oldest deleted to make room), once.
          this.openShard(now);
          if (!this.current) {
            this.lost++;
            return;
          }
          r = this.current;
          before = r.records;
          r.sink.interval?.(iv);
        }
        if (r.records > before) {
          this.records++;
          if (opts.maxRecords !== null && this.records >= opts.maxRecords) {
            this.finish();
            opts.onDone();
          }
        }
      },
      failure: () => this.failed,
      lost: () => this.lost,
    };
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** The shard being written (its name), or null. */
  get shard(): string | null {
    return this.currentName;
  }

  /** SIGHUP: the next interval goes to a new shard. */
  rotate(): void {
    this.rotateAsked = true;
  }

  private closeShard(): void {
    const r = this.current;
    this.current = null;
    this.currentName = null;
    r?.finish();
  }

  /** Retention, then a new shard; on failure one line, and the next try a shard length later. */
  private openShard(now: number): void {
    const { dir } = this.opts;
    let others = this.retain(now);
    let name = shardName(now);
    for (let seq = 1; listHas(dir, name) && seq < 1000; seq++) name = shardName(now, seq);
    const path = join(dir, name);
    let fd: number | null = null;
    let good = 0;
    const write = (b: Buffer): number => {
      fd ??= openRecordingFile(path);
      const n = writeSync(fd, b);
      if (n === b.length) good += n;
      return n;
    };
    // Closing cuts the file back to its last complete record (a short write on a full disk
    // leaves part of a frame), so a shard that ended on an error ends cleanly.
    const close = () => {
      if (fd === null) return;
      try {
        ftruncateSync(fd, good);
      } finally {
        closeSync(fd);
        fd = null;
      }
    };
    let maxSize: number | null = null;
    if (this.opts.maxDisk !== null) {
      // The shard gets what the others leave; when that is not even a header, the oldest go first.
      maxSize = this.opts.maxDisk - others;
    }
    const started = this.shards;
    const rec = (): Recorder =>
      new Recorder(
        this.cat,
        this.opts.header(),
        write,
        {
          maxSize,
          maxRecords: null,
          onEnd: (why, message) => {
            if (this.current !== r) return;
            this.current = null;
            this.currentName = null;
            if (why === 'max-size') {
              // --max-disk reached: the next interval starts a new shard (deleting the oldest first),
              // unless this one held no record at all (--max-disk too small for one): then wait.
              if (r.records === 0) {
                removeQuietly(path);
                this.opts.say(
                  `${dir}: --max-disk ${this.opts.maxDisk} bytes holds not even one record: no shard until ${new Date(now + this.opts.shardMs).toISOString()}`,
                );
                this.retryAt = now + this.opts.shardMs;
              }
              return;
            }
            this.failed = message.replace(/^[^:]*: /, '');
            this.retryAt = this.now() + this.opts.shardMs;
            this.opts.say(`${message} (shard ended; the older shards are kept; next try at ${new Date(this.retryAt).toISOString()})`);
          },
        },
        `${dir}/${name}`,
        close,
      );
    let r: Recorder;
    try {
      if (maxSize !== null && maxSize < 4096) {
        // Too little left for a shard: make room from the oldest (never the one being started).
        others = this.retain(now, 4096);
        maxSize = (this.opts.maxDisk as number) - others;
      }
      r = rec();
    } catch (e) {
      try {
        close();
      } catch {
        /* said below */
      }
      removeQuietly(path); // ours (O_EXCL), and without a complete header
      const why = (e as Error).message.split('\n')[0];
      this.failed = why;
      this.retryAt = now + this.opts.shardMs;
      this.opts.say(
        e instanceof RecorderError
          ? `${dir}: ${why}`
          : `${dir}/${name}: cannot start a shard: ${why} (the older shards are kept; next try at ${new Date(this.retryAt).toISOString()})`,
      );
      return;
    }
    this.current = r;
    this.currentName = name;
    this.currentStart = now;
    this.failed = null;
    this.shards = started + 1;
  }

  /**
   * Delete the shards past --retain, then the oldest while the others take more than --max-disk
   * less `reserve`; returns the bytes the remaining ones take.
   */
  private retain(now: number, reserve = 0): number {
    const { dir, retainMs, maxDisk } = this.opts;
    let shards: { name: string; start: number; size: number }[];
    try {
      shards = listShards(dir).map((s) => ({ ...s, size: sizeOf(join(dir, s.name)) }));
    } catch (e) {
      this.opts.say(`${dir}: cannot list the shards for retention: ${(e as Error).message.split('\n')[0]}`);
      return 0;
    }
    const del = (name: string): boolean => {
      try {
        unlinkSync(join(dir, name));
        this.deleted++;
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return true;
        this.opts.say(`${dir}/${name}: retention could not delete it: ${code ?? (e as Error).message.split('\n')[0]}`);
        return false;
      }
    };
    const kept: typeof shards = [];
    for (const s of shards) {
      if (retainMs !== null && s.start < now - retainMs && del(s.name)) continue;
      kept.push(s);
    }
    let total = kept.reduce((a, s) => a + s.size, 0);
    if (maxDisk !== null) {
      while (kept.length > 0 && total > maxDisk - reserve) {
        const s = kept.shift()!;
        if (del(s.name)) total -= s.size;
      }
    }
    return total;
  }

  /** End now (exit, --duration): the shard is closed. Idempotent. */
  finish(): void {
    this.done = true;
    this.closeShard();
  }
}

function listHas(dir: string, name: string): boolean {
  try {
    lstatSync(join(dir, name));
    return true;
  } catch {
    return false;
  }
}

function sizeOf(path: string): number {
  try {
    return lstatSync(path).size;
  } catch {
    return 0;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* not there */
  }
}
