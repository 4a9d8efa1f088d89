// A crafted recording (valid CRCs, hostile strings in comm, argv, file names, histogram labels,
// the header; strings in run-queue slots; a record that is not JSON) replayed in a real terminal
// leaves the terminal's title and colours as they were and shows the hostile text escaped; its
// replay --json holds no raw C0, C1 or bidi character; the bad records are skipped and counted;
// messages quote a hostile file name or flag escaped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { craftRecording, EVIL_SHOWN } from './crafted.js';
import { alive, BIN, PROMPT_RE, TmuxSession, waitExit } from './tmux.js';

const DIR = mkdtempSync(join(tmpdir(), 'perfscope-crafted-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

let evil = '';
let records = 0;
function crafted(): string {
  if (evil) return evil;
  const base = join(DIR, 'base.psrec');
  const r = run(['record', '-o', base, '--no-bpf', '-i', '0.3', '--duration', '2.4s']);
  expect(r.status, r.stderr).toBe(0);
  evil = join(DIR, 'evil.psrec');
  records = craftRecording(base, evil).records;
  return evil;
}

describe('a crafted recording', () => {
  it('replay --json: escaped as live --json, bad records skipped and counted in one line, exit 0', () => {
    const file = crafted();
    const r = run(['replay', file, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(records - 2);
    expect(RAW.test(r.stdout)).toBe(false);
    // The hostile strings are there, escaped as live decoding escapes them (JSON doubles each backslash).
    expect(r.stdout).toContain(JSON.stringify(EVIL_SHOWN));
    expect(r.stderr.trim().split('\n')).toEqual([
      `perfscope: ${file}: skipped 2 of ${records} records, not of the recorded format (record 2: runqlat.all[3]: not a number)`,
    ]);
  });

  it('messages quote untrusted file names and flags escaped, in one line', () => {
    const missing = run(['replay', join(DIR, 'no\x1b]2;PWNED\x07\u009b.psrec')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`perfscope: ${join(DIR, 'no\\e]2;PWNED\\a\\u{9b}.psrec')}: no such file\n`);
    const flag = run(['--probes', 'x\x1b]2;PWNED\x07', '--json']);
    expect(flag.status).toBe(2);
    expect(flag.stderr.trim().split('\n')).toHaveLength(1);
    expect(RAW.test(flag.stderr.trimEnd())).toBe(false);
    expect(flag.stderr).toContain('x\\e]2;PWNED\\a');
  });

  describe('in a terminal', () => {
    let session: TmuxSession | null = null;
    let pid = 0;
    afterEach(() => {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      pid = 0;
      session?.kill();
      session = null;
    });

    it('leaves the pane title and colours as they were, shows the hostile text escaped', async () => {
      const file = crafted();
      const s = (session = new TmuxSession(160, 48));
      await s.waitScreen((x) => PROMPT_RE.test(x), 'the shell prompt', 10_000);
      s.tmux('select-pane', '-t', 't', '-T', 'before-replay');
      const title = s.display('#{pane_title}');
      expect(title).toBe('before-replay');
      s.start(['replay', file]);
      pid = await s.perfscopePid();
      await s.waitScreen((x) => /replay /.test(x.split('\n')[0]), 'the replay header', 45_000);
      // Every record shown once, then the end: pause at the last one.
      await s.waitScreen((x) => /replay end/.test(x.split('\n')[0]), 'the end of the replay', 30_000);
      const screen = s.capture();
      expect(screen).toContain('\\e]2;PWNED\\a');
      expect(screen).toMatch(/skipped 2 of \d+ records/);
      expect(s.display('#{pane_title}')).toBe(title);
      s.keys('q');
      expect(await waitExit(pid)).toBe(true);
      await s.waitScreen((x) => PROMPT_RE.test(x) && s.display('#{alternate_on}') === '0', 'the shell on the main screen', 15_000);
      expect(s.display('#{pane_title}')).toBe(title);
      const raw = s.raw().toString('utf8');
      // Nothing but perfscope's own sequences reached the terminal: no OSC (title, palette), no
      // DCS/APC, no 8-bit C1, none of the crafted colours.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
      expect(raw).not.toMatch(/\x1b[\]P_^X]|[\u0080-\u009f]/);
      expect(raw).not.toContain('\x1b[38;2;1;2;3m');
      expect(raw).not.toContain('\x1b[48;5;201m');
      expect(raw).not.toContain('\x1b[41m');
      expect(raw).not.toContain('\u202e');
    });
  });
});
