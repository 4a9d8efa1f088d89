// perfscope --connect with the real binary: a headless perfscope --listen (no BPF: its intervals
// tick without it) that also writes its own --json lines, and --connect --json --count 3 against
// its /stream: the three lines printed are lines the remote's own --json sink wrote, byte for
// byte. Then through TLS with basic auth (a certificate made by openssl, a hash by htpasswd): the
// right password from PERFSCOPE_PASSWORD or --password-file works; a wrong one, none, or a URL
// that is not a stream are one line and exit 1. The bound on concurrent streams answers 503.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_STREAMS } from '../../src/sinks/stream.js';
import { parseExposition, pick } from '../helpers/prom.js';
import { freePort, makeTlsAuth, waitFor } from '../helpers/net.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));
const HOST = '127.0.0.1';
const USER = 'viewer';
const PASS = 'battery staple';

const children = new Set<ChildProcess>();
let dir = '';

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'perfscope-connect-'));
  const hash = makeTlsAuth(dir, HOST, USER, PASS);
  writeFileSync(join(dir, 'web.yml'), `tls_server_config:\n  cert_file: tls/cert.pem\n  key_file: tls/key.pem\nbasic_auth_users:\n  ${USER}: '${hash}'\n`);
  writeFileSync(join(dir, 'pass'), `${PASS}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'wrong'), 'not the password\n', { mode: 0o600 });
});

interface Remote {
  child: ChildProcess;
  port: number;
  /** The lines its own --json sink wrote so far. */
  lines: () => string[];
}

/** perfscope --listen PORT --no-screen --json (its own lines kept), optionally with a web config. */
async function startRemote(webConfig: string | null): Promise<Remote> {
  const port = await freePort();
  const args = [BIN, '--listen', `${HOST}:${port}`, '--no-screen', '--json', '--no-bpf', '-i', '0.5'];
  if (webConfig) args.push('--web-config', webConfig);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await waitFor(
    'the remote to listen',
    () => (child.exitCode !== null ? Promise.reject(new Error(`exited ${child.exitCode}: ${err}`)) : err.includes(`://${HOST}:${port}/metrics`)),
    20_000,
  );
  return { child, port, lines: () => out.split('\n').filter(Boolean) };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** perfscope ARGS as `node bin/perfscope.js`; with `launcher`, as the executable itself (its `#!` line). */
function run(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000, launcher = false): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(launcher ? BIN : process.execPath, launcher ? args : [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

async function stop(r: Remote): Promise<void> {
  const gone = new Promise((res) => r.child.once('exit', res));
  r.child.kill('SIGTERM');
  await gone;
}

describe('--connect URL --json', () => {
  it('prints three intervals of the remote, equal to the lines its own --json sink wrote', async () => {
    const r = await startRemote(null);
    const got = await run(['--connect', `http://${HOST}:${r.port}`, '--json', '--count', '3']);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    const lines = got.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    // The remote wrote them too (it may not have flushed the last one yet when we look).
    const own = await waitFor(
      'the remote to write the same lines',
      () => {
        const l = r.lines();
        return lines.every((x) => l.includes(x)) && l;
      },
      10_000,
    );
    const at = own.indexOf(lines[0]);
    expect(own.slice(at, at + 3)).toEqual(lines);
    for (const l of lines) expect(JSON.parse(l)).toHaveProperty('probes');
    await stop(r);
  }, 60_000);

  it('a URL that is not a perfscope stream is one line and exit 1; bad URLs are usage errors', async () => {
    const r = await startRemote(null);
    const bad = await run(['--connect', `http://${HOST}:${r.port}/nothing`, '--json', '--count', '1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^perfscope: .*no stream there \(HTTP 404/);
    await stop(r);
    expect((await run(['--connect', 'ftp://x', '--json'])).stderr).toMatch(/^perfscope: --connect: the URL must be http/);
    expect((await run(['--connect', 'http://u:p@127.0.0.1:1', '--json'])).stderr).toMatch(/no credentials in the URL/);
  }, 60_000);

  it(`at most ${MAX_STREAMS} streams at once: the next gets 503, and /metrics counts them`, async () => {
    const r = await startRemote(null);
    const open: http.ClientRequest[] = [];
    const statuses: number[] = [];
    for (let i = 0; i <= MAX_STREAMS; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: HOST, port: r.port, path: '/stream', agent: false }, (res) => {
          statuses.push(res.statusCode ?? 0);
          res.resume();
          resolve();
        });
        req.on('error', reject);
        open.push(req);
      });
    }
    expect(statuses.slice(0, MAX_STREAMS).every((s) => s === 200)).toBe(true);
    expect(statuses[MAX_STREAMS]).toBe(503);
    const m = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: HOST, port: r.port, path: '/metrics', agent: false }, (res) => {
          let b = '';
          res.setEncoding('utf8').on('data', (d: string) => (b += d));
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    expect(pick(parseExposition(m), 'perfscope_http_streams')[0]?.value).toBe(MAX_STREAMS);
    for (const q of open) q.destroy();
    await stop(r);
  }, 60_000);
});

