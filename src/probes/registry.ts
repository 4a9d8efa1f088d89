// Every probe perfscope knows, by name. The manager asks here for a fresh instance.
import type { Probe, ProbeName } from './types.js';
import { ExecProbe } from './exec.js';
import { OffcpuProbe } from './offcpu.js';
import { OpenProbe } from './open.js';
import { ProcProbe } from './proc.js';
import { RunqlatProbe } from './runqlat.js';
import { TcpProbe } from './tcp.js';

export type ProbeFactory = () => Probe<unknown, unknown>;

export const PROBE_FACTORIES: Partial<Record<ProbeName, ProbeFactory>> = {
  offcpu: () => new OffcpuProbe(),
  runqlat: () => new RunqlatProbe(),
  exec: () => new ExecProbe(),
  open: () => new OpenProbe(),
  tcp: () => new TcpProbe(),
  proc: () => new ProcProbe(),
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
