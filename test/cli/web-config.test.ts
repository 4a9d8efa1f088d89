// --web-config with the real binary: a certificate made by openssl and a bcrypt hash made by
// htpasswd in a temporary directory, a real Prometheus 2.42 scraping over HTTPS with basic_auth,
// curl without and with wrong credentials, plain HTTP to the TLS port, idle and slow clients that
// try to lock the scraper out, and bad web configs (one line, exit 1). No BPF needed: the
// intervals tick without it, and perfscope_intervals_total is the series looked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { MAX_CONNECTIONS } from '../../src/sinks/prometheus-http.js';
import { parseExposition, pick, promtoolCheck } from '../helpers/prom.js';
import { freePort, makeTlsAuth, sleep, waitFor } from '../helpers/net.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));
const HOST = '127.0.0.1';
const USER = 'scraper';
const PASS = 'correct horse';

const children = new Set<ChildProcess>();
let dir = '';

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'perfscope-webcfg-'));
  // The certificate and key in a subdirectory, named relative to the config's directory.
  const hash = makeTlsAuth(dir, HOST, USER, PASS);
  writeFileSync(
    join(dir, 'web.yml'),
    `tls_server_config:\n  cert_file: tls/cert.pem\n  key_file: tls/key.pem\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\nbasic_auth_users:\n  ${USER}: '${hash}'\n`,
  );
});

interface Service {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** perfscope --listen 127.0.0.1:PORT --no-screen --web-config FILE, run from / (the paths in the file are relative to it, not to the cwd). */
async function startService(webConfig: string): Promise<Service> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [BIN, '--listen', `${HOST}:${port}`, '--no-screen', '--no-bpf', '--probes', 'runqlat', '-i', '0.5', '--web-config', webConfig],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: '/',
    },
  );
  children.add(child);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  await waitFor(
    'perfscope to listen',
    () => (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}: ${err}`)) : err.includes(`serving https://${HOST}:${port}/metrics`)),
    20_000,
  );
  return { child, port, stderr: () => err, exited };
}

/** curl's verdict: the HTTP status (0 when no HTTP answer came), the headers and the body. */
function curl(url: string, args: string[] = []): { code: number; headers: string; body: string; exit: number | null } {
  const hdr = join(dir, `h${Math.random().toString(36).slice(2)}`);
  const r = spawnSync('curl', ['-s', '-m', '10', '-D', hdr, '-o', '-', '-w', '\n%{http_code}', ...args, url], { encoding: 'utf8', timeout: 20_000 });
  let headers = '';
  try {
    headers = execFileSync('cat', [hdr], { encoding: 'utf8' });
    rmSync(hdr, { force: true });
  } catch {
    /* no headers written */
  }
  const out = r.stdout ?? '';
  const cut = out.lastIndexOf('\n');
  return { code: Number(out.slice(cut + 1)) || 0, headers, body: out.slice(0, cut), exit: r.status };
}

const caArgs = () => ['--cacert', join(dir, 'tls/cert.pem')];

