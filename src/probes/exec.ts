// exec feed: one event per execve/execveat, successful or not (bpf/exec.bpf.c).
// filename, argv and the result are read at the syscall's return (syscalls:sys_exit_execve/
// execveat), once the kernel has faulted the strings in: after a failure from the caller's
// memory, after a success from the new program's stack (for a #! script: the argv the kernel
// made for the interpreter); where tracefs cannot be mounted, the tp_btf/sys_exit fallback
// (tracefs.ts; fentry/fexit fail to load with EPERM here):
// the first EXEC_MAX_ARGS (20) arguments, each cut at EXEC_ARG_LEN-1 (127) bytes, with
// argv_truncated when any was cut or there were more; filename cut at 255 bytes.
// `comm` is the task's comm at return: the new program's name after a successful exec (as
// execsnoop shows it), the caller's after a failed one. `uid` is the real uid.
import type { BpfObject } from '../bpf/object.js';
import { errnoName } from './errno.js';
import { FeedProbe } from './feed.js';
import { feedMaxFlag } from './feed-spec.js';
import type { ExecEvent } from './exec-spec.js';
import { cString } from './strings.js';
import { cgroupRef } from './cgroup/registry.js';
import { u64n } from './bpf-probe.js';
import type { ProbeConfig } from './types.js';

/** Mirrors bpf/exec.h. */
export const EXEC_COMM_LEN = 16;
export const EXEC_FILENAME_LEN = 256;
export const EXEC_MAX_ARGS = 20;
export const EXEC_ARG_LEN = 128;
export const EXEC_F_ARGS_TRUNCATED = 1;
const OFF = { ts_ns: 0, pid: 8, ppid: 12, uid: 16, ret: 20, argc: 24, flags: 28, cgroup: 32, comm: 40, filename: 56, args: 312 } as const;
export const EXEC_EVENT_BASE = OFF.args;
/** struct exec_event as decoded here, by C member name; size null: a record is EXEC_EVENT_BASE +
 * argc * EXEC_ARG_LEN bytes. test/probes/layout.test.ts checks it against the object's BTF. */
export const EXEC_LAYOUT = { struct: 'exec_event', size: null, fields: OFF } as const;

export function decodeExec(rec: Buffer, wallMs: (b: Buffer, off: number) => number): ExecEvent | null {
  if (rec.length < EXEC_EVENT_BASE) return null;
  const argc = Math.min(rec.readUInt32LE(OFF.argc), EXEC_MAX_ARGS, Math.floor((rec.length - EXEC_EVENT_BASE) / EXEC_ARG_LEN));
  const argv: string[] = new Array(argc);
  for (let i = 0; i < argc; i++) argv[i] = cString(rec, OFF.args + i * EXEC_ARG_LEN, EXEC_ARG_LEN);
  const ret = rec.readInt32LE(OFF.ret);
  return {
    ts: wallMs(rec, OFF.ts_ns),
    pid: rec.readUInt32LE(OFF.pid),
    ppid: rec.readUInt32LE(OFF.ppid),
    uid: rec.readUInt32LE(OFF.uid),
    comm: cString(rec, OFF.comm, EXEC_COMM_LEN),
    filename: cString(rec, OFF.filename, EXEC_FILENAME_LEN),
    argv,
    argv_truncated: (rec.readUInt32LE(OFF.flags) & EXEC_F_ARGS_TRUNCATED) !== 0,
    ret,
    ret_name: errnoName(ret),
    cgroup: cgroupRef(u64n(rec, OFF.cgroup)),
  };
}

export class ExecProbe extends FeedProbe<ExecEvent> {
  readonly name = 'exec';
  protected readonly commField = { offset: OFF.comm, len: EXEC_COMM_LEN };
  protected readonly maxFlag = feedMaxFlag('exec');

  protected override configure(obj: BpfObject, config: ProbeConfig): void {
    super.configure(obj, config);
    // One exit program, on execve's tracepoint (its section) and execveat's (same format).
    // Nothing to do for the tp_btf fallback (that program is not loaded then).
    obj.alsoAttach('ps_exec_exit', 'syscalls', 'sys_exit_execveat');
  }

  protected decode(rec: Buffer): ExecEvent | null {
    return decodeExec(rec, (b, off) => this.clock.wallMs(b, off));
  }
}
