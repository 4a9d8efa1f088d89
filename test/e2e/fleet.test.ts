// The remote screen (perfscope --connect URL) and the fleet screen (perfscope fleet) in a real
// terminal (tmux, own sockets) at 80x24 and 160x48, against real perfscopes on loopback (no
// BPF) and a real Prometheus scraping them: the first frames, the keys (pause; probe toggles
// ignored on a remote; sort, filter, select and Enter on the fleet, which opens the remote
// screen and comes back on q), a remote that goes away and comes back, a Prometheus that is
// down, resize, and q leaving the terminal as it was.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, PROMPT_RE, TmuxSession, alive, sleep, statusSays, waitExit } from './tmux.js';

const HOST = '127.0.0.1';
const DIR = mkdtempSync(join(tmpdir(), 'perfscope-fleet-e2e-'));
const children = new Set<ChildProcess>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, f: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await f()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: HOST, port, path, agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** A headless perfscope --listen on `port` (no BPF). */
async function remote(port: number): Promise<ChildProcess> {
  const c = spawn(process.execPath, [BIN, '--listen', `${HOST}:${port}`, '--no-screen', '--no-bpf', '-i', '0.5'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(c);
  let err = '';
  c.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await waitFor('the remote to listen', () => err.includes('serving http://'), 20_000);
  return c;
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await gone;
}

const ports: number[] = [];
const remotes: ChildProcess[] = [];
let promPort = 0;

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const p = await freePort();
    ports.push(p);
    remotes.push(await remote(p));
  }
  promPort = await freePort();
  writeFileSync(
    join(DIR, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: perfscope\n    static_configs:\n      - targets: [${ports.map((p) => `'${HOST}:${p}'`).join(', ')}]\n`,
  );
  const prom = spawn(
    'prometheus',
    [
      `--config.file=${join(DIR, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(DIR, 'data')}`,
      `--web.listen-address=${HOST}:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore' },
  );
  children.add(prom);
  await waitFor('Prometheus ready', async () => (await get(promPort, '/-/ready')).status === 200, 30_000);
  await waitFor(
    'both instances scraped',
    async () =>
      JSON.parse((await get(promPort, `/api/v1/query?query=${encodeURIComponent('count(perfscope_intervals_total)')}`)).body).data.result[0]?.value[1] === '2',
    30_000,
  );
}, 90_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(DIR, { recursive: true, force: true });
});

let session: TmuxSession | null = null;
let pid = 0;
afterEach(() => {
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  pid = 0;
  session?.kill();
  session = null;
});

/** q, then: the process is gone, the shell is back on the main screen with its cursor, the last alternate-screen switch is the way out. */
async function quitRestores(s: TmuxSession, p: number): Promise<void> {
  s.keys('q');
  expect(await waitExit(p)).toBe(true);
  await s.waitScreen((x) => PROMPT_RE.test(x) && s.display('#{alternate_on}') === '0', 'the shell on the main screen', 15_000);
  expect(s.display('#{cursor_flag}')).toBe('1');
  const raw = s.raw().toString('latin1');
  expect(raw.lastIndexOf('\x1b[?1049l')).toBeGreaterThan(raw.lastIndexOf('\x1b[?1049h'));
}

const header = (x: string) => x.split('\n')[0];

describe('the remote screen: perfscope --connect URL', () => {
  it('80x24: the remote live; space pauses; toggles ignored; the remote going away shows DOWN and it reconnects; resize to 160x48; q restores', async () => {
    const port = await freePort();
    let r = await remote(port);
    const s = (session = new TmuxSession(80, 24, {}, 'fleet-e2e'));
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    s.start(['--connect', `http://${HOST}:${port}`]);
    pid = await s.perfscopePid();
    let screen = await s.waitScreen((x) => /│ remote$/.test(header(x).trimEnd()) && statusSays(x, 'proc', 'on'), 'the remote screen', 30_000);
    expect(header(screen)).not.toContain('live');
    s.keys('Space');
    await s.waitScreen((x) => header(x).includes('PAUSED remote'), 'PAUSED');
    s.keys('Space');
    await s.waitScreen((x) => /│ remote\s*$/.test(header(x)), 'unpaused');
    // A probe toggle does not reach the remote: proc stays on.
    s.keys('3');
    await sleep(1500);
    expect(statusSays(s.capture(), 'proc', 'on')).toBe(true);
    // The remote goes away: DOWN and the reason; it comes back on the same port: connected again.
    await stop(r);
    screen = await s.waitScreen((x) => header(x).includes('remote DOWN') && x.includes('disconnected'), 'DOWN', 30_000);
    r = await remote(port);
    await s.waitScreen((x) => /│ remote\s*$/.test(header(x)) && !x.includes('disconnected'), 'reconnected', 30_000);
    s.tmux('resize-window', '-t', 't', '-x', '160', '-y', '48');
    await s.waitScreen((x) => x.split('\n').length >= 48 && /│ remote\s*$/.test(header(x)) && header(x).length > 100, 'the 160x48 frame', 20_000);
    await quitRestores(s, pid);
    await stop(r);
  }, 120_000);

  it('160x48: the first frame names the remote host; q restores', async () => {
    const s = (session = new TmuxSession(160, 48, {}, 'fleet-e2e'));
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    s.start(['--connect', `http://${HOST}:${ports[0]}`]);
    pid = await s.perfscopePid();
    await s.waitScreen((x) => /│ remote\s*$/.test(header(x)) && statusSays(x, 'proc', 'on'), 'the remote screen', 30_000);
    await quitRestores(s, pid);
  }, 60_000);
});

