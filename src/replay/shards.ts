// A recording directory (perfscope record --dir DIR): shard files named by the time they started,
// `perfscope-20261207T170012.345Z.psrec` (UTC; `-N` before `.psrec` when two start in the same
// millisecond), each a whole recording (src/replay/format.ts) with its own header. Only names of
// exactly this pattern are ever listed, read or deleted: nothing else in the directory is touched,
// and no path is built from a name that did not match it (no `/`, no `..`).
// The directory itself is checked before it is written (checkRecordDir): created 0700 when
// missing; otherwise it must be a real directory (not a symbolic link), owned by perfscope's user
// and writable by nobody else — the shards hold every user's command lines, and perfscope runs as
// root, often under /var.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

export const SHARD_RE = /^perfscope-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z(?:-(\d{1,4}))?\.psrec$/;

export interface ShardName {
  readonly name: string;
  /** When the shard started (ms since the epoch), from its name. */
  readonly start: number;
  /** The `-N` of a second shard started in the same millisecond (0 without). */
  readonly seq: number;
}

/** The name of a shard started at `ms` (the `seq`th of that millisecond). */
export function shardName(ms: number, seq = 0): string {
  const iso = new Date(ms).toISOString(); // 2026-12-07T17:00:12.345Z
  const stamp = iso.slice(0, 19).replace(/[-:]/g, '') + iso.slice(19, 23) + 'Z';
  return `perfscope-${stamp}${seq > 0 ? `-${seq}` : ''}.psrec`;
}

/** A shard's name parsed, or null for any other name. */
export function parseShardName(name: string): ShardName | null {
  const m = SHARD_RE.exec(name);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
  if (!Number.isFinite(ms) || shardName(ms, 0) !== name.replace(/-\d{1,4}\.psrec$/, '.psrec')) return null;
  return { name, start: ms, seq: m[8] ? Number(m[8]) : 0 };
}

/** The shards in `dir`, oldest first (every other name ignored). Throws the readdir error. */
export function listShards(dir: string): ShardName[] {
  const out: ShardName[] = [];
  for (const n of readdirSync(dir)) {
    const s = parseShardName(n);
    if (s) out.push(s);
  }
  return out.sort((a, b) => a.start - b.start || a.seq - b.seq);
}

export class RecordDirError extends Error {}

/**
 * The recording directory, made safe to write shards into: created (mode 0700) when missing,
 * its parent being there; otherwise refused unless it is a directory (a symbolic link is
 * refused, even to one), owned by perfscope's user, and neither group- nor other-writable.
 * Throws RecordDirError with one line.
 */
export function checkRecordDir(dir: string): void {
  let created = false;
  try {
    mkdirSync(dir, 0o700);
    created = true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RecordDirError('its parent directory does not exist');
    if (code !== 'EEXIST') throw new RecordDirError((e as Error).message.split('\n')[0]);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) throw new RecordDirError('is a symbolic link: refused (give the real directory)');
  if (!st.isDirectory()) throw new RecordDirError('is not a directory');
  const uid = process.geteuid?.() ?? st.uid;
  if (st.uid !== uid) throw new RecordDirError(`is owned by uid ${st.uid}, not by perfscope's user (${uid}): refused`);
  if (created) return; // mode 0700 less the umask: nobody else's
  if ((st.mode & 0o022) !== 0) throw new RecordDirError(`is writable by group or others (mode ${(st.mode & 0o777).toString(8)}): refused (chmod 0700 it)`);
}

/**
 * A shard's bytes, read for replay: opened without following a symbolic link and without
 * blocking (a FIFO named like a shard), and only when it is a regular file of at most `max`
 * bytes. Throws with one line.
 */
export function readShard(dir: string, name: string, max: number): Buffer {
  if (!SHARD_RE.test(name)) throw new Error('not a shard name');
  let fd: number;
  try {
    fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ELOOP' ? 'is a symbolic link: skipped' : code === 'ENOENT' ? 'disappeared (retention deleted it)' : (code ?? 'cannot open'));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error('is not a regular file: skipped');
    if (st.size > max) throw new Error(`is larger than ${max} bytes: skipped`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
