// The tcp feed's view (see ViewSpec, feedView). Its data is src/probes/tcp-spec.ts.
import type { TcpEvent } from '../probes/tcp-spec.js';
import { feedView } from './feed.js';

export const tcpView = feedView<TcpEvent>({
  name: 'tcp',
  title: 'tcp connect/accept',
  key: '5',
  grid: { column: 1, row: 2, weight: 2.5 },
  brief: (e) => `${e.kind} ${e.family === 6 ? `[${e.daddr}]` : e.daddr}:${e.dport}`,
});
