// tracefs for the feeds' per-syscall tracepoints (syscalls:sys_enter_execve, ...).
//
// libbpf attaches a SEC("tracepoint/...") program by reading the tracepoint's id from
// <tracefs>/events/<category>/<name>/id (under /sys/kernel/debug/tracing when debugfs is
// mounted, else /sys/kernel/tracing). tracefs is not always mounted, so before loading a probe
// that has such programs, ensureTracefs() mounts it at /sys/kernel/tracing (needs root: the
// probes need it anyway). The mount is left in place (tracepoints stay attached through it and
// other tools may use it; it holds no state of ours).
//
// The exec, open and tcp objects carry two sets of syscall hooks: the per-syscall tracepoints
// (`tracepoint/syscalls/...`, run by the kernel only for their syscall) and a fallback on the
// raw `tp_btf/sys_enter` / `tp_btf/sys_exit` (run for every syscall of the host, bail out on
// the number; needs no tracefs). chooseSyscallHooks() keeps one set before load: the
// tracepoints when tracefs is (or can be) mounted, else the fallback, with the reason.
// ensureTracefsAsync() and chooseSyscallHooksAsync() do the same without blocking the event
// loop while mount(8) runs.
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TRACEFS_DIR = '/sys/kernel/tracing';
const DEBUGFS_TRACING_DIR = '/sys/kernel/debug/tracing';

/** Which syscall hooks a probe loads: 'auto' = tracepoints when tracefs can be used, else tp_btf. */
export type SyscallHooksChoice = 'auto' | 'tp_btf';
export type SyscallHooks = 'tracepoint' | 'tp_btf';

const MOUNT_ARGS = ['-t', 'tracefs', 'nodev', TRACEFS_DIR];
const MOUNT_TIMEOUT_MS = 5000;
const MOUNT = Symbol('mount');

/** Before mounting: null when the events are there, why tracefs cannot be mounted, or MOUNT. */
function tracefsBeforeMount(): string | null | typeof MOUNT {
  // libbpf prefers the debugfs path when it exists (an automount point for tracefs).
  if (existsSync(`${DEBUGFS_TRACING_DIR}/events`) || existsSync(`${TRACEFS_DIR}/events`)) return null;
  if (!existsSync(TRACEFS_DIR)) return `${TRACEFS_DIR} does not exist (kernel without tracefs)`;
  return MOUNT;
}

/** How mount(8) ended, as spawnSync reports it (error: it could not run, or timed out). */
type MountRun = Pick<SpawnSyncReturns<string>, 'error' | 'status' | 'stdout' | 'stderr'>;

/** After mount(8): null when the events are there now, else why not. */
function tracefsAfterMount(r: MountRun): string | null {
  if (r.error) return `cannot run mount: ${r.error.message}`;
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n')[0] || `exit status ${r.status}`;
    return `mount -t tracefs nodev ${TRACEFS_DIR} failed: ${why}`;
  }
  if (!existsSync(`${TRACEFS_DIR}/events`)) return `tracefs mounted at ${TRACEFS_DIR} has no events/`;
  return null;
}

/** mount(8) without blocking the event loop; the outcome in spawnSync's terms. */
function mountAsync(): Promise<MountRun> {
  return new Promise((resolve) => {
    execFile('mount', MOUNT_ARGS, { encoding: 'utf8', timeout: MOUNT_TIMEOUT_MS }, (e, stdout, stderr) => {
      if (!e) resolve({ status: 0, stdout, stderr });
      // A string code: it did not run (ENOENT, EACCES, ...); killed: by the timeout.
      else if (typeof e.code === 'string') resolve({ error: e, status: null, stdout, stderr });
      else if (e.killed) resolve({ error: Object.assign(new Error('spawn mount ETIMEDOUT'), { code: 'ETIMEDOUT' }), status: null, stdout, stderr });
      else resolve({ status: typeof e.code === 'number' ? e.code : null, stdout, stderr });
    });
  });
}

