// The live stream (GET /stream, src/sinks/stream.ts) on a real server and real sockets: a reader
// that keeps up gets every line whole (the --json line of each interval, byte for byte); a
// reader that stops reading has its lines dropped and counted once its socket holds more than
// the bound (its unread bytes stay bounded: no memory grows for it), and is disconnected after
// the stall time; the host header says where the stream comes from; HEAD answers without a body.
import { afterAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { intervalChunks } from '../../src/catalogue/codec.js';
import { PrometheusSink } from '../../src/sinks/prometheus.js';
import { startMetricsServer, type MetricsServer } from '../../src/sinks/prometheus-http.js';
import { StreamHub } from '../../src/sinks/stream.js';
import { parseHostHeader } from '../../src/replay/remote.js';
import { countersSample, offHealth, nullData, offcpuSample } from '../ui/fixtures.js';
import type { Interval } from '../../src/catalogue/catalogue.js';

const servers: MetricsServer[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function interval(i: number): Interval {
  return {
    time: new Date(Date.UTC(2026, 11, 7, 12, 0, i)).toISOString(),
    interval_s: 1,
    pinned_cpu: null,
    online_cpus: [0, 1],
    probes: offHealth(),
    data: { ...nullData(), proc: countersSample(), offcpu: offcpuSample() },
  } as unknown as Interval;
}

async function serve(hub: StreamHub): Promise<number> {
  const s = await startMetricsServer({ host: '127.0.0.1', port: 0 }, new PrometheusSink(CATALOGUE, { top: 5, node: false }), null, hub);
  servers.push(s);
  return Number(s.address.split(':').pop());
}

describe('GET /stream', () => {
  it('a reader that keeps up gets every interval as the --json sink writes it, with the host header', async () => {
    const hub = new StreamHub(CATALOGUE, { hostname: 'h\u001b[2Jx', kernel: '6.18', cpus: [0, 1], interval_s: 1 });
    const port = await serve(hub);
    let body = '';
    let headers: http.IncomingHttpHeaders = {};
    const req = http.get({ host: '127.0.0.1', port, path: '/stream', agent: false }, (res) => {
      headers = res.headers;
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
    });
    for (let t = 0; t < 100 && hub.stats().clients === 0; t++) await sleep(20);
    const want: string[] = [];
    for (let i = 0; i < 5; i++) {
      hub.interval(interval(i));
      want.push([...intervalChunks(CATALOGUE, interval(i))].join(''));
    }
    for (let t = 0; t < 200 && body.split('\n').length <= 5; t++) await sleep(20);
    req.destroy();
    expect(body).toBe(want.join(''));
    expect(headers['content-type']).toMatch(/^application\/x-ndjson/);
    // The host comes back escaped (a hostname is untrusted text).
    expect(parseHostHeader(headers['x-perfscope-host'] as string)).toEqual({ hostname: 'h\\e[2Jx', kernel: '6.18', cpus: [0, 1], intervalS: 1 });
    const head = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .request({ host: '127.0.0.1', port, path: '/stream', method: 'HEAD', agent: false }, (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (d: string) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
        })
        .on('error', reject)
        .end();
    });
    expect(head).toEqual({ status: 200, body: '' });
  });

  it('a reader that stops reading: lines dropped and counted above the bound, its backlog bounded, disconnected after the stall time; a good reader beside it loses nothing', async () => {
    const BOUND = 64 * 1024;
    const hub = new StreamHub(CATALOGUE, { hostname: 'h', kernel: 'k', cpus: [0], interval_s: 1 }, BOUND, 1500);
    const port = await serve(hub);
    // The stalled reader: a raw socket that sends its request and never reads.
    const slow = net.connect(port, '127.0.0.1');
    slow.on('error', () => {});
    slow.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
    slow.pause();
    // The good reader.
    let good = '';
    const req = http.get({ host: '127.0.0.1', port, path: '/stream', agent: false }, (res) => res.setEncoding('utf8').on('data', (d: string) => (good += d)));
    for (let t = 0; t < 100 && hub.stats().clients < 2; t++) await sleep(20);
    expect(hub.stats().clients).toBe(2);
    const line = [...intervalChunks(CATALOGUE, interval(0))].join('');
    let sent = 0;
    const end = Date.now() + 20_000;
    while (hub.stats().stalled === 0 && Date.now() < end) {
      hub.interval(interval(sent % 60));
      sent++;
      if (sent % 20 === 0) await sleep(10);
    }
    const st = hub.stats();
    expect(st.linesDropped).toBeGreaterThan(0);
    expect(st.stalled).toBe(1);
    // (a paused socket sees its end only when it reads again: the hub's count says it was closed)
    expect(st.clients).toBe(1);
    // The good reader has every line, whole.
    for (let t = 0; t < 500 && good.split('\n').length - 1 < sent; t++) await sleep(20);
    req.destroy();
    const lines = good.split('\n').filter(Boolean);
    expect(lines).toHaveLength(sent);
    const want = Array.from({ length: 60 }, (_, i) => [...intervalChunks(CATALOGUE, interval(i))].join('').trimEnd());
    expect(lines.findIndex((l, k) => l !== want[k % 60])).toBe(-1);
    // No socket ever held more than the bound plus one line unread: nothing grew for the stalled reader.
    expect(st.maxBacklog).toBeGreaterThan(BOUND / 2);
    expect(st.maxBacklog).toBeLessThanOrEqual(BOUND + line.length);
    slow.destroy();
  }, 40_000);
});
