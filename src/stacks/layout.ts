// The stack key of bpf/stacks.h as user space decodes it (test/probes/layout.test.ts checks it
// against BTF): a task and the whole of its kernel and user stacks, leaf first.
import { cString } from '../probes/strings.js';

export const STACK_COMM_LEN = 16;
export const STACK_KDEPTH = 40;
export const STACK_UDEPTH = 96;
const HEAD = 16 + STACK_COMM_LEN + 8;
export const STACK_KEY_LAYOUT = {
  struct: 'stack_key',
  size: HEAD + 8 * (STACK_KDEPTH + STACK_UDEPTH),
  fields: { pid: 0, tgid: 4, mmid: 8, kframes: 12, uframes: 14, comm: 16, cgroup: 16 + STACK_COMM_LEN, kstack: HEAD, ustack: HEAD + 8 * STACK_KDEPTH },
} as const;
/** struct stack_sample of bpf/stacks.h: a key, the absence (off-CPU), the registers and the copied stack. */
const SAMPLE_AT = STACK_KEY_LAYOUT.size;
export const STACK_SAMPLE_LAYOUT = {
  struct: 'stack_sample',
  size: SAMPLE_AT + 64,
  fields: {
    key: 0,
    delta_ns: SAMPLE_AT,
    preempted: SAMPLE_AT + 8,
    gen: SAMPLE_AT + 12,
    by: SAMPLE_AT + 16,
    ip: SAMPLE_AT + 32,
    sp: SAMPLE_AT + 40,
    bp: SAMPLE_AT + 48,
    stack_len: SAMPLE_AT + 56,
    _pad: SAMPLE_AT + 60,
    stack: SAMPLE_AT + 64,
  },
} as const;
export const STACK_PROC_LAYOUT = { struct: 'stack_proc', size: 8, fields: { tgid: 0, mmid: 4 } } as const;

export interface StackKey {
  /** Thread id (off-CPU stacks); 0 in profile rows, which are per process. */
  pid: number;
  tgid: number;
  /** The address space the user frames are in (0: none, a kernel thread). */
  mmid: number;
  comm: string;
  /** The task's v2 cgroup id. */
  cgroup: number;
  /** Instruction addresses, leaf first. */
  kernel: BigUint64Array;
  user: BigUint64Array;
  /** As many frames as the key holds: the real stack may be deeper. */
  kernelTruncated: boolean;
  userTruncated: boolean;
  /** Unwound in user space: per user address, how it was found (NativeUnwound.via). */
  via?: Uint8Array;
}

function frames(b: Buffer, off: number, n: number, max: number): BigUint64Array {
  const out = new BigUint64Array(Math.min(n, max));
  for (let i = 0; i < out.length; i++) out[i] = b.readBigUInt64LE(off + 8 * i);
  return out;
}

export function decodeStackKey(b: Buffer): StackKey {
  const f = STACK_KEY_LAYOUT.fields;
  const kn = b.readUInt16LE(f.kframes);
  const un = b.readUInt16LE(f.uframes);
  return {
    pid: b.readUInt32LE(f.pid),
    tgid: b.readUInt32LE(f.tgid),
    mmid: b.readUInt32LE(f.mmid),
    comm: cString(b, f.comm, STACK_COMM_LEN),
    cgroup: b.readUInt32LE(f.cgroup + 4) * 4294967296 + b.readUInt32LE(f.cgroup),
    kernel: frames(b, f.kstack, kn, STACK_KDEPTH),
    user: frames(b, f.ustack, un, STACK_UDEPTH),
    kernelTruncated: kn >= STACK_KDEPTH,
    userTruncated: un >= STACK_UDEPTH,
  };
}
