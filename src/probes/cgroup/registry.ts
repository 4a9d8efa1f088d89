// Cgroup ids as people know them: the id the kernel records (bpf_get_current_cgroup_id()) ->
// its path in the v2 hierarchy (CgroupTree) -> what it is (describeCgroupPath: a service, a
// container, a pod) -> a name (the runtime's, RuntimeNames, when its socket says; else the
// description's label, which shows the container id). One registry per process (cgroups()),
// configured by the command line (configureCgroups: --sys-root, --container-socket), shared by
// every probe's decoder, the --cgroup filter and the containers probe.
//
// A CgroupRef is made once per id and shared by every event of that cgroup, and made again only
// when what it says may have changed (the runtime named its container since, or its path was not
// known and the tree has been walked again). At most CGROUP_REFS_MAX are kept (then forgotten all
// at once and made again as they come).
import { readFileSync } from 'node:fs';
import { describeCgroupPath, type CgroupDescription } from './describe.js';
import { RuntimeNames, DEFAULT_RUNTIME_SOCKETS } from './runtime-names.js';
import { CgroupTree, cgroup2Root, normalise } from './tree.js';

/** A task's cgroup, as events and rows carry it (--json: the `cgroup` key). */
export interface CgroupRef {
  /** The v2 cgroup id (its directory's inode number). */
  id: number;
  /** Its path below the v2 hierarchy's root ("/" for the root), null when not found (gone, or beyond the walk's bounds). */
  path: string | null;
  /** The container's name from its runtime, else a label of the path (service, scope, runtime:id, pod), else "#id". */
  name: string;
}

export const CGROUP_REFS_MAX = 20_000;

interface Cached {
  ref: CgroupRef;
  walks: number;
  namesVersion: number;
  /** A container the runtime has not named (yet): ask it again (at most every 2 s). */
  unnamed: boolean;
}

export class Cgroups {
  private refs = new Map<number, Cached>();

  constructor(
    readonly tree: CgroupTree,
    readonly names: RuntimeNames,
  ) {}

  /** What `id` is, as shared by every event of it. */
  ref(id: number): CgroupRef {
    const c = this.refs.get(id);
    if (c) {
      // Not found at the last walk, or not named at the last answer: both are asked again,
      // each at most as often as its own bound allows (the walk 1/s, the socket every 2 s).
      if (c.ref.path === null) this.tree.refresh();
      if (c.unnamed) this.names.lookup();
      if ((c.ref.path !== null || c.walks === this.tree.walks) && c.namesVersion === this.names.version) return c.ref;
    }
    const path = this.tree.pathOf(id);
    const named = path === null ? null : this.nameOfPath(path);
    const ref: CgroupRef = { id, path, name: named?.name ?? `#${id}` };
    if (this.refs.size >= CGROUP_REFS_MAX) this.refs.clear();
    this.refs.set(id, { ref, walks: this.tree.walks, namesVersion: this.names.version, unnamed: named?.unnamed ?? false });
    return ref;
  }

  /** The name of the cgroup at `path`: its container's name when known (else its label, and `unnamed`). */
  nameOfPath(path: string): { name: string; unnamed: boolean } {
    const d = describeCgroupPath(path);
    if (d.container && d.kind === 'container') {
      const n = this.names.nameOf(d.container);
      return { name: n ?? d.label, unnamed: n === null };
    }
    return { name: d.label, unnamed: false };
  }

  describe(path: string): CgroupDescription {
    return describeCgroupPath(path);
  }

  /**
   * The ids a --cgroup value selects, each cgroup's subtree included: a path ("/a/b", the v2
   * hierarchy's), or a container's name (its runtime's), a container id or a prefix of one (at
   * least 4 hex digits), a label or systemd unit ("nginx.service", "podman:0123456789ab"), or the
   * last component of a path. [] when nothing matches now.
   */
  match(spec: string): number[] {
    this.tree.refresh(); // at most once a second
    const s = spec.trim();
    if (s.startsWith('/')) return this.tree.subtree(normalise(s));
    const named = new Set(this.names.idsNamed(s));
    const hex = /^[0-9a-f]{4,64}$/.test(s);
    const roots: string[] = [];
    for (const path of this.tree.paths().keys()) {
      const d = describeCgroupPath(path);
      const last = path.slice(path.lastIndexOf('/') + 1);
      const byContainer = d.kind === 'container' && d.container !== null && (named.has(d.container) || (hex && d.container.startsWith(s)));
      if (byContainer || (path !== '/' && (d.label === s || last === s || (d.kind !== 'cgroup' && d.unit === s)))) roots.push(path);
    }
    const ids = new Set<number>();
    for (const r of roots) for (const id of this.tree.subtree(r)) ids.add(id);
    return [...ids];
  }
}

let shared: Cgroups | null = null;
let sharedOpts: { sysRoot?: string; sockets?: readonly string[] } = {};

/** Set where the registry looks (before its first use; a later call makes a new one). */
export function configureCgroups(opts: { sysRoot?: string; sockets?: readonly string[] }): void {
  sharedOpts = opts;
  shared = null;
}

/** The process's registry. */
export function cgroups(): Cgroups {
  shared ??= new Cgroups(new CgroupTree(cgroup2Root(sharedOpts.sysRoot ?? '/sys')), new RuntimeNames(sharedOpts.sockets ?? DEFAULT_RUNTIME_SOCKETS));
  return shared;
}

/**
 * The cgroup of a process the kernel side did not see (the /proc readers' rows): the v2 line
 * ("0::/path") of /proc/PID/cgroup, at most 4 KiB read, its path's id from the hierarchy; null
 * when the process is gone or the path is not a cgroup of the hierarchy (a fixture /proc).
 */
export function cgroupOfPid(procRoot: string, pid: number): CgroupRef | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/cgroup`, 'latin1').slice(0, 4096);
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  if (!line) return null;
  const reg = cgroups();
  const id = reg.tree.idOf(line.slice(3));
  return id === null ? null : reg.ref(id);
}

/** The shared ref of cgroup `id` (decoders call this). */
export function cgroupRef(id: number): CgroupRef {
  return cgroups().ref(id);
}
