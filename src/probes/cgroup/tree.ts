// The v2 cgroup hierarchy: which directory a cgroup id names. The kernel's id of a cgroup
// (bpf_get_current_cgroup_id(), cgroup_id() of its kernfs node) is the inode number of its
// directory in the cgroup2 file system, so a walk of the hierarchy that stats each directory
// maps ids to paths. On a hybrid host (v1 controllers + v2) the v2 hierarchy is mounted at
// <sys>/fs/cgroup/unified, on a pure v2 host at <sys>/fs/cgroup itself.
//
// Bounds: the walk stops at CGROUP_WALK_MAX directories and CGROUP_WALK_DEPTH levels; a walk
// happens at most once per `minRefreshMs` (1 s), when an id is not known (a cgroup made since the
// last walk) or when the --cgroup filter is refreshed. The map holds what the last walk saw, so
// a removed cgroup leaves it at the next walk.
import { readdirSync, statSync, existsSync } from 'node:fs';

/** Directories a walk reads at most (a host with more cgroups shows the rest by id). */
export const CGROUP_WALK_MAX = 20_000;
/** Levels below the root a walk goes down at most. */
export const CGROUP_WALK_DEPTH = 32;

/** Where the v2 hierarchy is mounted under `sysRoot` (default /sys), or null if it is not. */
export function cgroup2Root(sysRoot = '/sys'): string | null {
  for (const dir of [`${sysRoot}/fs/cgroup/unified`, `${sysRoot}/fs/cgroup`]) {
    if (existsSync(`${dir}/cgroup.controllers`)) return dir;
  }
  return null;
}

/** Where the v1 hierarchy of `controller` is mounted ("cpu" is also found as cpu,cpuacct), or null. */
export function cgroup1Root(controller: string, sysRoot = '/sys'): string | null {
  for (const name of [controller, `${controller},cpuacct`, `cpuacct,${controller}`]) {
    const dir = `${sysRoot}/fs/cgroup/${name}`;
    if (existsSync(`${dir}/cgroup.procs`) && !existsSync(`${dir}/cgroup.controllers`)) return dir;
  }
  return null;
}

export class CgroupTree {
  private byId = new Map<number, string>();
  private byPath = new Map<string, number>();
  private lastWalk = Number.NEGATIVE_INFINITY;
  /** The last walk stopped at CGROUP_WALK_MAX. */
  truncated = false;
  /** Walks done (tests). */
  walks = 0;

  constructor(
    /** The v2 hierarchy's directory, or null: no cgroup2 here (every id unknown). */
    readonly root: string | null,
    private readonly minRefreshMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The path ("/a/b", "/" for the root) of cgroup `id`, walking again if it is unknown and a walk is allowed. */
  pathOf(id: number): string | null {
    const p = this.byId.get(id);
    if (p !== undefined) return p;
    this.refresh();
    return this.byId.get(id) ?? null;
  }

  /** The id of the cgroup at `path` ("/a/b"), walking again if it is unknown and a walk is allowed. */
  idOf(path: string): number | null {
    const norm = normalise(path);
    const id = this.byPath.get(norm);
    if (id !== undefined) return id;
    this.refresh();
    return this.byPath.get(norm) ?? null;
  }

  /** Every known cgroup, path -> id. */
  paths(): ReadonlyMap<string, number> {
    return this.byPath;
  }

  /** The ids of `path` and of every cgroup below it (as of the last walk). */
  subtree(path: string): number[] {
    const norm = normalise(path);
    const prefix = norm === '/' ? '/' : `${norm}/`;
    const out: number[] = [];
    for (const [p, id] of this.byPath) if (p === norm || p.startsWith(prefix)) out.push(id);
    return out;
  }

  /** Walk again, unless the last walk was less than minRefreshMs ago (force: anyway). */
  refresh(force = false): void {
    if (!this.root) return;
    const t = this.now();
    if (!force && t - this.lastWalk < this.minRefreshMs) return;
    this.lastWalk = t;
    this.walks++;
    const byId = new Map<number, string>();
    const byPath = new Map<string, number>();
    const queue: { dir: string; rel: string; depth: number }[] = [{ dir: this.root, rel: '/', depth: 0 }];
    this.truncated = false;
    for (let i = 0; i < queue.length; i++) {
      const { dir, rel, depth } = queue[i];
      let ino: number;
      try {
        ino = Number(statSync(dir, { bigint: true }).ino);
      } catch {
        continue; // removed meanwhile
      }
      byId.set(ino, rel);
      byPath.set(rel, ino);
      if (depth >= CGROUP_WALK_DEPTH) continue;
      let names: string[];
      try {
        names = readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name);
      } catch {
        continue;
      }
      for (const n of names) {
        if (queue.length >= CGROUP_WALK_MAX) {
          this.truncated = true;
          break;
        }
        queue.push({ dir: `${dir}/${n}`, rel: rel === '/' ? `/${n}` : `${rel}/${n}`, depth: depth + 1 });
      }
    }
    this.byId = byId;
    this.byPath = byPath;
  }
}

/** "/a/b" for "a/b/", "/a//b"; "/" for "" and "/". */
export function normalise(path: string): string {
  const parts = path.split('/').filter((p) => p.length > 0 && p !== '.');
  return `/${parts.join('/')}`;
}
