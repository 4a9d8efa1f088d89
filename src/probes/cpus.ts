// Which CPUs are online, from /sys/devices/system/cpu/online ("0-3,5,7-8").
import { readFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';
import { escapeText } from './strings.js';

/** What parseCpuList throws for text that is not a CPU list. */
export class CpuListError extends Error {
  override readonly name = 'CpuListError';
}

/** No CPU number reaches this (Linux's NR_CPUS is at most 8192): a larger one is not a CPU list, and the list stays bounded. */
export const MAX_CPU_ID = 65535;

export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  const bad = () => {
    const t = text.trim();
    return new CpuListError(`bad CPU list: ${JSON.stringify(escapeText(t.length > 80 ? `${t.slice(0, 80)}…` : t))}`);
  };
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d{1,6})(?:-(\d{1,6}))?$/.exec(part.trim());
    if (!m) throw bad();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi > MAX_CPU_ID || out.length + Math.max(0, hi - lo + 1) > MAX_CPU_ID + 1) throw bad();
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

export function onlineCpus(sysRoot = '/sys'): number[] {
  try {
    return parseCpuList(readFileSync(`${sysRoot}/devices/system/cpu/online`, 'utf8'));
  } catch {
    return osCpus().map((_, i) => i);
  }
}

/** The CPU filter word of the BPF programs (bpf/perfscope.bpf.h PERFSCOPE_WATCH_*): every CPU, or one. */
export const WATCH_ALL = 1;
export const WATCH_CPU0 = 2;

/** The filter word for a pinned CPU (null: all CPUs). */
export function watchWord(cpu: number | null): number {
  if (cpu === null) return WATCH_ALL;
  if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`bad CPU ${cpu}`);
  return WATCH_CPU0 + cpu;
}
