// Cgroup ids to paths to names: the path rules on the names each runtime and the kubelet make
// (both cgroup drivers), the hierarchy walk on fixture trees of a hybrid and a pure v2 host, the
// cgroup files' parsers, the runtime socket against servers that hang, lie or answer, and the
// ids of this host's hybrid layout as the kernel gives them.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeCgroupPath } from '../../src/probes/cgroup/describe.js';
import { CgroupTree, cgroup1Root, cgroup2Root } from '../../src/probes/cgroup/tree.js';
import { RuntimeNames, RUNTIME_BODY_MAX } from '../../src/probes/cgroup/runtime-names.js';
import { Cgroups } from '../../src/probes/cgroup/registry.js';
import { cgroupRoots, parseFlatKeyed, parsePressureTotal, parseSingle, readCgroupCounters } from '../../src/probes/cgroup/files.js';

const ID = 'c0162d1f6bb6eb0de243f59c0c2e9672a5cbd005f716fbfe3f9b85243188af01';
const UID = '1c2d3e4f-5a6b-7c8d-9e0f-a1b2c3d4e5f6';

describe('cgroup paths: what a person recognises', () => {
  it.each([
    ['/', { kind: 'root', label: '/' }],
    ['/system.slice/nginx.service', { kind: 'service', unit: 'nginx.service', label: 'nginx.service', runtime: null }],
    ['/user.slice', { kind: 'slice', label: 'user.slice' }],
    ['/user.slice/user-1000.slice/session-3.scope', { kind: 'scope', label: 'session-3.scope' }],
    [`/system.slice/docker-${ID}.scope`, { kind: 'container', runtime: 'docker', container: ID, label: `docker:${ID.slice(0, 12)}` }],
    [`/docker/${ID}`, { kind: 'container', runtime: 'docker', container: ID }],
    [`/libpod_parent/libpod-${ID}`, { kind: 'container', runtime: 'podman', container: ID, label: `podman:${ID.slice(0, 12)}` }],
    [`/machine.slice/libpod-${ID}.scope`, { kind: 'container', runtime: 'podman', container: ID }],
    [`/machine.slice/libpod-${ID}.scope/container`, { kind: 'cgroup', runtime: 'podman', container: ID, label: `podman:${ID.slice(0, 12)}/container` }],
    [`/system.slice/containerd.service`, { kind: 'service', label: 'containerd.service' }],
  ])('%s', (path, want) => {
    expect(describeCgroupPath(path)).toMatchObject(want);
  });

  // Kubernetes: each QoS class, both drivers, containerd and CRI-O containers.
  const u_ = UID.replace(/-/g, '_');
  it.each([
    [`/kubepods.slice/kubepods-pod${u_}.slice`, { kind: 'pod', pod: { uid: UID, qos: 'guaranteed' }, label: `pod ${UID.slice(0, 8)} (guaranteed)` }],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u_}.slice`, { kind: 'pod', pod: { uid: UID, qos: 'burstable' } }],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${u_}.slice`, { kind: 'pod', pod: { uid: UID, qos: 'besteffort' } }],
    [
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u_}.slice/cri-containerd-${ID}.scope`,
      { kind: 'container', runtime: 'containerd', container: ID, pod: { uid: UID, qos: 'burstable' } },
    ],
    [
      `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${u_}.slice/crio-${ID}.scope`,
      { kind: 'container', runtime: 'cri-o', container: ID, pod: { uid: UID, qos: 'besteffort' } },
    ],
    [`/kubepods/pod${UID}`, { kind: 'pod', pod: { uid: UID, qos: 'guaranteed' } }],
    [`/kubepods/burstable/pod${UID}`, { kind: 'pod', pod: { uid: UID, qos: 'burstable' } }],
    [`/kubepods/besteffort/pod${UID}/${ID}`, { kind: 'container', runtime: 'containerd', container: ID, pod: { uid: UID, qos: 'besteffort' } }],
    [`/kubepods/burstable/pod${UID}/crio-${ID}`, { kind: 'container', runtime: 'cri-o', container: ID, pod: { uid: UID, qos: 'burstable' } }],
  ])('kubernetes %s', (path, want) => {
    expect(describeCgroupPath(path)).toMatchObject(want);
  });

  it('never throws, whatever the path', () => {
    for (const p of ['', '//', '/a//b/', '/\x1b[31m', '/kubepods', '/docker', `/docker/${'z'.repeat(64)}`, '/x'.repeat(500)]) {
      expect(() => describeCgroupPath(p)).not.toThrow();
    }
  });
});

describe('the v2 hierarchy on fixture trees', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  function tree(layout: 'hybrid' | 'v2'): { sys: string; v2: string } {
    dir = mkdtempSync(join(tmpdir(), 'perfscope-cg-'));
    const sys = join(dir, 'sys');
    const cg = join(sys, 'fs/cgroup');
    const v2 = layout === 'hybrid' ? join(cg, 'unified') : cg;
    mkdirSync(v2, { recursive: true });
    writeFileSync(join(v2, 'cgroup.controllers'), layout === 'v2' ? 'cpu memory io\n' : '\n');
    for (const d of ['system.slice/nginx.service', `libpod_parent/libpod-${ID}`, 'user.slice/user-0.slice']) mkdirSync(join(v2, d), { recursive: true });
    if (layout === 'hybrid') {
      for (const c of ['cpu', 'cpuacct', 'memory']) {
        mkdirSync(join(cg, c, 'libpod_parent', `libpod-${ID}`), { recursive: true });
        writeFileSync(join(cg, c, 'cgroup.procs'), '');
      }
      writeFileSync(join(cg, 'cpu', 'libpod_parent', `libpod-${ID}`, 'cpu.stat'), 'nr_periods 100\nnr_throttled 7\nthrottled_time 123456789\n');
      writeFileSync(join(cg, 'cpuacct', 'libpod_parent', `libpod-${ID}`, 'cpuacct.usage'), '5000000000\n');
      writeFileSync(join(cg, 'memory', 'libpod_parent', `libpod-${ID}`, 'memory.usage_in_bytes'), '1048576\n');
      writeFileSync(join(cg, 'memory', 'libpod_parent', `libpod-${ID}`, 'memory.limit_in_bytes'), '9223372036854771712\n');
      writeFileSync(
        join(v2, 'libpod_parent', `libpod-${ID}`, 'cpu.pressure'),
        'some avg10=1.00 avg60=0.50 avg300=0.10 total=4242\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
      );
    } else {
      const c = join(v2, 'system.slice/nginx.service');
      writeFileSync(join(c, 'cpu.stat'), 'usage_usec 777\nuser_usec 700\nsystem_usec 77\nnr_periods 10\nnr_throttled 3\nthrottled_usec 9000\n');
      writeFileSync(join(c, 'memory.current'), '4096\n');
      writeFileSync(join(c, 'memory.max'), 'max\n');
      writeFileSync(join(c, 'io.pressure'), 'some avg10=0.00 avg60=0.00 avg300=0.00 total=12\n');
    }
    return { sys, v2 };
  }

  for (const layout of ['hybrid', 'v2'] as const) {
    it(`${layout}: the root found, each directory's inode its id, subtrees`, () => {
      const { sys, v2 } = tree(layout);
      expect(cgroup2Root(sys)).toBe(v2);
      const t = new CgroupTree(cgroup2Root(sys));
      const ino = (p: string) => Number(statSync(join(v2, p), { bigint: true }).ino);
      expect(t.pathOf(ino('system.slice/nginx.service'))).toBe('/system.slice/nginx.service');
      expect(t.pathOf(ino(''))).toBe('/');
      expect(t.idOf('system.slice/nginx.service/')).toBe(ino('system.slice/nginx.service'));
      expect(t.subtree('/system.slice').sort()).toEqual([ino('system.slice'), ino('system.slice/nginx.service')].sort());
      expect(t.subtree('/nope')).toEqual([]);
      // Walks are bounded in rate: an unknown id does not walk again within the second.
      const walks = t.walks;
      expect(t.pathOf(999_999_999)).toBeNull();
      expect(t.pathOf(999_999_998)).toBeNull();
      expect(t.walks).toBe(walks);
      // A cgroup made later is found at the next allowed walk.
      mkdirSync(join(v2, 'system.slice/late.service'));
      t.refresh(true);
      expect(t.pathOf(ino('system.slice/late.service'))).toBe('/system.slice/late.service');
    });
  }

  it('hybrid: the v1 cpu, cpuacct and memory files of a container: throttling, CPU time, memory without limit; v2 pressure', () => {
    const { sys, v2 } = tree('hybrid');
    expect(cgroup1Root('cpu', sys)).toBe(join(sys, 'fs/cgroup/cpu'));
    const c = readCgroupCounters(cgroupRoots(v2, sys), `/libpod_parent/libpod-${ID}`);
    expect(c).toEqual({
      usageUs: 5_000_000,
      periods: 100,
      throttled: 7,
      throttledUs: 123456,
      pressureUs: { cpu: 4242, memory: null, io: null },
      memoryBytes: 1048576,
      memoryLimit: null,
    });
  });

  it('v2: cpu.stat throttling and usage, memory.current against max, io pressure', () => {
    const { sys, v2 } = tree('v2');
    const c = readCgroupCounters(cgroupRoots(v2, sys), '/system.slice/nginx.service');
    expect(c).toEqual({
      usageUs: 777,
      periods: 10,
      throttled: 3,
      throttledUs: 9000,
      pressureUs: { cpu: null, memory: null, io: 12 },
      memoryBytes: 4096,
      memoryLimit: null,
    });
  });

  it('parsers take garbage without throwing', () => {
    expect(parseFlatKeyed('a 1\nb x\n\n c  2 \n').get('a')).toBe(1);
    expect(parseFlatKeyed(null).size).toBe(0);
    expect(parsePressureTotal('full total=3\n')).toBeNull();
    expect(parsePressureTotal('some avg10=1 total=99')).toBe(99);
    expect(parseSingle('max')).toBeNull();
    expect(parseSingle('-1')).toBeNull();
    expect(parseSingle('12\n')).toBe(12);
  });
});

