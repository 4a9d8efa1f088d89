// The real perfscope binary in a real terminal (tmux, own socket) at 80x24 and 160x48: first
// frame, keys (toggle a probe off and on and check its BPF programs really go and come back,
// pin a CPU, help, pause, focus), bytes written per second, and every way out — q, SIGHUP,
// SIGTERM, SIGKILL — leaving the terminal restored and nothing of perfscope loaded in the kernel.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { heldProgramIds, loadedPrograms, noBpf, waitUnloaded } from '../helpers/bpf.js';
import { PROMPT_RE, ROOT, TmuxSession, alive, sleep, statusSays, waitExit } from './tmux.js';

const LEAVE_ALT = '\x1b[?1049l';
const ENTER_ALT = '\x1b[?1049h';
let session: TmuxSession | null = null;
let perfscope = 0;

afterEach(() => {
  if (perfscope && alive(perfscope)) process.kill(perfscope, 'SIGKILL');
  perfscope = 0;
  session?.kill();
  session = null;
});

/** Program ids and names held by a process. */
function held(pid: number): Map<number, string> {
  const ids = heldProgramIds(pid);
  const names = new Map(loadedPrograms().map((p) => [p.id, p.name ?? '']));
  return new Map(ids.map((id) => [id, names.get(id) ?? '?']));
}

// The off-CPU table (the grid) or its line in the overview (the first tab at 80x24).
const firstFrame = (s: string) =>
  /perfscope|pin all/.test(s) &&
  statusSays(s, 'proc', 'on') &&
  statusSays(s, 'offcpu', 'on') &&
  (/CPU +PID/.test(s) || /worst CPU\d|no task went off-CPU/.test(s));

async function launch(columns: number, rows: number, args: string[] = [], env = '', ready = firstFrame): Promise<TmuxSession> {
  session = new TmuxSession(columns, rows);
  await session.waitScreen((s) => PROMPT_RE.test(s), 'the shell prompt', 10_000);
  session.start(args, env);
  perfscope = await session.perfscopePid();
  await session.waitScreen(ready, 'the first full frame', 45_000);
  return session;
}

/**
 * After perfscope is gone: the shell is back on the main screen with the cursor shown, and
 * perfscope wrote no frame outside the alternate screen. That is judged from the bytes it wrote
 * (the pane's raw output): the main screen tmux shows can hold rows of the alternate screen
 * after resizes made while it was on (tmux 3.3's reflow pulls them back from the history when
 * it restores the main screen; seen under load), which no byte of perfscope's put there.
 */
async function expectRestored(s: TmuxSession): Promise<void> {
  const screen = await s.waitScreen((x) => PROMPT_RE.test(x) && s.display('#{alternate_on}') === '0', 'the shell on the main screen', 15_000);
  const lines = screen.split('\n');
  // From the line that started it (the whole screen when that has scrolled off or wrapped).
  const started = Math.max(
    0,
    lines.findIndex((l) => l.includes('bin/perfscope.js')),
  );
  expect(lines.slice(started).join('\n')).not.toContain('Off-CPU maxima');
  expect(s.display('#{alternate_on}')).toBe('0');
  expect(s.display('#{cursor_flag}')).toBe('1');
  const raw = s.raw().toString('utf8');
  const enter = raw.indexOf(ENTER_ALT);
  const leave = raw.lastIndexOf(LEAVE_ALT);
  expect(enter).toBeGreaterThanOrEqual(0);
  expect(leave).toBeGreaterThan(raw.lastIndexOf(ENTER_ALT));
  // Before the alternate screen and after it: the shell's own bytes only, no frame.
  for (const outside of [raw.slice(0, enter), raw.slice(leave)]) expect(outside).not.toMatch(/Off-CPU|pin all|╭/);
}

async function expectAllUnloaded(ids: Iterable<number>): Promise<void> {
  const all = [...ids];
  expect(all.length).toBeGreaterThan(0);
  expect(await waitUnloaded(all, 10_000)).toEqual([]);
}

