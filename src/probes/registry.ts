// Every probe perfscope knows, by name. The manager asks here for a fresh instance.
import type { Probe, ProbeName } from './types.js';
import { RunqlatProbe } from './runqlat.js';

export type ProbeFactory = () => Probe<unknown, unknown>;

export const PROBE_FACTORIES: Partial<Record<ProbeName, ProbeFactory>> = {
  runqlat: () => new RunqlatProbe(),
};

/** The key under which a probe's data appears in --json and in the store. */
export const DATA_KEY: Record<ProbeName, string> = {
  offcpu: 'offcpu',
  runqlat: 'runqlat',
  exec: 'exec',
  open: 'open',
  tcp: 'tcp',
  proc: 'counters',
};
