// The recording file (perfscope record / --record; read back by perfscope replay): a header, then
// one framed record per interval. Pure: buffers in, buffers out (the recorder sink writes them,
// the replay reader reads a whole file). Byte by byte in docs/record-replay.md.
//
//   header   0  8  magic 89 50 53 52 45 43 0D 0A ("\x89PSREC\r\n": catches text-mode copies)
//            8  2  format version, u16 little-endian (FORMAT_VERSION)
//           10  4  length H of the header JSON, u32 LE
//           14  4  CRC-32 of the header JSON, u32 LE
//           18  H  header JSON, UTF-8 (RecordingHeader)
//   record   0  4  length L of the payload, u32 LE
//            4  4  CRC-32 of the 4 length bytes followed by the payload, u32 LE
//            8  L  payload: the interval's --json line (no newline), raw deflate (RFC 1951)
//                  with the previous record's line as preset dictionary (none for the first)
import { crc32, deflateRawSync, inflateRawSync, constants } from 'node:zlib';
import { escapeText } from '../probes/strings.js';

export const MAGIC = Buffer.from([0x89, 0x50, 0x53, 0x52, 0x45, 0x43, 0x0d, 0x0a]);
export const FORMAT_VERSION = 1;
export const HEADER_FIXED = 18;
export const FRAME = 8;
/** Larger lengths are corruption, not data (an interval's line is a few MB at most). */
export const MAX_HEADER = 1 << 20;
export const MAX_PAYLOAD = 1 << 28;
/**
 * A record's line inflated: at most 256 MiB (well below V8's longest string, 512 MiB, which a
 * line must fit in; an interval's line is a few MB at most). The reader inflates each record with
 * this as zlib's maxOutputLength: a record that would inflate beyond it (a deflate bomb) stops
 * reading there, as a corrupt one does.
 */
export const MAX_LINE = 1 << 28;
/**
 * All the lines of a file inflated: at most 1 GiB (a day of a busy host's records is ~1.3 GB
 * uncompressed; more does not fit in the heap of a default node anyway). Reading stops at the
 * record that would pass it, with one line, and replays what it read.
 */
export const MAX_INFLATED = 1 << 30;
export const COMPRESSION = 'deflate-raw, previous record as dictionary';

export interface RecordingHeader {
  readonly host: string;
  readonly kernel: string;
  /** /proc/sys/kernel/random/boot_id, or null when unreadable. */
  readonly boot_id: string | null;
  /** Boot time (ISO 8601), for the uptime in the replayed header. */
  readonly boot_time: string | null;
  readonly cpus: readonly number[];
  /** The nominal interval (-i). */
  readonly interval_s: number;
  readonly perfscope_version: string;
  /** The catalogue's probe names, in order, of the perfscope that recorded. */
  readonly probes: readonly string[];
  /** When recording started (ISO 8601). */
  readonly start_time: string;
  readonly compression: string;
}

export function encodeHeader(h: RecordingHeader): Buffer {
  const json = Buffer.from(JSON.stringify(h), 'utf8');
  const fixed = Buffer.alloc(HEADER_FIXED);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt16LE(FORMAT_VERSION, 8);
  fixed.writeUInt32LE(json.length, 10);
  fixed.writeUInt32LE(crc32(json), 14);
  return Buffer.concat([fixed, json]);
}

function frameCrc(lenBytes: Buffer, payload: Buffer): number {
  return crc32(payload, crc32(lenBytes));
}

/** Frames records one after the other (each one's dictionary is the line before it). */
export class RecordEncoder {
  private prev: Buffer | null = null;

  /** A line (without its newline) as a record: a string, or its UTF-8 bytes. */
  encode(line: string | Buffer): Buffer {
    const raw = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
    const payload = deflateRawSync(raw, this.prev ? { level: constants.Z_BEST_COMPRESSION, dictionary: this.prev } : { level: constants.Z_BEST_COMPRESSION });
    const frame = Buffer.alloc(FRAME + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(frameCrc(frame.subarray(0, 4), payload), 4);
    payload.copy(frame, FRAME);
    // deflate uses only the last 32 KiB (its window) of a dictionary: keeping just those is the
    // same output, without holding a large line until the next one.
    this.prev = raw.length > 32768 ? Buffer.from(raw.subarray(raw.length - 32768)) : raw;
    return frame;
  }
}

/** Where reading stopped before the end of the file: after `records` complete records, at byte `byte`. */
export interface ReadStop {
  readonly records: number;
  readonly byte: number;
  readonly why: string;
}

export type ReadResult =
  | { readonly ok: true; readonly header: RecordingHeader; readonly lines: string[]; readonly stop: ReadStop | null; readonly bytes: number }
  | { readonly ok: false; readonly error: string };

// The header's strings are shown (host, kernel in the screen's header): escaped as live strings are.
const str = (v: unknown, d: string): string => (typeof v === 'string' ? escapeText(v) : d);

function headerFrom(v: unknown): RecordingHeader | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const cpus = Array.isArray(o.cpus) ? o.cpus.filter((c): c is number => Number.isInteger(c) && c >= 0) : [];
  const interval = typeof o.interval_s === 'number' && o.interval_s > 0 ? o.interval_s : 1;
  return {
    host: str(o.host, '?'),
    kernel: str(o.kernel, '?'),
    boot_id: typeof o.boot_id === 'string' ? escapeText(o.boot_id) : null,
    boot_time: typeof o.boot_time === 'string' ? escapeText(o.boot_time) : null,
    cpus,
    interval_s: interval,
    perfscope_version: str(o.perfscope_version, '?'),
    probes: Array.isArray(o.probes) ? o.probes.filter((p): p is string => typeof p === 'string').map(escapeText) : [],
    start_time: str(o.start_time, new Date(0).toISOString()),
    compression: str(o.compression, COMPRESSION),
  };
}

