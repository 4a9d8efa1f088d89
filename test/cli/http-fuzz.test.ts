// Property-based fuzzing of the --listen endpoint's request handling (fast-check): arbitrary raw
// bytes (request lines with odd methods, paths and versions, headers of every kind, Authorization
// headers right, wrong and malformed, bodies, pipelined requests, bare garbage), written in pieces
// to a socket of the real binary (--web-config with basic auth, plain HTTP so that every byte
// reaches the HTTP parser). Properties: the server answers with HTTP/1.1 and a status it can give,
// or closes, within the timeouts; it never gives 200 to a request without the right credentials;
// a correct request right after still gets the metrics; the process never dies.
// FUZZ_RUNS sets the number of runs (default 150 in ./dev test; scripts/fuzz-http.sh runs more).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { HEADERS_TIMEOUT_MS } from '../../src/sinks/prometheus-http.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));
const HOST = '127.0.0.1';
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const GOOD = `Basic ${b64('scraper:hunter2')}`;
/** Every status the endpoint or Node's HTTP parser can give. */
const STATUSES = new Set([100, 200, 400, 401, 404, 405, 408, 413, 414, 417, 429, 431, 501, 503, 505]);
/** How long a run may take before the server has answered or closed: the headers' timeout, with slack for a loaded machine. */
const RUN_BOUND_MS = HEADERS_TIMEOUT_MS + 5000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir = '';
let child: ChildProcess | null = null;
let port = 0;
let stderr = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perfscope-httpfuzz-'));
  // Cost 4: the fuzzer's guessed passwords each cost a bcrypt; the format is the same.
  const line = execFileSync('htpasswd', ['-nbBC', '4', 'scraper', 'hunter2'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(dir, 'web.yml'),
    `basic_auth_users:\n  scraper: '${line.slice(line.indexOf(':') + 1)}'\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`,
  );
  port = await new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  child = spawn(
    process.execPath,
    [BIN, '--listen', `${HOST}:${port}`, '--no-screen', '--no-bpf', '--probes', 'runqlat', '-i', '0.5', '--web-config', join(dir, 'web.yml')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const end = Date.now() + 20_000;
  while (!stderr.includes('serving http://')) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`perfscope did not start: ${stderr}`);
    await sleep(100);
  }
});

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Write `pieces` to a new connection, half-close it, and read until the server closes (or the bound). */
function exchange(pieces: Buffer[]): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const got: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ reply: Buffer.concat(got), closed });
    };
    const timer = setTimeout(() => finish(false), RUN_BOUND_MS);
    sock.on('data', (d: Buffer) => got.push(d));
    sock.on('error', () => finish(true)); // a reset is a close
    sock.on('close', () => finish(true));
    sock.once('connect', async () => {
      for (const p of pieces) {
        if (sock.destroyed) return;
        sock.write(p);
        await new Promise((r) => setImmediate(r));
      }
      sock.end();
    });
  });
}

/** A correct scrape on its own connection: its status line and whether the metrics came. */
async function goodScrape(): Promise<string> {
  const { reply } = await exchange([Buffer.from(`GET /metrics HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: ${GOOD}\r\nConnection: close\r\n\r\n`)]);
  const text = reply.toString('latin1');
  return `${text.split('\r\n')[0]} ${/^perfscope_intervals_total \d+$/m.test(text) ? 'metrics' : 'no metrics'}`;
}