describe.skipIf(noBpf)('perfscope in a terminal', () => {
  it('80x24: first frame, keys, bytes per second, q restores the terminal and unloads everything', async () => {
    const s = await launch(80, 24);
    const seen = new Set<number>();
    let h = held(perfscope);
    h.forEach((_, id) => seen.add(id));
    const names = [...h.values()];
    for (const n of ['ps_sched_switch', 'ps_exec_exit']) expect(names).toContain(n);
    expect(names.every((n) => n.startsWith('ps_'))).toBe(true);

    // The first screen is the overview: a heading and a line of its own from every running probe.
    const overview = await s.waitScreen(
      (x) => /worst CPU\d/.test(x) && /p99 /.test(x) && /\d+\/s/.test(x) && /cpu usr\/sys\/io all/.test(x),
      'the overview with every probe',
    );
    expect(overview).toContain('[overview]');
    for (const p of ['offcpu', 'runqlat', 'exec', 'open', 'tcp', 'counters']) expect(overview).toMatch(new RegExp(`│${p} +on `));
    s.keys('Tab');
    await s.waitScreen((x) => x.includes('[offcpu]') && /CPU +PID/.test(x), 'the off-CPU pane');

    // Bytes written to the terminal per second, steady state, all probes on, the default pane
    // (off-CPU) shown.
    const b0 = s.raw().length;
    const t0 = Date.now();
    await sleep(10_000);
    const bytesPerS = ((s.raw().length - b0) * 1000) / (Date.now() - t0);
    writeFileSync(`${ROOT}/build/e2e-bytes-per-second.txt`, `${Math.round(bytesPerS)}\n`);
    console.log(`perfscope at 80x24: ${Math.round(bytesPerS)} bytes/s written to the terminal over 10 s`);
    expect(bytesPerS).toBeGreaterThan(50); // it does redraw
    expect(bytesPerS).toBeLessThan(6000); // little output: incremental, no per-frame spinner

    // 3 switches exec off: its programs are detached and unloaded; 3 again brings them back.
    const execIds = [...h].filter(([, n]) => n.startsWith('ps_exec')).map(([id]) => id);
    s.keys('3');
    await s.waitScreen((x) => statusSays(x, 'exec', 'off'), 'exec off in the status line');
    h = held(perfscope);
    expect([...h.values()].filter((n) => n.startsWith('ps_exec'))).toEqual([]);
    expect(await waitUnloaded(execIds, 10_000)).toEqual([]);
    expect([...h.values()]).toContain('ps_sched_switch'); // the others stay
    s.keys('3');
    const onScreen = await s.waitScreen((x) => statusSays(x, 'exec', 'on'), 'exec on again');
    h = held(perfscope);
    h.forEach((_, id) => seen.add(id));
    const back = [...h].filter(([, n]) => n.startsWith('ps_exec'));
    expect(back.map(([, n]) => n).sort(), `held: ${JSON.stringify([...h])}\n${onScreen}`).toEqual(['ps_exec_exit']);
    expect(back.some(([id]) => execIds.includes(id))).toBe(false); // freshly loaded

    // Pin CPU 1 (] goes to the first online CPU, then the next).
    s.keys(']');
    await s.waitScreen((x) => /pin CPU 0/.test(x), 'pin CPU 0');
    s.keys(']');
    let screen = await s.waitScreen((x) => /pin CPU 1/.test(x) && /Off-CPU maxima \(CPU 1\)/.test(x), 'pin CPU 1 in the header and the pane');
    expect(screen.split('\n')[0]).toContain('pin CPU 1');
    s.keys('a');
    await s.waitScreen((x) => /pin all/.test(x), 'pin all');

    // Help overlay.
    s.keys('?');
    screen = await s.waitScreen((x) => x.includes('perfscope keys'), 'the help overlay');
    expect(screen).toContain('pause / resume');
    s.keys('?');
    await s.waitScreen((x) => !x.includes('perfscope keys') && /CPU +PID/.test(x), 'help closed');

    // Pause and resume.
    s.keys('Space');
    screen = await s.waitScreen((x) => x.includes('PAUSED'), 'PAUSED');
    s.keys('Space');
    await s.waitScreen((x) => x.split('\n')[0].includes('live'), 'live again');

    // Tab shows the next pane large.
    s.keys('Tab');
    await s.waitScreen((x) => x.includes('[runqlat]') && x.includes('Run-queue latency'), 'the run-queue pane');

    s.keys('q');
    expect(await waitExit(perfscope)).toBe(true);
    await expectRestored(s);
    await expectAllUnloaded(seen);
  });

  it('160x48: several panes at once; re-laid out on resize; too small says the size needed', async () => {
    const s = await launch(160, 48);
    const screen = await s.waitScreen(
      (x) => ['Off-CPU maxima', 'Run-queue latency', 'Counters (/proc)', '│exec ', '│open ', '│tcp connect/accept '].every((t) => x.includes(t)),
      'all the panes',
    );
    expect(screen).not.toMatch(/unavailable|failed/);
    const ids = heldProgramIds(perfscope);
    s.keys('Tab'); // from the overview (the grid's top right) to the off-CPU pane
    s.tmux('resize-window', '-t', 't', '-x', '80', '-y', '24');
    await s.waitScreen((x) => x.includes('[offcpu]') && !x.includes('Counters (/proc)'), 'the tabbed layout after resize');
    s.tmux('resize-window', '-t', 't', '-x', '50', '-y', '12');
    await s.waitScreen((x) => x.includes('needs 60x16'), 'the too-small message');
    s.tmux('resize-window', '-t', 't', '-x', '160', '-y', '48');
    await s.waitScreen((x) => x.includes('Counters (/proc)') && x.includes('Off-CPU maxima'), 'the grid again');
    s.keys('q');
    expect(await waitExit(perfscope)).toBe(true);
    await expectRestored(s);
    await expectAllUnloaded(ids);
  });

  it('a resize burst (50 sizes in 5 s, too small among them) ends in a whole frame of the last size', async () => {
    const s = await launch(100, 30);
    const sizes = [
      [80, 24],
      [160, 48],
      [61, 17],
      [120, 40],
      [50, 12],
      [100, 30],
      [200, 60],
    ];
    for (let i = 0; i < 50; i++) {
      const [c, r] = sizes[i % sizes.length];
      s.tmux('resize-window', '-t', 't', '-x', String(c), '-y', String(r));
      await sleep(100);
    }
    s.tmux('resize-window', '-t', 't', '-x', '160', '-y', '48');
    // Every box line spans the width with its borders in place (a row left from another size
    // would not), the header is the first line, the grid's panes are all there.
    const whole = (x: string) => {
      const lines = x.split('\n');
      const boxes = lines.filter((l) => /^[╭│╰]/.test(l));
      return (
        /pin all/.test(lines[0]) &&
        boxes.length >= 40 &&
        boxes.every((l) => [...l].length === 160 && /[╮│╯]$/.test(l)) &&
        ['Off-CPU maxima', 'Run-queue latency', 'Counters (/proc)'].every((t) => x.includes(t))
      );
    };
    await s.waitScreen(whole, 'a whole 160x48 frame after the burst', 10_000);
    await sleep(2500); // and it stays whole through the next frames
    expect(whole(s.capture())).toBe(true);
    s.keys('q');
    expect(await waitExit(perfscope)).toBe(true);
    await expectRestored(s);
  });

  for (const sig of ['SIGHUP', 'SIGTERM'] as const) {
    it(`${sig}: the terminal is restored and every program unloaded`, async () => {
      const s = await launch(80, 24);
      const ids = heldProgramIds(perfscope);
      process.kill(perfscope, sig);
      expect(await waitExit(perfscope)).toBe(true);
      await expectRestored(s);
      await expectAllUnloaded(ids);
    });
  }

  it('ssh dropped (the terminal itself goes away): perfscope exits and unloads everything', async () => {
    const s = await launch(80, 24);
    const ids = heldProgramIds(perfscope);
    s.tmux('kill-pane', '-t', 't'); // closes the pty: SIGHUP, then EIO on every write
    expect(await waitExit(perfscope)).toBe(true);
    await expectAllUnloaded(ids);
  });

  it('an uncaught error: the terminal is restored, the error said in one line, everything unloaded', async () => {
    session = new TmuxSession(80, 24);
    const s = session;
    await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    // perfscope's own main() in a node that throws from a timer a few seconds later.
    const script = `const { main } = await import('${ROOT}/dist/cli/cli.js'); await main([]); setTimeout(() => { throw new Error('boom from a timer'); }, 6000);`;
    s.type(`node --input-type=module -e "${script}"; echo "exit=$?"`);
    s.keys('Enter');
    perfscope = await s.perfscopePid();
    await s.waitScreen(firstFrame, 'the first full frame', 45_000);
    const ids = heldProgramIds(perfscope);
    expect(await waitExit(perfscope, 30_000)).toBe(true);
    const screen = await s.waitScreen((x) => x.includes('exit=1'), 'the exit code', 15_000);
    expect(screen).toContain('perfscope: internal error: boom from a timer');
    await expectRestored(s);
    await expectAllUnloaded(ids);
  });

  it('SIGKILL: the kernel frees every program (fd-owned)', async () => {
    const s = await launch(80, 24);
    const ids = heldProgramIds(perfscope);
    process.kill(perfscope, 'SIGKILL');
    expect(await waitExit(perfscope)).toBe(true);
    await expectAllUnloaded(ids);
    // The process cannot restore anything; the shell is still there to run `reset`.
    await s.waitScreen(() => s.display('#{pane_current_command}') === 'bash', 'the shell back', 10_000);
  });

  /**
   * Runs perfscope with one feed, focuses that feed, filters it on "pwned", then calls `trigger`
   * (which makes the kernel see a string holding ESC ] 0;pwned BEL) until the escaped form is on
   * screen; the raw sequence must never have reached the terminal (nor its title).
   */
  async function showsEscaped(feed: 'exec' | 'open', tabs: number, trigger: () => void, shown: string): Promise<void> {
    const s = await launch(80, 24, ['--probes', `${feed},proc`], '', (x) => statusSays(x, feed, 'on') && statusSays(x, 'proc', 'on'));
    await s.press(...new Array<string>(tabs).fill('Tab'));
    await s.waitScreen((x) => x.includes(`[${feed}]`), `the ${feed} pane`);
    await s.press('/');
    s.type('pwned');
    await sleep(300);
    await s.press('Enter');
    await s.waitScreen((x) => x.includes('filter /pwned'), 'the filter');
    const end = Date.now() + 20_000;
    let screen = '';
    while (Date.now() < end) {
      trigger();
      await sleep(500);
      screen = s.capture();
      if (screen.includes('\\e]0;pwned\\a')) break;
    }
    expect(screen).toContain(shown);
    const raw = s.raw().toString('latin1');
    expect(raw).toContain('\\e]0;pwned');
    expect(raw).not.toContain('\x1b]0;pwned');
    expect(s.display('#{pane_title}')).not.toContain('pwned');
    const ids = heldProgramIds(perfscope);
    s.keys('q');
    expect(await waitExit(perfscope)).toBe(true);
    await expectRestored(s);
    await expectAllUnloaded(ids);
  }

  it('an exec whose argv holds ESC ] 0;pwned BEL is shown escaped, never written raw', async () => {
    // overview -> offcpu -> runqlat -> exec
    await showsEscaped('exec', 3, () => spawnSync('/bin/true', ['\x1b]0;pwned\x07', 'tail']), '\\e]0;pwned\\a tail');
  });

  it('a file whose name holds ESC ] 0;pwned BEL is shown escaped in the open feed, never written raw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perfscope-e2e-'));
    try {
      // overview -> offcpu -> runqlat -> exec -> open
      await showsEscaped('open', 4, () => writeFileSync(join(dir, '\x1b]0;pwned\x07.txt'), 'x'), '\\e]0;pwned\\a.txt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('NO_COLOR: no colour escape reaches the terminal', async () => {
    const s = await launch(80, 24, [], 'NO_COLOR=1');
    s.keys('Tab'); // the off-CPU pane, after the overview
    await sleep(2500);
    const ids = heldProgramIds(perfscope);
    s.keys('q');
    expect(await waitExit(perfscope)).toBe(true);
    const raw = s.raw().toString('latin1');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
    const colours = [...raw.matchAll(/\x1b\[([0-9;]*)m/g)].filter((m) =>
      m[1]
        .split(';')
        .map(Number)
        .some((p) => (p >= 30 && p <= 38) || (p >= 40 && p <= 48) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107)),
    );
    expect(raw).toContain('Off-CPU maxima');
    expect(colours.map((m) => JSON.stringify(m[0]))).toEqual([]);
    await expectAllUnloaded(ids);
  });
});