/**
 * A whole file read back: the header and every complete, intact record's line, in order. A file
 * cut short (crash, kill -9, full disk) or corrupt after the header reads up to its last good
 * record, and `stop` says where and why; only a file that is not a recording (or whose header is
 * unreadable) is an error.
 */
export function readRecording(buf: Buffer, limits: { maxLine?: number; maxInflated?: number } = {}): ReadResult {
  const maxLine = limits.maxLine ?? MAX_LINE;
  const maxInflated = limits.maxInflated ?? MAX_INFLATED;
  const n = Math.min(buf.length, MAGIC.length);
  if (!buf.subarray(0, n).equals(MAGIC.subarray(0, n))) return { ok: false, error: 'not a perfscope recording (bad magic)' };
  if (buf.length < HEADER_FIXED) return { ok: false, error: `truncated in its header (${buf.length} bytes)` };
  const version = buf.readUInt16LE(8);
  if (version > FORMAT_VERSION) return { ok: false, error: `format version ${version} is newer than this perfscope reads (${FORMAT_VERSION})` };
  if (version < 1) return { ok: false, error: `bad format version ${version}` };
  const hlen = buf.readUInt32LE(10);
  if (hlen > MAX_HEADER) return { ok: false, error: `corrupt header (length ${hlen})` };
  if (buf.length < HEADER_FIXED + hlen) return { ok: false, error: `truncated in its header (${buf.length} of ${HEADER_FIXED + hlen} bytes)` };
  const hjson = buf.subarray(HEADER_FIXED, HEADER_FIXED + hlen);
  if (crc32(hjson) !== buf.readUInt32LE(14)) return { ok: false, error: 'corrupt header (CRC-32 mismatch)' };
  let header: RecordingHeader | null = null;
  try {
    header = headerFrom(JSON.parse(hjson.toString('utf8')));
  } catch {
    header = null;
  }
  if (!header) return { ok: false, error: 'corrupt header (not a JSON object)' };

  const lines: string[] = [];
  let off = HEADER_FIXED + hlen;
  let prev: Buffer | null = null;
  let stop: ReadStop | null = null;
  let inflated = 0;
  while (off < buf.length) {
    const at = (why: string): ReadStop => ({ records: lines.length, byte: off, why });
    const rec = lines.length + 1;
    if (buf.length - off < FRAME) {
      stop = at(`record ${rec} is incomplete (${buf.length - off} of its ${FRAME} frame bytes)`);
      break;
    }
    const len = buf.readUInt32LE(off);
    if (len > MAX_PAYLOAD) {
      stop = at(`record ${rec} has a corrupt length (${len})`);
      break;
    }
    if (buf.length - off - FRAME < len) {
      stop = at(`record ${rec} is incomplete (${buf.length - off} of ${FRAME + len} bytes)`);
      break;
    }
    const payload = buf.subarray(off + FRAME, off + FRAME + len);
    if (frameCrc(buf.subarray(off, off + 4), payload) !== buf.readUInt32LE(off + 4)) {
      stop = at(`record ${rec} fails its CRC-32 (corrupt)`);
      break;
    }
    let raw: Buffer;
    try {
      raw = inflateRawSync(payload, prev ? { dictionary: prev, maxOutputLength: maxLine } : { maxOutputLength: maxLine });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // zlib's own messages are fixed texts ("invalid distance too far back"), never the data.
      stop = at(
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `record ${rec} inflates beyond ${maxLine} bytes (a record's bound)`
          : `record ${rec} does not inflate (${(e as Error).message.split('\n')[0].slice(0, 100)})`,
      );
      break;
    }
    if (inflated + raw.length > maxInflated) {
      stop = at(`record ${rec} would take the records read past ${maxInflated} bytes (the reader's bound)`);
      break;
    }
    inflated += raw.length;
    lines.push(raw.toString('utf8'));
    prev = raw;
    off += FRAME + len;
  }
  return { ok: true, header, lines, stop, bytes: off };
}

/** The one stderr line for a stop. */
export function stopMessage(file: string, s: ReadStop): string {
  return `${file}: truncated after record ${s.records} (byte ${s.byte}): ${s.why}`;
}
