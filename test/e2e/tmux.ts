// Drive the real perfscope binary in a real terminal: a tmux server on its own socket, one
// session running a plain shell, the pane's raw output recorded with pipe-pane.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/perfscope.js');
export const PROMPT = 'PSTEST$ ';
/** A shell prompt on the screen (ours, or bash's default if PS1 did not pass through). */
export const PROMPT_RE = /^(PSTEST\$|bash-[\d.]+[#$])/m;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TmuxSession {
  readonly socket: string;
  readonly dir: string;
  readonly rawFile: string;

  constructor(
    readonly columns: number,
    readonly rows: number,
    env: Record<string, string> = {},
    name = 'perfscope-test',
  ) {
    this.socket = `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'perfscope-e2e-'));
    // The configuration directory is open to the unprivileged user some tests run perfscope as.
    chmodSync(this.dir, 0o711);
    mkdirSync(path.join(this.dir, 'config'), { mode: 0o777 });
    chmodSync(path.join(this.dir, 'config'), 0o777);
    this.rawFile = path.join(this.dir, 'raw.out');
    // Each session has its own configuration directory: perfscope writes its configuration on
    // quit, and one test's must not become the next one's starting screen.
    const envArgs = Object.entries({ PS1: PROMPT, TERM: 'xterm-256color', XDG_CONFIG_HOME: path.join(this.dir, 'config'), ...env }).flatMap(([k, v]) => [
      '-e',
      `${k}=${v}`,
    ]);
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', 't', ...envArgs, 'bash --norc --noprofile');
    this.tmux('set-option', '-g', 'status', 'off');
    this.tmux('resize-window', '-t', 't', '-x', String(columns), '-y', String(rows));
    this.tmux('pipe-pane', '-t', 't', '-o', `cat >> ${this.rawFile}`);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  capture(): string {
    return this.tmux('capture-pane', '-p', '-t', 't');
  }

  display(fmt: string): string {
    return this.tmux('display-message', '-p', '-t', 't', fmt).trim();
  }

  /** Raw bytes the pane's programs wrote so far. */
  raw(): Buffer {
    return existsSync(this.rawFile) ? readFileSync(this.rawFile) : Buffer.alloc(0);
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 't', ...keys);
  }

  /** Press keys one at a time (Ink reads one key per input chunk). */
  async press(...keys: string[]): Promise<void> {
    for (const k of keys) {
      this.keys(k);
      await sleep(200);
    }
  }

  /** Type text literally (no key-name lookup). */
  type(text: string): void {
    this.tmux('send-keys', '-t', 't', '-l', text);
  }

  /** Poll the screen until `pred` holds; the last screen is in the error message otherwise. */
  async waitScreen(pred: (screen: string) => boolean, what: string, ms = 30_000): Promise<string> {
    const end = Date.now() + ms;
    let s = '';
    for (;;) {
      s = this.capture();
      if (pred(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
      await sleep(150);
    }
  }

  panePid(): number {
    return Number(this.display('#{pane_pid}'));
  }

  /** The perfscope node process: the pane shell's child. */
  async perfscopePid(ms = 20_000): Promise<number> {
    const end = Date.now() + ms;
    for (;;) {
      try {
        const out = execFileSync('pgrep', ['-P', String(this.panePid())], { encoding: 'utf8' }).trim();
        if (out) return Number(out.split('\n')[0]);
      } catch {
        /* not yet */
      }
      if (Date.now() > end) throw new Error('perfscope did not start');
      await sleep(100);
    }
  }

  start(args: string[] = [], env = ''): void {
    this.type(`${env}${env ? ' ' : ''}node ${BIN} ${args.join(' ')}`);
    this.keys('Enter');
  }

  kill(): void {
    let socketPath = '';
    try {
      socketPath = this.tmux('display-message', '-p', '#{socket_path}').trim();
      this.tmux('kill-server');
    } catch {
      /* already gone */
    }
    // The server does not always remove its socket when it is killed.
    rmSync(socketPath || path.join(`/tmp/tmux-${process.getuid?.() ?? 0}`, this.socket), { force: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitExit(pid: number, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await sleep(50);
  return !alive(pid);
}

/**
 * Does the status line say that probe `name` is in state `word` ("on", "off", "n/a", ...)? Either
 * as its own segment ("exec off") or, when the probes do not all fit, inside the group of its
 * state ("on: offcpu runqlat exec").
 */
export function statusSays(screen: string, name: string, word: string): boolean {
  const esc = (x: string) => x.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\b${esc(name)} ${esc(word)}(?=\\s|$)|${esc(word)}: [^│\\n]*\\b${esc(name)}\\b`, 'm').test(screen);
}
