// The open feed's data (see ProbeSpec). The probe is open.ts; its view src/views/open.ts.
import { feedSpec, type FeedEventBase } from './feed-spec.js';
import { nullable, num, obj, oneOf, str } from './json-check.js';

export const OPEN_SYSCALLS = ['open', 'openat', 'openat2'] as const;
export type OpenSyscall = (typeof OPEN_SYSCALLS)[number];

export interface OpenEvent extends FeedEventBase {
  ts: number;
  pid: number;
  tid: number;
  uid: number;
  comm: string;
  syscall: OpenSyscall;
  path: string;
  flags: number;
  flags_text: string;
  /** The new fd on success, else null. */
  fd: number | null;
  /** Positive errno on failure, else null. */
  errno: number | null;
  errno_name: string | null;
}

export const open = feedSpec<'open', OpenEvent>({
  name: 'open',
  event: obj({
    ts: num,
    pid: num,
    tid: num,
    uid: num,
    comm: str,
    syscall: oneOf(OPEN_SYSCALLS),
    path: str,
    flags: num,
    flags_text: str,
    fd: nullable(num),
    errno: nullable(num),
    errno_name: nullable(str),
  }),
  prom: { what: 'open/openat/openat2 calls, also failed ones', label: 'result', values: ['ok', 'error'], classify: (e) => (e.errno === null ? 'ok' : 'error') },
});
