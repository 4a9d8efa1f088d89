// The tcp feed described to the rest of perfscope (see ProbeSpec). The probe is tcp.ts.
import { feedSpec, type FeedEventBase } from './feed-spec.js';

export type TcpKind = 'connect' | 'accept';

export interface TcpEvent extends FeedEventBase {
  ts: number;
  kind: TcpKind;
  pid: number;
  tid: number;
  uid: number;
  comm: string;
  family: 4 | 6;
  saddr: string;
  sport: number;
  daddr: string;
  dport: number;
}

export const tcp = feedSpec<'tcp', TcpEvent>({
  name: 'tcp',
  title: 'tcp connect/accept',
  key: '5',
  grid: { column: 1, row: 2, weight: 2.5 },
  create: async () => new (await import('./tcp.js')).TcpProbe(),
  brief: (e) => `${e.kind} ${e.family === 6 ? `[${e.daddr}]` : e.daddr}:${e.dport}`,
  prom: { what: 'TCP connects and accepts (IPv4 and IPv6)', label: 'kind', values: ['connect', 'accept'], classify: (e) => e.kind },
});