/**
 * Make tracefs usable by libbpf: null when its events are there (mounting tracefs at
 * /sys/kernel/tracing if they were not), else why not.
 */
export function ensureTracefs(): string | null {
  const before = tracefsBeforeMount();
  if (before !== MOUNT) return before;
  return tracefsAfterMount(spawnSync('mount', MOUNT_ARGS, { encoding: 'utf8', timeout: MOUNT_TIMEOUT_MS }));
}

/** ensureTracefs() with mount(8) run asynchronously (same timeout, same reasons). */
export async function ensureTracefsAsync(): Promise<string | null> {
  const before = tracefsBeforeMount();
  if (before !== MOUNT) return before;
  return tracefsAfterMount(await mountAsync());
}

/**
 * The tracing directory libbpf reads tracepoint ids from (the debugfs one when it is there, as
 * libbpf prefers it), for reading available_events and formats; null when neither has events/.
 */
export function tracingDir(): string | null {
  if (existsSync(`${DEBUGFS_TRACING_DIR}/events`)) return DEBUGFS_TRACING_DIR;
  if (existsSync(`${TRACEFS_DIR}/events`)) return TRACEFS_DIR;
  return null;
}

/** A per-syscall tracepoint program (needs tracefs to attach). */
export function isSyscallTracepoint(section: string): boolean {
  return section.startsWith('tracepoint/syscalls/') || section.startsWith('tp/syscalls/');
}

/** A raw syscall tracepoint program: the fallback for the per-syscall ones. */
export function isRawSyscallHook(section: string): boolean {
  return /^tp_btf\/sys_(enter|exit)$/.test(section);
}

export interface HookChoice {
  hooks: SyscallHooks;
  /** Why the fallback is used (null with the tracepoints). */
  reason: string | null;
}

interface ProgramSet {
  programs(): { name: string; section: string }[];
  setAutoload(prog: string, on: boolean): unknown;
}

/** Has the object per-syscall tracepoint programs (so a set of syscall hooks to choose)? */
function hasSyscallTracepoints(obj: ProgramSet): boolean {
  return obj.programs().some((p) => isSyscallTracepoint(p.section));
}

/** Keep the tracepoints when tracefs is usable (reason null), else the tp_btf fallback. */
function keepSyscallHooks(obj: ProgramSet, reason: string | null): HookChoice {
  const hooks: SyscallHooks = reason === null ? 'tracepoint' : 'tp_btf';
  for (const p of obj.programs()) {
    if (isSyscallTracepoint(p.section)) obj.setAutoload(p.name, hooks === 'tracepoint');
    else if (isRawSyscallHook(p.section)) obj.setAutoload(p.name, hooks === 'tp_btf');
  }
  return { hooks, reason };
}

const TP_BTF_ASKED = 'tp_btf asked for';

/**
 * Before load: keep the per-syscall tracepoint programs and skip the tp_btf/sys_enter|sys_exit
 * ones, or the reverse when tracefs cannot be used (or 'tp_btf' is asked for). null when the
 * object has no per-syscall tracepoint program (nothing to choose; its programs load as they are).
 */
export function chooseSyscallHooks(obj: ProgramSet, choice: SyscallHooksChoice = 'auto'): HookChoice | null {
  if (!hasSyscallTracepoints(obj)) return null;
  return keepSyscallHooks(obj, choice === 'tp_btf' ? TP_BTF_ASKED : ensureTracefs());
}

/** chooseSyscallHooks() with ensureTracefsAsync(). */
export async function chooseSyscallHooksAsync(obj: ProgramSet, choice: SyscallHooksChoice = 'auto'): Promise<HookChoice | null> {
  if (!hasSyscallTracepoints(obj)) return null;
  return keepSyscallHooks(obj, choice === 'tp_btf' ? TP_BTF_ASKED : await ensureTracefsAsync());
}
