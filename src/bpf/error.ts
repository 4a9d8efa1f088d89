// Errors of the BPF layer: every failure of the addon becomes a BpfError that carries errno,
// code and the stage it happened at (open, load, attach, read, write, addon), plus the tail of
// libbpf's log. describeError() turns any start failure into the one line a pane shows.

export type BpfStage = 'open' | 'load' | 'attach' | 'read' | 'write' | 'addon';

export class BpfError extends Error {
  constructor(
    message: string,
    readonly errno: number,
    readonly code: string,
    readonly stage: BpfStage,
    readonly log?: string,
  ) {
    super(message);
    this.name = 'BpfError';
  }
}

/** Anything the addon threw, as a BpfError (errors without errno pass through). */
export function asBpfError(e: unknown): unknown {
  if (e instanceof BpfError) return e;
  const err = e as Error & { errno?: number; code?: string; stage?: BpfStage; log?: string };
  if (err && typeof err.errno === 'number') return new BpfError(err.message, err.errno, err.code ?? 'EUNKNOWN', err.stage ?? 'read', err.log);
  return e;
}

/** Run an addon call, rethrowing what it throws as a BpfError. */
export function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asBpfError(e);
  }
}

/** wrap() for a promise: rejects with a BpfError where wrap() would throw one. */
export async function wrapAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asBpfError(e);
  }
}

/** A one-line reason for a failed start, shown in the probe's pane and in --json. */
export function describeError(e: unknown): string {
  if (e instanceof BpfError) {
    if (e.code === 'EPERM' || e.code === 'EACCES') return `${e.stage}: permission denied (needs root, CAP_BPF and CAP_PERFMON)`;
    return `${e.stage}: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}
