// Real containers (podman, a busybox root) and real BPF: the exec feed names a container's
// events, --cgroup keeps only its tasks in the kernel, and the containers probe shows a CPU-capped
// container's throttling and a crowded container's run-queue waits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { ExecProbe } from '../../src/probes/exec.js';
import { ContainersProbe } from '../../src/probes/containers.js';
import { OffcpuProbe } from '../../src/probes/offcpu.js';
import type { ExecEvent } from '../../src/probes/exec-spec.js';
import { cgroups, configureCgroups } from '../../src/probes/cgroup/registry.js';
import { cgroup2Root } from '../../src/probes/cgroup/tree.js';
import { noBpf, stopAndExpectUnloaded } from '../helpers/bpf.js';
import { containerName, noPodman, podmanService, removeAll, removeContainer, runContainer } from '../helpers/podman.js';
import { feedConfig, sleep, waitFor } from './helpers/feeds.js';
import type { ContainersSample } from '../../src/probes/containers-spec.js';

// A shell loop that execs /bin/true about 20 times a second (busybox sh forks and execs a path).
const TRUE_20HZ = 'while :; do /bin/true; sleep 0.05; done';

describe.skipIf(noBpf || noPodman)('containers (real podman containers, real BPF)', () => {
  let service: { socket: string; stop: () => void } | null = null;
  let probe: { progIds(): number[]; stop(): void } | null = null;
  let outside: ChildProcess | null = null;

  beforeAll(async () => {
    service = await podmanService();
    configureCgroups({ sockets: [service.socket] });
  }, 30_000);
  afterEach(async () => {
    outside?.kill('SIGKILL');
    outside = null;
    await stopAndExpectUnloaded(probe);
    probe = null;
  });
  afterAll(() => {
    removeAll();
    service?.stop();
    configureCgroups({});
  });

  it('a container is where its tasks are: libpod_parent/libpod-<id> in the v2 hierarchy, its id the directory inode', () => {
    const c = runContainer(containerName('where'), 'sleep 600');
    try {
      expect(c.cgroup).toBe(`/libpod_parent/libpod-${c.id}`);
      const root = cgroup2Root()!;
      const ino = Number(statSync(`${root}${c.cgroup}`, { bigint: true }).ino);
      const reg = cgroups();
      reg.tree.refresh(true);
      expect(reg.tree.pathOf(ino)).toBe(c.cgroup);
      expect(reg.describe(c.cgroup)).toMatchObject({ kind: 'container', runtime: 'podman', container: c.id });
    } finally {
      removeContainer(c.name);
    }
  });

  it('the exec events of a container that execs /bin/true 20 times a second carry its name (from the API socket)', async () => {
    const c = runContainer(containerName('exec'), TRUE_20HZ);
    try {
      const p = new ExecProbe();
      probe = p;
      p.start(feedConfig());
      const mine = (all: ExecEvent[]) => all.filter((e) => e.cgroup?.path === c.cgroup);
      // The first events may come before the runtime's answer: they show podman:<id>; then its name.
      const got = mine(
        await waitFor(
          () => p.sample(),
          (a) => mine(a).some((e) => e.cgroup?.name === c.name),
          10_000,
        ),
      );
      expect(got.length).toBeGreaterThan(0);
      expect(got.filter((e) => e.filename === '/bin/true' && e.ret === 0).length).toBeGreaterThan(0);
      expect(got.filter((e) => e.cgroup?.name === c.name).length).toBeGreaterThan(0);
      expect(new Set(got.map((e) => e.cgroup?.name))).toSatisfy((s: Set<string>) => [...s].every((n) => n === c.name || n === `podman:${c.id.slice(0, 12)}`));
    } finally {
      removeContainer(c.name);
    }
  }, 30_000);

  it('--cgroup NAME: only its tasks reach user space (filtered in the kernel); a task outside that does the same is absent', async () => {
    const c = runContainer(containerName('filter'), TRUE_20HZ);
    try {
      const reg = cgroups();
      reg.names.lookup(true);
      await reg.names.idle();
      reg.tree.refresh(true);
      const ids = reg.match(c.name);
      expect(ids.length).toBe(1);
      outside = spawn('/bin/sh', ['-c', TRUE_20HZ], { stdio: 'ignore' });
      const p = new ExecProbe();
      probe = p;
      p.start(feedConfig({ cgroups: ids }));
      await sleep(2000);
      const got = p.sample();
      expect(got.length).toBeGreaterThan(10);
      expect(got.every((e) => e.cgroup?.id === ids[0])).toBe(true);
      expect(got.some((e) => e.ppid === outside!.pid)).toBe(false);
      // Every record the reader thread took from the ring buffer was the container's: the
      // kernel, not user space, left the outside task's execs out.
      expect(p.totals.received).toBe(got.length);
      // Live: the filter off, the outside task's execs arrive too.
      p.setCgroups(null);
      const all = await waitFor(
        () => p.sample(),
        (a) => a.some((e) => e.ppid === outside!.pid),
      );
      expect(all.some((e) => e.ppid === outside!.pid)).toBe(true);
    } finally {
      removeContainer(c.name);
    }
  }, 30_000);

  it("off-CPU rows of a container's tasks carry its cgroup (read from the task when the row is made)", async () => {
    const c = runContainer(containerName('offcpu'), 'while :; do sleep 0.02; done');
    try {
      const p = new OffcpuProbe({ topPerCpu: 100_000 });
      probe = p;
      p.start(feedConfig());
      await sleep(1500);
      const rows = p.sample().rows.filter((r) => r.cgroup?.path === c.cgroup);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.cgroup?.id === rows[0].cgroup?.id)).toBe(true);
    } finally {
      removeContainer(c.name);
    }
  }, 30_000);

  it("the containers row counts its execs per second from the exec feed's per-cgroup counts in the kernel", async () => {
    const c = runContainer(containerName('rate'), TRUE_20HZ);
    const e = new ExecProbe();
    const k = new ContainersProbe();
    try {
      e.start(feedConfig());
      k.start(feedConfig());
      probe = k;
      let execs = 0;
      let rate = 0;
      for (let i = 0; i < 3; i++) {
        await sleep(1000);
        // As the manager does: the feed first, then the containers probe (last in the catalogue).
        execs += e.sample().filter((ev) => ev.cgroup?.path === c.cgroup).length;
        rate += k.sample().rows.find((r) => r.cgroup.path === c.cgroup)?.events_per_s.exec ?? 0;
      }
      expect(execs).toBeGreaterThan(0);
      expect(rate).toBeGreaterThan(0);
    } finally {
      e.stop();
      removeContainer(c.name);
    }
  }, 30_000);

  it('a container limited to --cpus 0.2 running a busy loop is throttled; an idle one stays empty; two busy loops on one CPU fill millisecond run-queue buckets', async () => {
    const capped = runContainer(containerName('capped'), 'while :; do :; done', ['--cpus', '0.2']);
    const crowded = runContainer(containerName('crowded'), 'taskset -c 0 sh -c "while :; do :; done" & taskset -c 0 sh -c "while :; do :; done" & wait', [
      '--cpus',
      '1',
    ]);
    const idle = runContainer(containerName('idle'), 'sleep 600');
    try {
      await sleep(500);
      const p = new ContainersProbe();
      probe = p;
      p.start(feedConfig());
      const samples: ContainersSample[] = [];
      for (let i = 0; i < 4; i++) {
        await sleep(1000);
        samples.push(p.sample());
      }
      const rowsOf = (path: string) => samples.flatMap((s) => s.rows.filter((r) => r.cgroup.path === path));
      const cappedRows = rowsOf(capped.cgroup);
      if (process.env.CT_DEBUG)
        console.log(JSON.stringify(samples.map((s) => s.rows.map((r) => [r.cgroup, r.runq_count, r.throttled, r.cpu_pct, r.runq.slice(10)]))));
      expect(cappedRows.length).toBeGreaterThan(0);
      expect(cappedRows.reduce((a, r) => a + (r.throttled ?? 0), 0)).toBeGreaterThan(0);
      expect(cappedRows.reduce((a, r) => a + (r.throttled_us ?? 0), 0)).toBeGreaterThan(0);
      expect(cappedRows.some((r) => r.cpu_pct !== null && r.cpu_pct <= 30)).toBe(true);
      // Two CPU-bound tasks on one CPU: each waits while the other runs its slice (at least a
      // tick, 1 ms or more on any HZ): waits of 1.024 ms and more (log2 bucket 10 and up).
      const crowdedRows = rowsOf(crowded.cgroup);
      const ms = crowdedRows.reduce((a, r) => a + r.runq.slice(10).reduce((x, y) => x + y, 0), 0);
      expect(ms).toBeGreaterThan(0);
      // A container whose one task sleeps throughout never waits on a run queue.
      expect(rowsOf(idle.cgroup).reduce((a, r) => a + r.runq_count, 0)).toBe(0);
      expect(samples.every((s) => s.overflow === 0)).toBe(true);
    } finally {
      for (const c of [capped, crowded, idle]) removeContainer(c.name);
    }
  }, 60_000);
});
