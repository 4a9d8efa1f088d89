// The real binary with real podman containers: `--cgroup NAME` (twice) keeps only their tasks
// in every probe's output, the exec events carry the container's name (the Docker-compatible
// socket given by --container-socket), and the CPU-capped one's throttling is in --json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { noBpf } from '../helpers/bpf.js';
import { containerName, noPodman, podmanService, removeAll, runContainer, type Container } from '../helpers/podman.js';

const BIN = fileURLToPath(new URL('../../bin/perfscope.js', import.meta.url));

describe.skipIf(noBpf || noPodman)('perfscope --json --cgroup with podman containers', () => {
  let service: { socket: string; stop: () => void } | null = null;
  let execer: Container;
  let capped: Container;
  let outside: ChildProcess | null = null;
  beforeAll(async () => {
    service = await podmanService();
    execer = runContainer(containerName('cli-exec'), 'while :; do /bin/true; sleep 0.05; done');
    capped = runContainer(containerName('cli-capped'), 'while :; do :; done', ['--cpus', '0.2']);
    outside = spawn('/bin/sh', ['-c', 'while :; do /bin/true; sleep 0.05; done'], { stdio: 'ignore' });
  }, 60_000);
  afterAll(() => {
    outside?.kill('SIGKILL');
    removeAll();
    service?.stop();
  });

  it('only the two containers, named; the capped one throttled in --json', () => {
    const r = spawnSync(
      process.execPath,
      [BIN, '--json', '-n', '4', '--probes', 'exec,containers', '--cgroup', execer.name, '--cgroup', capped.name, '--container-socket', service!.socket],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    const execs = lines.flatMap((l) => l.exec ?? []);
    expect(execs.length).toBeGreaterThan(10);
    expect(execs.every((e) => e.cgroup.path === execer.cgroup && e.cgroup.name === execer.name)).toBe(true);
    expect(execs.some((e) => e.ppid === outside!.pid)).toBe(false);
    const rows = lines.flatMap((l) => l.containers?.rows ?? []);
    expect(rows.every((row) => row.cgroup.path === execer.cgroup || row.cgroup.path === capped.cgroup)).toBe(true);
    const cappedRows = rows.filter((row) => row.cgroup.path === capped.cgroup);
    expect(cappedRows.length).toBeGreaterThan(0);
    expect(cappedRows[0]).toMatchObject({ kind: 'container', runtime: 'podman', container_id: capped.id, cgroup: { name: capped.name } });
    expect(cappedRows.reduce((a, row) => a + (row.throttled ?? 0), 0)).toBeGreaterThan(0);
  }, 90_000);

  it('a --cgroup that matches nothing says so in one line and lets nothing through', () => {
    const r = spawnSync(process.execPath, [BIN, '--json', '-n', '2', '--probes', 'exec', '--cgroup', '/no/such/cgroup'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual(['perfscope: --cgroup /no/such/cgroup: no such cgroup now (nothing passes until it appears)']);
    const execs = r.stdout
      .trim()
      .split('\n')
      .flatMap((l) => JSON.parse(l).exec ?? []);
    expect(execs).toEqual([]);
  }, 60_000);
});
