// Which CPUs are set apart for one job, and which device interrupts may land on them. Readers
// take the root of a sysfs (and of a proc filesystem), so tests point them at fixture trees
// (test/proc/fixtures/iso-*):
//   <sys>/devices/system/cpu/isolated    isolcpus= (domain): no load balancing, no unbound work
//   <sys>/devices/system/cpu/nohz_full   nohz_full=: no scheduler tick while one task runs
//   <sys>/fs/cgroup/**/cpuset.cpus.partition == "isolated" | "root", with cpuset.cpus.effective:
//                                        cgroup v2 partitions (isolated: no load balancing either;
//                                        root: CPUs exclusive to that cgroup); also
//                                        <sys>/fs/cgroup/unified/** where v1 and v2 are mixed
//   <proc>/irq/N/smp_affinity_list       the CPUs each IRQ may be delivered to
// A file that is absent means "none"; one that holds something else than a CPU list is an error
// that names it.
import { readdirSync, readFileSync } from 'node:fs';
import { CpuListError, parseCpuList } from '../cpus.js';
import { escapeBytes } from '../strings.js';

export interface CpuPartition {
  /** The cgroup, relative to the cgroup2 mount ("/rt.slice/app"). Escaped. */
  readonly cgroup: string;
  readonly mode: 'isolated' | 'root';
  readonly cpus: readonly number[];
}

export interface Isolation {
  /** Every CPU set apart by any of the below, ascending. */
  readonly cpus: readonly number[];
  readonly isolcpus: readonly number[];
  readonly nohz_full: readonly number[];
  readonly partitions: readonly CpuPartition[];
}

export const NO_ISOLATION: Isolation = { cpus: [], isolcpus: [], nohz_full: [], partitions: [] };

function optional(file: string): string | null {
  try {
    return readFileSync(file, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EINVAL' || code === 'ENODEV') return null;
    throw e;
  }
}

/** A CPU list file ("2-3,6", "" or "(null)" for none); throws `file: ...` when it is not one. */
export function readCpuListFile(file: string): number[] {
  const t = optional(file);
  if (t === null) return [];
  const v = t.trim();
  if (v === '' || v === '(null)') return [];
  try {
    return parseCpuList(v);
  } catch (e) {
    throw new CpuListError(`${file}: ${(e as Error).message}`);
  }
}

/** Where cgroup v2 is mounted under a sysfs root: fs/cgroup, or fs/cgroup/unified (hybrid), or none. */
function cgroup2Root(sysRoot: string): string | null {
  for (const dir of [`${sysRoot}/fs/cgroup`, `${sysRoot}/fs/cgroup/unified`]) {
    if (optional(`${dir}/cgroup.controllers`) !== null) return dir;
  }
  return null;
}

/** At most this many cgroups are visited (a host with a huge tree still starts quickly). */
const MAX_CGROUPS = 4096;

/** cgroup v2 partitions: "isolated" and "root" cpusets with their effective CPUs (invalid ones are left out). */
export function readPartitions(sysRoot = '/sys'): CpuPartition[] {
  const root = cgroup2Root(sysRoot);
  if (!root) return [];
  const out: CpuPartition[] = [];
  const todo: string[] = [''];
  let seen = 0;
  while (todo.length && seen < MAX_CGROUPS) {
    const rel = todo.shift()!;
    seen++;
    const dir = `${root}${rel}`;
    if (rel !== '') {
      const p = optional(`${dir}/cpuset.cpus.partition`)?.trim();
      if (p === 'isolated' || p === 'root') {
        const cpus = readCpuListFile(`${dir}/cpuset.cpus.effective`);
        if (cpus.length) out.push({ cgroup: escapeBytes(Buffer.from(rel, 'latin1')), mode: p, cpus });
      }
    }
    let names: string[] = [];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    } catch {
      names = [];
    }
    for (const n of names) todo.push(`${rel}/${n}`);
  }
  return out;
}

/** Every way this host sets CPUs apart. */
export function readIsolation(sysRoot = '/sys'): Isolation {
  const cpuDir = `${sysRoot}/devices/system/cpu`;
  const isolcpus = readCpuListFile(`${cpuDir}/isolated`);
  const nohz = readCpuListFile(`${cpuDir}/nohz_full`);
  const partitions = readPartitions(sysRoot);
  const all = new Set<number>([...isolcpus, ...nohz, ...partitions.flatMap((p) => p.cpus)]);
  return { cpus: [...all].sort((a, b) => a - b), isolcpus, nohz_full: nohz, partitions };
}

/** The isolated CPUs that are online, ascending (what -C isolated and the header use). */
export function isolatedOnline(iso: Isolation, online: readonly number[]): number[] {
  return iso.cpus.filter((c) => online.includes(c));
}

/** One device IRQ's affinity. */
export interface IrqAffinity {
  readonly irq: number;
  readonly cpus: readonly number[];
}

/** /proc/irq/N/smp_affinity_list of every numbered IRQ (unreadable ones are left out), by IRQ number. */
export function readIrqAffinities(procRoot = '/proc'): IrqAffinity[] {
  let names: string[];
  try {
    names = readdirSync(`${procRoot}/irq`);
  } catch {
    return [];
  }
  const out: IrqAffinity[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const file = `${procRoot}/irq/${n}/smp_affinity_list`;
    if (optional(file) === null) continue;
    out.push({ irq: Number(n), cpus: readCpuListFile(file) });
  }
  return out.sort((a, b) => a.irq - b.irq);
}
