// What a cgroup's own files say about latency that CPU use does not explain: CPU throttling (a
// quota used up), pressure stall information, memory use against its limit, and its CPU time.
// v2 files (in the cgroup's directory of the v2 hierarchy) first; on a hybrid host the cpu,
// cpuacct and memory controllers are v1, so their files are read in the v1 hierarchies at the
// same path (<sys>/fs/cgroup/cpu/<path>/cpu.stat: nr_throttled, throttled_time in ns). Readers
// take the roots (tests point them at fixture trees); a missing or unreadable file is null, a
// value that does not parse is null. Raw cumulative values; the probe takes differences.
import { readFileSync } from 'node:fs';
import { cgroup1Root } from './tree.js';

export interface CgroupCounters {
  /** CPU time used, cumulative, us (v2 cpu.stat usage_usec, v1 cpuacct.usage / 1000). */
  usageUs: number | null;
  /** CFS periods, periods throttled and time throttled, cumulative (v2 cpu.stat, else v1 cpu.stat). */
  periods: number | null;
  throttled: number | null;
  throttledUs: number | null;
  /** PSI "some" stall time, cumulative, us, by resource (v2 *.pressure `total=`). */
  pressureUs: { cpu: number | null; memory: number | null; io: number | null };
  /** Memory in use now and its limit (null: none), bytes (v2 memory.current/max, v1 usage_in_bytes/limit_in_bytes). */
  memoryBytes: number | null;
  memoryLimit: number | null;
}

/** A cgroup file's text, at most 64 KiB; null when it cannot be read. */
function read(path: string): string | null {
  try {
    const t = readFileSync(path, 'latin1');
    return t.length > 65536 ? t.slice(0, 65536) : t;
  } catch {
    return null;
  }
}

/** `key value` lines (cpu.stat, memory.stat) -> their numbers. */
export function parseFlatKeyed(text: string | null): Map<string, number> {
  const m = new Map<string, number>();
  if (text === null) return m;
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) m.set(k, Number(v));
  }
  return m;
}

/** The cumulative `total=` (us) of a PSI file's "some" line, or null. */
export function parsePressureTotal(text: string | null): number | null {
  if (text === null) return null;
  const m = /^some\b.*\btotal=(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** One number (memory.current, cpuacct.usage) or "max"; a v1 limit of the page-rounded 2^63 is no limit. */
export function parseSingle(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const v = Number(t);
  return v >= 2 ** 62 ? null : v;
}

export interface CgroupRoots {
  /** The v2 hierarchy. */
  v2: string;
  /** v1 hierarchies of cpu, cpuacct, memory (null where not mounted as v1). */
  cpu: string | null;
  cpuacct: string | null;
  memory: string | null;
}

export function cgroupRoots(v2: string, sysRoot = '/sys'): CgroupRoots {
  return { v2, cpu: cgroup1Root('cpu', sysRoot), cpuacct: cgroup1Root('cpuacct', sysRoot), memory: cgroup1Root('memory', sysRoot) };
}

/** The counters of the cgroup at `path` ("/a/b"). */
export function readCgroupCounters(roots: CgroupRoots, path: string): CgroupCounters {
  const rel = path === '/' ? '' : path;
  const dir = `${roots.v2}${rel}`;
  const cpu2 = parseFlatKeyed(read(`${dir}/cpu.stat`));
  let usageUs = cpu2.get('usage_usec') ?? null;
  let periods = cpu2.get('nr_periods') ?? null;
  let throttled = cpu2.get('nr_throttled') ?? null;
  let throttledUs = cpu2.get('throttled_usec') ?? null;
  if (throttled === null && roots.cpu) {
    const cpu1 = parseFlatKeyed(read(`${roots.cpu}${rel}/cpu.stat`));
    periods = cpu1.get('nr_periods') ?? null;
    throttled = cpu1.get('nr_throttled') ?? null;
    const ns = cpu1.get('throttled_time');
    throttledUs = ns === undefined ? null : Math.floor(ns / 1000);
  }
  if (usageUs === null && roots.cpuacct) {
    const ns = parseSingle(read(`${roots.cpuacct}${rel}/cpuacct.usage`));
    usageUs = ns === null ? null : Math.floor(ns / 1000);
  }
  let memoryBytes = parseSingle(read(`${dir}/memory.current`));
  let memoryLimit = memoryBytes === null ? null : parseSingle(read(`${dir}/memory.max`));
  if (memoryBytes === null && roots.memory) {
    memoryBytes = parseSingle(read(`${roots.memory}${rel}/memory.usage_in_bytes`));
    memoryLimit = parseSingle(read(`${roots.memory}${rel}/memory.limit_in_bytes`));
  }
  return {
    usageUs,
    periods,
    throttled,
    throttledUs,
    pressureUs: {
      cpu: parsePressureTotal(read(`${dir}/cpu.pressure`)),
      memory: parsePressureTotal(read(`${dir}/memory.pressure`)),
      io: parsePressureTotal(read(`${dir}/io.pressure`)),
    },
    memoryBytes,
    memoryLimit,
  };
}