const token = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/);
const char = fc.oneof(
  fc.constantFrom('\r', '\n', '\0', ':', ' ', '\t', 'é', '\u{1F600}', '\x1b', '\x7f'),
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
);
const text = (n: number) => fc.string({ maxLength: n, unit: char });
/** Printable ASCII only: what a header value may hold, so that runs get past the parser too. */
const clean = (n: number) => fc.string({ maxLength: n, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
/** Mostly clean, sometimes anything. */
const value = (n: number) => fc.oneof({ weight: 6, arbitrary: clean(n) }, text(n));
const method = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST') },
  fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH', 'PRI', 'get', 'M-SEARCH'),
  token,
  text(8),
);
const path = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('/metrics', '/metrics', '/') },
  fc.constantFrom(
    '/',
    '/metrics',
    '/metrics?x=1',
    '*',
    '//metrics',
    '/metrics/../metrics',
    '/%2e%2e/',
    'http://127.0.0.1/metrics',
    '/metrics#f',
    '',
    '/metrics%00',
  ),
  fc.webPath(),
  text(40),
);
const version = fc.oneof(
  { weight: 4, arbitrary: fc.constant('HTTP/1.1') },
  fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'http/1.1', '', 'HTTP/9.9', 'HTTP/1.1 x'),
);
const auth = fc.oneof(
  fc.constant(GOOD),
  fc.constant(`Basic ${b64('scraper:wrong')}`),
  fc.tuple(text(20), text(20)).map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
  fc.tuple(fc.constantFrom('scraper', 'Scraper', 'scraper ', ''), clean(12)).map(([u, p]) => `Basic ${b64(`${u}:${p}`)}`),
  fc.string({ maxLength: 80 }).map((s) => `Basic ${b64(s)}`),
  value(60).map((s) => `Basic ${s}`),
  fc.constantFrom(
    'Basic',
    'Basic ',
    'basic c2NyYXBlcjpodW50ZXIy',
    `Basic  ${b64('scraper:hunter2')}  `,
    `Bearer ${b64('scraper:hunter2')}`,
    `Basic ${b64('scraper:hunter2')}=`,
  ),
  value(100),
);
const header = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION'), auth) },
  fc.tuple(
    fc.constantFrom('Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Accept', 'Expect', 'Upgrade'),
    fc.oneof(
      fc.constantFrom(
        'chunked',
        '0',
        '10',
        '-1',
        '99999999999999999999',
        'close',
        'keep-alive',
        'upgrade',
        '100-continue',
        'h2c',
        'application/openmetrics-text',
      ),
      text(30),
    ),
  ),
  { weight: 2, arbitrary: fc.tuple(token, value(60)) },
  fc.tuple(text(20), text(20)),
);
const eol = fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, fc.constantFrom('\n', '\r', '\r\r\n'));
const request = fc
  .record({
    method,
    path,
    version,
    // Node asks HTTP/1.1 requests for a Host header (else 400): most runs carry one, to reach further.
    headers: fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constant([['Host', HOST]] as [string, string][]) }, fc.constant([] as [string, string][])),
        fc.array(header, { maxLength: 4 }),
        fc.oneof(fc.constant([['Authorization', GOOD]] as [string, string][]), { weight: 2, arbitrary: fc.constant([] as [string, string][]) }),
      )
      .map(([h, rest, good]) => [...h, ...rest, ...good]),
    eol,
    body: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, text(60)),
    end: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.boolean()),
  })
  .map((r) => `${r.method} ${r.path} ${r.version}${r.eol}${r.headers.map(([k, v]) => `${k}: ${v}${r.eol}`).join('')}${r.end ? r.eol : ''}${r.body}`);
const input = fc.oneof(
  { weight: 8, arbitrary: request.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.array(request, { minLength: 2, maxLength: 4 }).map((rs) => Buffer.from(rs.join(''))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)) },
  // A valid request with a few bytes flipped.
  {
    weight: 1,
    arbitrary: fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([flips]) => {
      const b = Buffer.from(`GET /metrics HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: ${GOOD}\r\n\r\n`);
      for (const [at, v] of flips) b[at % b.length] = v;
      return b;
    }),
  },
);
/** The input cut into 1 to 4 pieces, each written on its own. */
const pieces = fc.tuple(input, fc.array(fc.nat(), { maxLength: 3 })).map(([buf, cuts]) => {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(buf.subarray(from, c));
    from = c;
  }
  out.push(buf.subarray(from));
  return out.filter((p) => p.length > 0);
});

describe('the --listen endpoint under fast-check', () => {
  it(`${RUNS} arbitrary requests: a valid status or a close, never 200 without the credentials, a correct scrape after each, no crash`, async () => {
    expect(await goodScrape()).toBe('HTTP/1.1 200 OK metrics');
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(pieces, async (ps) => {
        const sent = Buffer.concat(ps);
        const { reply, closed } = await exchange(ps);
        // Answered or closed within the bound: never left hanging.
        if (!closed) throw new Error('neither answered and closed nor closed within the bound');
        const text = reply.toString('latin1');
        if (text.length > 0 && !text.startsWith('HTTP/1.1 ')) throw new Error(`not an HTTP/1.1 answer: ${JSON.stringify(text.slice(0, 80))}`);
        // Every response's status line (the bodies are plain text that holds none).
        for (const m of text.matchAll(/HTTP\/1\.1 (\d{3}) [A-Za-z -]*\r\n/g)) {
          const status = Number(m[1]);
          seen.set(status, (seen.get(status) ?? 0) + 1);
          if (process.env.FUZZ_DEBUG) console.log(status, JSON.stringify(sent.toString('latin1').slice(0, 300)));
          if (!STATUSES.has(status)) throw new Error(`status ${status}`);
          // 200 only with the right credentials somewhere in what was sent.
          if (status === 200 && !sent.toString('latin1').toLowerCase().includes(GOOD.split(' ')[1].toLowerCase()))
            throw new Error('200 without the credentials');
        }
        const after = await goodScrape();
        if (after !== 'HTTP/1.1 200 OK metrics') throw new Error(`a correct scrape after it got: ${after}`);
        if (child!.exitCode !== null) throw new Error(`perfscope exited ${child!.exitCode}: ${stderr}`);
      }),
      { numRuns: RUNS },
    );
    expect(child!.exitCode).toBeNull();
    console.log(`http fuzz: ${RUNS} runs, statuses ${JSON.stringify(Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])))}`);
    // The runs reached past the parser and the authentication: some were refused, some served.
    expect(seen.get(401) ?? 0).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    expect(seen.get(200) ?? 0).toBeGreaterThan(0);
  }, 600_000);
});
