// Can BPF probes run here at all? Asked once, before any probe starts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { addon, ADDON_PATH } from './addon.js';

const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/**
 * Why BPF probes cannot run here, or null when they can: capabilities (root, or CAP_BPF and
 * CAP_PERFMON), kernel BTF, and the addon. Checked once, before any probe is started.
 */
export function bpfUnavailableReason(procRoot = '/proc', btfPath = '/sys/kernel/btf/vmlinux'): string | null {
  let capEff = 0n;
  try {
    const status = readFileSync(path.join(procRoot, 'self', 'status'), 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(status);
    if (m) capEff = BigInt('0x' + m[1]);
  } catch {
    /* unknown: try anyway */
    capEff = -1n;
  }
  const has = (c: bigint) => capEff === -1n || ((capEff >> c) & 1n) === 1n;
  if (!(has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON)))) return 'needs root (CAP_BPF and CAP_PERFMON)';
  if (!existsSync(btfPath)) return 'kernel lacks BTF (/sys/kernel/btf/vmlinux)';
  if (!existsSync(ADDON_PATH)) return 'native addon not built (run ./dev start)';
  try {
    addon();
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}
