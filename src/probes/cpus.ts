// Which CPUs are online, from /sys/devices/system/cpu/online ("0-3,5,7-8").
import { readFileSync } from 'node:fs';
import { cpus as osCpus } from 'node:os';

export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad CPU list: ${JSON.stringify(text.trim())}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
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