describe('the fleet screen: perfscope fleet --prometheus URL', () => {
  const inst = (i: number) => `${HOST}:${ports[i]}`;

  it('160x48: both hosts; sort, filter, select; Enter opens the remote screen and q comes back; resize to 80x24; q restores', async () => {
    const s = (session = new TmuxSession(160, 48, {}, 'fleet-e2e'));
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    s.start(['fleet', '--prometheus', `http://${HOST}:${promPort}`, '-i', '1']);
    pid = await s.perfscopePid();
    let screen = await s.waitScreen((x) => x.includes(inst(0)) && x.includes(inst(1)) && x.includes('updated'), 'both hosts', 30_000);
    expect(header(screen)).toContain('perfscope fleet');
    expect(screen).toMatch(/CPU%▼/);
    // > sorts by the next column (run-queue p99), < back, r reverses.
    await s.press('>');
    await s.waitScreen((x) => x.includes('RQ p99▼'), 'sorted by RQ p99');
    await s.press('<', '<', '<', '<');
    screen = await s.waitScreen((x) => x.includes('HOST▲'), 'sorted by host');
    expect(screen.indexOf(inst(0)) < screen.indexOf(inst(1))).toBe(inst(0) < inst(1));
    // The filter: only the second host.
    await s.press('/');
    s.type(String(ports[1]));
    await s.press('Enter');
    screen = await s.waitScreen((x) => x.includes(inst(1)) && !x.includes(`${inst(0)} `) && header(x).includes('1/2 hosts'), 'filtered to one host');
    // Enter: that host's live screen, then q comes back to the fleet.
    s.keys('Enter');
    await s.waitScreen((x) => /│ remote\s*$/.test(header(x)) && statusSays(x, 'proc', 'on'), 'the remote screen of the selected host', 30_000);
    s.keys('q');
    await s.waitScreen((x) => header(x).includes('perfscope fleet') && x.includes(inst(1)), 'the fleet again', 20_000);
    expect(alive(pid)).toBe(true);
    // Esc while not typing clears the filter.
    s.keys('Escape');
    await s.waitScreen((x) => x.includes(inst(0)) && x.includes(inst(1)), 'both hosts again');
    s.tmux('resize-window', '-t', 't', '-x', '80', '-y', '24');
    screen = await s.waitScreen((x) => x.includes(inst(0)) && x.split('\n').every((l) => l.length <= 80) && !x.includes('ISO cpu'), 'the 80x24 frame');
    expect(screen).toContain('CPU%');
    await quitRestores(s, pid);
  }, 120_000);

  it('80x24: a Prometheus that is down is one line on the screen, and the screen still answers keys; q restores', async () => {
    const dead = await freePort();
    const s = (session = new TmuxSession(80, 24, {}, 'fleet-e2e'));
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    s.start(['fleet', '--prometheus', `http://${HOST}:${dead}`, '-i', '1']);
    pid = await s.perfscopePid();
    await s.waitScreen((x) => x.includes('connection refused; retrying in 1 s'), 'the error line', 30_000);
    await s.press('?');
    await s.waitScreen((x) => x.includes('perfscope fleet: keys'), 'the help');
    await s.press('?');
    await s.waitScreen((x) => x.includes('connection refused'), 'the error line again');
    await quitRestores(s, pid);
  }, 60_000);
});
