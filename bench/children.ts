// Every process the bench starts is in its own process group and on this list, so that any exit
// — normal, an error, Ctrl-C — can end them all. Each is also wrapped in `timeout` (or bounded by
// its own count), so even a SIGKILL of the bench leaves nothing running for long.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();
const cleanups: (() => void)[] = [];

export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { ...opts, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Resolves with the exit code (or null on a signal) when the child has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* already gone */
  }
}

/** Ask a child's whole group to stop with `sig`, then SIGKILL it after `graceMs`. */
export async function stopChild(child: ChildProcess, sig: NodeJS.Signals = 'SIGINT', graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL'); // anything it left behind in its group
    return;
  }
  killGroup(child, sig);
  const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), graceMs).unref());
  if ((await Promise.race([exited(child), timer])) === 'late') {
    killGroup(child, 'SIGKILL');
    await exited(child);
  }
  killGroup(child, 'SIGKILL');
}

/** Run at exit, in reverse order of registration (synchronous: also runs from signal handlers). */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}

let cleaned = false;
/** SIGKILL every child group, then run the cleanups. Synchronous and idempotent. */
export function cleanupAll(): void {
  if (cleaned) return;
  cleaned = true;
  for (const c of live) killGroup(c, 'SIGKILL');
  live.clear();
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch {
      /* keep cleaning */
    }
  }
}

/** A short synchronous command; returns its output, or null when it failed. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error.message) : '') };
}