describe('--connect through TLS with basic auth', () => {
  it('the right password (PERFSCOPE_PASSWORD or --password-file) gives the lines; a wrong one or none is one line and exit 1', async () => {
    const r = await startRemote(join(dir, 'web.yml'));
    const url = `https://${HOST}:${r.port}`;
    const ca = ['--ca-file', join(dir, 'tls/cert.pem')];
    const ok = await run(['--connect', url, '--json', '--count', '3', '--user', USER, ...ca], { PERFSCOPE_PASSWORD: PASS });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const lines = ok.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    await waitFor('the remote to write the same lines', () => lines.every((x) => r.lines().includes(x)), 10_000);
    const file = await run(['--connect', url, '--json', '--count', '1', '--user', USER, '--password-file', join(dir, 'pass'), ...ca]);
    expect(file.code).toBe(0);
    expect(file.stdout.split('\n').filter(Boolean)).toHaveLength(1);

    const wrong = await run(['--connect', url, '--json', '--count', '3', '--user', USER, '--password-file', join(dir, 'wrong'), ...ca]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/^perfscope: https:\/\/127\.0\.0\.1:\d+: wrong credentials \(HTTP 401\)\n$/);
    const none = await run(['--connect', url, '--json', '--count', '3', ...ca]);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/asks for credentials/);
    // Without the CA the certificate does not verify: one line, exit 1 (retrying would not mend it).
    const noCa = await run(['--connect', url, '--json', '--count', '1', '--user', USER], { PERFSCOPE_PASSWORD: PASS });
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toMatch(/^perfscope: https:\/\/127\.0\.0\.1:\d+: TLS: the server's certificate does not verify/);
    // NODE_EXTRA_CA_CERTS still counts, though the launcher moves it aside so that Node does not
    // load it at every start: through the executable's #! line, and as the launcher passes it on.
    const extra = { PERFSCOPE_PASSWORD: PASS };
    const args = ['--connect', url, '--json', '--count', '1', '--user', USER];
    const viaLauncher = await run(args, { ...extra, NODE_EXTRA_CA_CERTS: join(dir, 'tls/cert.pem') }, 30_000, true);
    expect(viaLauncher.stderr).toBe('');
    expect(viaLauncher.code).toBe(0);
    expect(viaLauncher.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    const passedOn = await run(args, { ...extra, PERFSCOPE_NODE_EXTRA_CA_CERTS: join(dir, 'tls/cert.pem') });
    expect(passedOn.code).toBe(0);
    const unreadable = await run(args, { ...extra, PERFSCOPE_NODE_EXTRA_CA_CERTS: join(dir, 'no-such.pem') });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/^perfscope: warning: NODE_EXTRA_CA_CERTS .*no-such\.pem: no such file: left out, the system's CAs only\n/);
    await stop(r);
  }, 90_000);
});