describe('--web-config: HTTPS and basic auth', () => {
  let svc: Service;

  it('curl: no credentials and wrong ones get 401 with WWW-Authenticate: Basic; right ones get the metrics; plain HTTP gets none', async () => {
    svc = await startService(join(dir, 'web.yml'));
    const url = `https://${HOST}:${svc.port}/metrics`;
    const none = curl(url, caArgs());
    expect(none.code).toBe(401);
    expect(none.headers).toMatch(/^www-authenticate: Basic\r?$/im);
    expect(none.body).not.toContain('perfscope_');
    const wrong = curl(url, [...caArgs(), '-u', `${USER}:wrong`]);
    expect(wrong.code).toBe(401);
    expect(wrong.body).not.toContain('perfscope_');
    expect(curl(url, [...caArgs(), '-u', `nobody:${PASS}`]).code).toBe(401);
    // Every path asks for credentials, as exporter-toolkit's do.
    expect(curl(`https://${HOST}:${svc.port}/`, caArgs()).code).toBe(401);
    const ok = curl(url, [...caArgs(), '-u', `${USER}:${PASS}`]);
    expect(ok.code).toBe(200);
    expect(ok.body).toMatch(/^perfscope_intervals_total \d+$/m);
    expect(ok.headers).toMatch(/^x-frame-options: deny\r?$/im);
    // The verdict is cached: the second scrape (a new connection) is answered too; the endpoint
    // counts its answers (the 401s above among them) and the scrape passes promtool.
    const again = curl(url, [...caArgs(), '-u', `${USER}:${PASS}`]);
    expect(again.code).toBe(200);
    const m = parseExposition(again.body);
    expect(pick(m, 'perfscope_http_responses_total', { code: '401' })[0]?.value).toBeGreaterThanOrEqual(4);
    expect(pick(m, 'perfscope_http_responses_total', { code: '200' })[0]?.value).toBeGreaterThanOrEqual(1);
    expect(promtoolCheck(again.body)).toEqual({ status: 0, output: '' });
    const om = curl(url, [...caArgs(), '-u', `${USER}:${PASS}`, '-H', 'Accept: application/openmetrics-text; version=1.0.0']);
    expect(om.body).toMatch(/^perfscope_http_connections_closed_total\{reason="evicted"\} \d+\n(?:.*\n)*# EOF\n$/m);
    expect(om.body.match(/# EOF/g)).toHaveLength(1);
    // Plain HTTP to the TLS port: no HTTP answer at all, and the service goes on.
    const plain = curl(`http://${HOST}:${svc.port}/metrics`, ['-u', `${USER}:${PASS}`]);
    expect(plain.code).toBe(0);
    expect(plain.body).not.toContain('perfscope_');
    expect(svc.child.exitCode).toBeNull();
  }, 60_000);

  it('a real Prometheus scrapes it over https with basic_auth and tls_config; wrong credentials leave its target down with a 401', async () => {
    expect(svc, 'the service of the previous test').toBeDefined();
    const promPort = await freePort();
    const target = `['${HOST}:${svc.port}']`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: perfscope',
        '    scheme: https',
        '    tls_config:',
        `      ca_file: ${join(dir, 'tls/cert.pem')}`,
        '    basic_auth:',
        `      username: ${USER}`,
        `      password: '${PASS}'`,
        '    static_configs:',
        `      - targets: ${target}`,
        '  - job_name: intruder',
        '    scheme: https',
        '    tls_config:',
        '      insecure_skip_verify: true',
        '    basic_auth:',
        `      username: ${USER}`,
        '      password: guessed',
        '    static_configs:',
        `      - targets: ${target}`,
        '',
      ].join('\n'),
    );
    const prom = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=${HOST}:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.add(prom);
    let promErr = '';
    prom.stderr!.setEncoding('utf8').on('data', (d: string) => (promErr = (promErr + d).slice(-4000)));
    const api = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.get({ host: HOST, port: promPort, path, agent: false, timeout: 10_000 }, (res) => {
          let b = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (b += d));
          res.on('end', () => resolve(b));
        });
        req.on('timeout', () => req.destroy(new Error('no answer')));
        req.on('error', reject);
      });
    const query = async (q: string) => {
      const j = JSON.parse(await api(`/api/v1/query?query=${encodeURIComponent(q)}`)) as { status: string; data: { result: { value: [number, string] }[] } };
      return j.status === 'success' && j.data.result.length ? Number(j.data.result[0].value[1]) : null;
    };
    try {
      await waitFor(`Prometheus ready (${promErr})`, async () => (await api('/-/ready')).includes('Ready'), 30_000);
      await waitFor('the target up', async () => (await query('up{job="perfscope"}')) === 1, 30_000);
      const series = await waitFor('a perfscope series', async () => query('perfscope_intervals_total{job="perfscope"}'), 30_000);
      expect(series).toBeGreaterThan(0);
      type Targets = { data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] } };
      const byJob = async () => {
        const t = JSON.parse(await api('/api/v1/targets')) as Targets;
        return Object.fromEntries(t.data.activeTargets.map((a) => [a.labels.job, [a.health, a.lastError]]));
      };
      const jobs = await waitFor(
        'both targets scraped',
        async () => {
          const j = await byJob();
          return j.intruder?.[0] === 'down' && j.perfscope?.[0] === 'up' ? j : undefined;
        },
        30_000,
      );
      expect(jobs.perfscope).toEqual(['up', '']);
      expect(jobs.intruder[1]).toMatch(/401/);
      expect(await query('up{job="intruder"}')).toBe(0);
      expect(await query('count(perfscope_intervals_total{job="intruder"})')).toBeNull();
    } finally {
      prom.kill('SIGTERM');
      await waitFor('Prometheus to exit', () => prom.exitCode !== null || prom.signalCode !== null, 20_000);
    }
  }, 120_000);

  it(`${200} idle connections, a client sending a 2 MB header and a host reconnecting without pause do not stop a scrape`, async () => {
    expect(svc, 'the service of the previous test').toBeDefined();
    const p = svc.port;
    let stop = false;
    const open = new Set<net.Socket>();
    // 200 idle TCP connections (no TLS handshake, nothing sent), from another loopback address,
    // each opened again as soon as the server closes it: a host that never lets go.
    const idle = (): void => {
      if (stop) return;
      const s = net.connect({ host: HOST, port: p, localAddress: '127.0.0.2' });
      open.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        if (!stop) setTimeout(idle, 5);
      });
    };
    for (let i = 0; i < 200; i++) idle();
    // And the first 200 from the scraper's own address, as in the report: held, not reopened.
    const held = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<{ closed: Promise<void> }>((resolve) => {
            const s = net.connect({ host: HOST, port: p });
            const closed = new Promise<void>((r) => s.on('close', () => r()));
            s.on('error', () => {});
            s.on('connect', () => resolve({ closed }));
            s.on('close', () => resolve({ closed }));
            open.add(s);
          }),
      ),
    );
    // One client sending a 2 MB header over TLS, as fast as the server reads it.
    const big = tls.connect({ host: HOST, port: p, rejectUnauthorized: false });
    open.add(big);
    let bigAnswer = '';
    big.setEncoding('utf8').on('data', (d: string) => (bigAnswer += d));
    big.on('error', () => {});
    const bigClosed = new Promise<void>((r) => big.on('close', () => r()));
    big.once('secureConnect', () => {
      big.write(`GET /metrics HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: `);
      const chunk = 'a'.repeat(64 * 1024);
      let sent = 0;
      const more = (): void => {
        while (sent < 2 * 1024 * 1024 && !big.destroyed) {
          sent += chunk.length;
          if (!big.write(chunk)) return void big.once('drain', more);
        }
      };
      more();
    });
    try {
      await sleep(500);
      // The scrape, with credentials, while all that goes on.
      const ok = curl(`https://${HOST}:${p}/metrics`, [...caArgs(), '-u', `${USER}:${PASS}`]);
      expect(ok.code).toBe(200);
      expect(ok.body).toMatch(/^perfscope_intervals_total \d+$/m);
      // Room was made by eviction, and it was counted.
      expect(pick(parseExposition(ok.body), 'perfscope_http_connections_closed_total', { reason: 'evicted' })[0]?.value).toBeGreaterThan(0);
      // The 2 MB header was not held: refused (431) and closed, or closed to make room (an
      // unfinished request is evictable) before 4 KiB of it arrived.
      await Promise.race([bigClosed, sleep(15_000)]);
      expect(big.destroyed || big.closed).toBe(true);
      if (bigAnswer !== '') expect(bigAnswer).toMatch(/^HTTP\/1\.1 431 /);
      // At most MAX_CONNECTIONS of the held ones are still open.
      let stillOpen = held.length;
      for (const h of held) void h.closed.then(() => stillOpen--);
      await waitFor(`at most ${MAX_CONNECTIONS} held connections open (${stillOpen})`, () => stillOpen <= MAX_CONNECTIONS, 10_000, 50);
    } finally {
      stop = true;
      for (const s of open) s.destroy();
    }
    // Still serving afterwards.
    expect(curl(`https://${HOST}:${p}/metrics`, [...caArgs(), '-u', `${USER}:${PASS}`]).code).toBe(200);
    svc.child.kill('SIGTERM');
    expect(await Promise.race([svc.exited, sleep(15_000).then(() => 'timeout' as const)])).toBe(0);
  }, 90_000);
});

