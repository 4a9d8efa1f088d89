// The exec feed described to the rest of perfscope (see ProbeSpec). The probe is exec.ts.
import { feedSpec, type FeedEventBase } from './feed-spec.js';

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
  title: 'exec',
  key: '3',
  grid: { column: 0, row: 2, weight: 3 },
  create: async () => new (await import('./exec.js')).ExecProbe(),
  brief: (e) => (e.argv.length ? e.argv.join(' ') : e.filename) + (e.ret === 0 ? '' : ` ${e.ret_name ?? e.ret}`),
  prom: { what: 'execve/execveat calls, also failed ones', label: 'result', values: ['ok', 'error'], classify: (e) => (e.ret === 0 ? 'ok' : 'error') },
});
