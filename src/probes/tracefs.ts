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
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TRACEFS_DIR = '/sys/kernel/tracing';
const DEBUGFS_TRACING_DIR = '/sys/kernel/debug/tracing';

/** Which syscall hooks a probe loads: 'auto' = tracepoints when tracefs can be used, else tp_btf. */
export type SyscallHooksChoice = 'auto' | 'tp_btf';
export type SyscallHooks = 'tracepoint' | 'tp_btf';

/**
 * Make tracefs usable by libbpf: null when its events are there (mounting tracefs at
 * /sys/kernel/tracing if they were not), else why not.
 */
export function ensureTracefs(): string | null {
  // libbpf prefers the debugfs path when it exists (an automount point for tracefs).
  if (existsSync(`${DEBUGFS_TRACING_DIR}/events`) || existsSync(`${TRACEFS_DIR}/events`)) return null;
  if (!existsSync(TRACEFS_DIR)) return `${TRACEFS_DIR} does not exist (kernel without tracefs)`;
  const r = spawnSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS_DIR], { encoding: 'utf8', timeout: 5000 });
  if (r.error) return `cannot run mount: ${r.error.message}`;
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n')[0] || `exit status ${r.status}`;
    return `mount -t tracefs nodev ${TRACEFS_DIR} failed: ${why}`;
  }
  if (!existsSync(`${TRACEFS_DIR}/events`)) return `tracefs mounted at ${TRACEFS_DIR} has no events/`;
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

/**
 * Before load: keep the per-syscall tracepoint programs and skip the tp_btf/sys_enter|sys_exit
 * ones, or the reverse when tracefs cannot be used (or 'tp_btf' is asked for). null when the
 * object has no per-syscall tracepoint program (nothing to choose; its programs load as they are).
 */
export function chooseSyscallHooks(obj: ProgramSet, choice: SyscallHooksChoice = 'auto'): HookChoice | null {
  const progs = obj.programs();
  if (!progs.some((p) => isSyscallTracepoint(p.section))) return null;
  const reason = choice === 'tp_btf' ? 'tp_btf asked for' : ensureTracefs();
  const hooks: SyscallHooks = reason === null ? 'tracepoint' : 'tp_btf';
  for (const p of progs) {
    if (isSyscallTracepoint(p.section)) obj.setAutoload(p.name, hooks === 'tracepoint');
    else if (isRawSyscallHook(p.section)) obj.setAutoload(p.name, hooks === 'tp_btf');
  }
  return { hooks, reason };
}