describe('container names from the runtime socket: hangs and lies stall nothing', () => {
  let server: Server | null = null;
  let dir = '';
  afterEach(async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    server?.closeAllConnections?.();
    server = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'perfscope-sock-'));
    const sock = join(dir, 'api.sock');
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(sock, () => r()));
    return sock;
  }

  it('no socket: no name, no request, the id is shown', () => {
    const n = new RuntimeNames(['/nonexistent/perfscope.sock']);
    expect(n.nameOf(ID)).toBeNull();
    expect(n.stats().requests).toBe(0);
  });

  it('a good answer: names by full id and by prefix, escaped; asked once per gap', async () => {
    const sock = await serve((_req, res) => {
      res.end(
        JSON.stringify([
          { Id: ID, Names: ['/web\x1b[31m'] },
          { Id: 'zz', Names: ['bad'] },
          { Id: 'a'.repeat(64), Names: [7] },
        ]),
      );
    });
    const n = new RuntimeNames([sock]);
    expect(n.nameOf(ID)).toBeNull();
    await n.idle();
    expect(n.nameOf(ID)).toBe('web\\e[31m');
    expect(n.nameOf(ID.slice(0, 12))).toBe('web\\e[31m');
    expect(n.ids()).toEqual([ID]);
    expect(n.stats()).toMatchObject({ requests: 1, errors: 0 });
  });

  it('a server that never answers: the request is given up after its timeout; the caller never waits', async () => {
    const sock = await serve(() => {
      /* never answers */
    });
    const n = new RuntimeNames([sock], 300);
    const t0 = performance.now();
    expect(n.nameOf(ID)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(100);
    await n.idle();
    expect(n.stats().errors).toBe(1);
    expect(n.stats().lastError).toMatch(/no answer within 300 ms/);
    expect(n.nameOf(ID)).toBeNull();
  });

  it('garbage, a non-list, a huge answer, a drip: counted as errors, nothing thrown, old names kept', async () => {
    let mode = 'good';
    const sock = await serve((_req, res) => {
      if (mode === 'good') res.end(JSON.stringify([{ Id: ID, Names: ['/web'] }]));
      else if (mode === 'garbage') res.end('\x00\xff{not json');
      else if (mode === 'object') res.end('{"message":"no"}');
      else if (mode === 'huge') {
        const chunk = Buffer.alloc(1 << 20, 0x20);
        for (let i = 0; i <= RUNTIME_BODY_MAX / chunk.length + 1; i++) res.write(chunk);
        res.end();
      } else {
        res.write('['); // a drip that never ends
      }
    });
    const n = new RuntimeNames([sock], 500, 0);
    n.lookup(true);
    await n.idle();
    expect(n.nameOf(ID)).toBe('web');
    for (const m of ['garbage', 'object', 'huge', 'drip']) {
      mode = m;
      n.lookup(true);
      await n.idle();
      expect(n.stats().lastError, m).not.toBeNull();
      expect(n.nameOf(ID), m).toBe('web');
    }
    expect(n.stats().errors).toBe(4);
  });
});

describe('this host: ids as the kernel gives them resolve on its layout', () => {
  it('our own cgroup: /proc/self/cgroup path <-> the directory inode', () => {
    const root = cgroup2Root();
    expect(root).not.toBeNull();
    const line = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'))!;
    const path = line.slice(3);
    const id = Number(statSync(`${root}${path === '/' ? '' : path}`, { bigint: true }).ino);
    const reg = new Cgroups(new CgroupTree(root), new RuntimeNames([]));
    expect(reg.ref(id)).toMatchObject({ id, path });
    expect(reg.match(path)).toContain(id);
  });
});
