// The exec feed's data (see ProbeSpec). The probe is exec.ts; its view src/views/exec.ts.
import { feedSpec, type FeedEventBase } from './feed-spec.js';
import { arrayOf, bool, nullable, num, obj, str } from './json-check.js';

export interface ExecEvent extends FeedEventBase {
  ts: number;
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  filename: string;
  argv: string[];
  argv_truncated: boolean;
  /** 0 or a negative errno. */
  ret: number;
  ret_name: string | null;
}

export const exec = feedSpec<'exec', ExecEvent>({
  name: 'exec',
  event: obj({ ts: num, pid: num, ppid: num, uid: num, comm: str, filename: str, argv: arrayOf(str), argv_truncated: bool, ret: num, ret_name: nullable(str) }),
  prom: { what: 'execve/execveat calls, also failed ones', label: 'result', values: ['ok', 'error'], classify: (e) => (e.ret === 0 ? 'ok' : 'error') },
});
