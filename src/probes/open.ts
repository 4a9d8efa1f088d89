// open feed: one event per open/openat/openat2 (native 64-bit syscalls), successful or not
// (bpf/open.bpf.c: one program per syscall on its exit tracepoint, syscalls:sys_exit_open*; where
// tracefs cannot be mounted, one tp_btf/sys_exit program). `path` is the path as passed (relative to the
// dirfd for openat*), cut at OPEN_PATH_LEN-1 (255) bytes and escaped (strings.ts); `flags` the
// raw open flags (openat2: open_how.flags), `flags_text` their names; `fd` on success, `errno`
// and `errno_name` on failure (the other ones null). `uid` is the real uid, `comm` the
// calling thread's name.
import { errnoName } from './errno.js';
import { FeedProbe } from './feed.js';
import { feedMaxFlag } from './feed-spec.js';
import { OPEN_SYSCALLS, type OpenEvent } from './open-spec.js';
import { openFlagsText } from './openflags.js';
import { cString } from './strings.js';
import { cgroupRef } from './cgroup/registry.js';
import { u64n } from './bpf-probe.js';

/** Mirrors bpf/open.h. */
export const OPEN_COMM_LEN = 16;
export const OPEN_PATH_LEN = 256;
const OFF = { ts_ns: 0, flags: 8, ret: 16, pid: 24, tid: 28, uid: 32, sys: 36, cgroup: 40, comm: 48, path: 64 } as const;
export const OPEN_EVENT_SIZE = OFF.path + OPEN_PATH_LEN;
/** struct open_event as decoded here, by C member name (test/probes/layout.test.ts checks it
 * against the object's BTF). */
export const OPEN_LAYOUT = { struct: 'open_event', size: OPEN_EVENT_SIZE, fields: OFF } as const;

/** openFlagsText of a 32-bit value, remembered (a host opens with a handful of flag sets). */
const FLAGS_TEXT = new Map<number, string>();
function flagsText(flags: number): string {
  let t = FLAGS_TEXT.get(flags);
  if (t === undefined) {
    t = openFlagsText(flags);
    if (FLAGS_TEXT.size < 4096) FLAGS_TEXT.set(flags, t);
  }
  return t;
}

export function decodeOpen(rec: Buffer, wallMs: (b: Buffer, off: number) => number): OpenEvent | null {
  // A record is sized to its path (bpf/open.bpf.c): the header and at least the path's NUL.
  if (rec.length <= OFF.path) return null;
  const syscall = OPEN_SYSCALLS[rec.readUInt32LE(OFF.sys)];
  if (!syscall) return null;
  const flagsHi = rec.readUInt32LE(OFF.flags + 4);
  const flags = flagsHi === 0 ? rec.readUInt32LE(OFF.flags) : Number(rec.readBigUInt64LE(OFF.flags));
  // fd or -errno: a s32 sign-extended (the high half is its sign).
  const ret = rec.readInt32LE(OFF.ret);
  // Field order is the --json order (docs/json.md, "Feeds").
  return {
    ts: wallMs(rec, OFF.ts_ns),
    pid: rec.readUInt32LE(OFF.pid),
    tid: rec.readUInt32LE(OFF.tid),
    uid: rec.readUInt32LE(OFF.uid),
    comm: cString(rec, OFF.comm, OPEN_COMM_LEN),
    syscall,
    path: cString(rec, OFF.path, Math.min(OPEN_PATH_LEN, rec.length - OFF.path)),
    flags,
    flags_text: flagsHi === 0 ? flagsText(flags) : openFlagsText(rec.readBigUInt64LE(OFF.flags)),
    fd: ret >= 0 ? ret : null,
    errno: ret < 0 ? -ret : null,
    errno_name: ret < 0 ? errnoName(ret) : null,
    cgroup: cgroupRef(u64n(rec, OFF.cgroup)),
  };
}

export class OpenProbe extends FeedProbe<OpenEvent> {
  readonly name = 'open';
  protected readonly commField = { offset: OFF.comm, len: OPEN_COMM_LEN };
  protected readonly maxFlag = feedMaxFlag('open');
  protected decode(rec: Buffer): OpenEvent | null {
    return decodeOpen(rec, (b, off) => this.clock.wallMs(b, off));
  }
}
