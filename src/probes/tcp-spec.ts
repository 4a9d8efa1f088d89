// The tcp feed's data (see ProbeSpec). The probe is tcp.ts; its view src/views/tcp.ts.
import { feedSpec, type FeedEventBase } from './feed-spec.js';
import { num, obj, oneOf, str } from './json-check.js';

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
  event: obj({
    ts: num,
    kind: oneOf(['connect', 'accept']),
    pid: num,
    tid: num,
    uid: num,
    comm: str,
    family: num,
    saddr: str,
    sport: num,
    daddr: str,
    dport: num,
  }),
  prom: { what: 'TCP connects and accepts (IPv4 and IPv6)', label: 'kind', values: ['connect', 'accept'], classify: (e) => e.kind },
});