describe('perfscope in a terminal, not root', () => {
  it('proc works; the BPF panes say what they need', async () => {
    session = new TmuxSession(80, 24);
    await session.waitScreen((s) => PROMPT_RE.test(s), 'the shell prompt', 10_000);
    session.type(`setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all node ${ROOT}/bin/perfscope.js`);
    session.keys('Enter');
    perfscope = await session.perfscopePid();
    const screen = await session.waitScreen((x) => x.includes('needs root') && statusSays(x, 'proc', 'on'), 'the unavailable off-CPU pane');
    expect(screen).toMatch(/offcpu n\/a/);
    await session.press('Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab');
    await session.waitScreen((x) => x.includes('[counters]') && /load \d/.test(x), 'the counters');
    session.keys('q');
    expect(await waitExit(perfscope)).toBe(true);
    await expectRestored(session);
  });
});

// Keep tmux's own idea of the pane's command: make sure the binary exists before anything runs.
execFileSync('test', ['-f', `${ROOT}/dist/cli/cli.js`]);

describe('perfscope in a tiny or dumb terminal', () => {
  it('20x5: the one line of what it needs, whole; q still quits', async () => {
    session = new TmuxSession(20, 5);
    await session.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    session.start(['--no-bpf']);
    perfscope = await session.perfscopePid();
    await session.waitScreen((x) => x.includes('needs 60x16, is 20x5'), 'the too-small line');
    session.keys('q');
    expect(await waitExit(perfscope)).toBe(true);
    await expectRestored(session);
  });

  it('TERM=dumb: one line on stderr, exit 2, the screen untouched', async () => {
    session = new TmuxSession(80, 24);
    await session.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
    session.type(`TERM=dumb node ${ROOT}/bin/perfscope.js; echo "exit=$?"`);
    session.keys('Enter');
    const screen = await session.waitScreen((x) => /^exit=\d/m.test(x), 'the exit code', 20_000);
    expect(screen).toMatch(/^exit=2$/m);
    expect(screen).toMatch(/^perfscope: TERM=dumb cannot draw the screen/m);
    expect(session.display('#{alternate_on}')).toBe('0');
    expect(session.raw().toString('latin1')).not.toContain(ENTER_ALT);
  });
});