describe('--web-config: bad files', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const bad = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it.each([
    ['malformed YAML', 'tls_server_config: [\n', /web config .*malformed-YAML\.yml: not valid YAML/],
    ['an unknown top-level field', 'basic_auth_user:\n  a: b\n', /unknown field 'basic_auth_user'/],
    [
      'an unknown nested field',
      'tls_server_config:\n  cert_file: tls/cert.pem\n  key_file: tls/key.pem\n  certfile: x\n',
      /unknown field 'tls_server_config\.certfile'/,
    ],
    ['a missing cert file', 'tls_server_config:\n  cert_file: nope.pem\n  key_file: tls/key.pem\n', /cert_file .*nope\.pem: no such file/],
    ['a cert without a key', 'tls_server_config:\n  cert_file: tls/cert.pem\n', /missing key_file/],
    ['a key that is not PEM', 'tls_server_config:\n  cert_file: tls/cert.pem\n  key_file: web.yml\n', /tls_server_config: /],
    ['a password that is not a bcrypt hash', 'basic_auth_users:\n  a: secret\n', /basic_auth_users\.a: not a bcrypt hash/],
    [
      'a header exporter-toolkit does not allow',
      'http_server_config:\n  headers:\n    X-Powered-By: me\n',
      /unknown field 'http_server_config\.headers\.X-Powered-By'/,
    ],
    [
      'a TLS version that does not exist',
      'tls_server_config:\n  cert_file: tls/cert.pem\n  key_file: tls/key.pem\n  min_version: TLS14\n',
      /min_version: 'TLS14'/,
    ],
  ])('%s: one line, exit 1', (what, text, re) => {
    const f = bad(`${what.replace(/[^A-Za-z]+/g, '-')}.yml`, text);
    const r = run(['--listen', `${HOST}:9`, '--no-screen', '--no-bpf', '--web-config', f]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('a web config that does not exist: one line, exit 1; --web-config without --listen: exit 2', () => {
    const r = run(['--listen', `${HOST}:9`, '--no-screen', '--no-bpf', '--web-config', join(dir, 'absent.yml')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/web config .*absent\.yml: no such file/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const u = run(['--web-config', join(dir, 'web.yml')]);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/--web-config only goes with --listen/);
  });
});
