// Real containers for the tests: podman runs a busybox root file system (no registry, no image):
// `podman run --rootfs DIR`. podman's default rlimits (nofile 1048576) exceed this sandbox's
// hard limits and podman 4.3 does not apply --ulimit over them, so a containers.conf of the
// test's own lowers the defaults (CONTAINERS_CONF). Every container a test starts is removed
// (`podman rm -f`), also when the test fails (removeAll in afterAll).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p)) ?? null;

/** Why the container tests cannot run here, or null. */
export const noPodman: string | null = (() => {
  if (process.getuid?.() !== 0) return 'not root';
  if (!BUSYBOX) return 'no busybox';
  const r = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'no podman';
})();

let dir: string | null = null;
const started = new Set<string>();

function workDir(): string {
  if (dir) return dir;
  dir = mkdtempSync(join(tmpdir(), 'perfscope-podman-'));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX!, join(root, 'bin/busybox'));
  for (const a of ['sh', 'true', 'sleep', 'cat', 'taskset', 'ls', 'echo']) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(dir, 'containers.conf'), '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n');
  return dir;
}

function podman(args: string[], timeout = 60_000) {
  return spawnSync('podman', args, { encoding: 'utf8', timeout, env: { ...process.env, CONTAINERS_CONF: join(workDir(), 'containers.conf') } });
}

export interface Container {
  name: string;
  id: string;
  /** Its cgroup in the v2 hierarchy ("/libpod_parent/libpod-<id>" with the cgroupfs manager). */
  cgroup: string;
  pid: number;
}

let seq = 0;
/** A unique container name for this test process. */
export function containerName(what: string): string {
  return `perfscope-t${process.pid}-${what}-${++seq}`;
}

/** Start a container running `script` with /bin/sh; `extra`: podman run flags (--cpus 0.2, --cpuset-cpus 0). */
export function runContainer(name: string, script: string, extra: string[] = []): Container {
  const root = join(workDir(), 'root');
  started.add(name);
  const r = podman(['run', '-d', '--rm', '--name', name, ...extra, '--rootfs', root, '/bin/sh', '-c', script]);
  if (r.status !== 0) throw new Error(`podman run ${name}: ${r.stderr.trim()}`);
  const id = r.stdout.trim().split('\n').pop()!;
  const pid = Number(podman(['inspect', name, '--format', '{{.State.Pid}}']).stdout.trim());
  const line = spawnSync('cat', [`/proc/${pid}/cgroup`], { encoding: 'utf8' })
    .stdout.split('\n')
    .find((l) => l.startsWith('0::'));
  return { name, id, pid, cgroup: line ? line.slice(3) : '' };
}

/** Remove a container (at once: -t 0). */
export function removeContainer(name: string): void {
  podman(['rm', '-f', '-t', '0', name]);
  started.delete(name);
}

/** Remove every container this process started, and the work directory. */
export function removeAll(): void {
  for (const n of [...started]) removeContainer(n);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
}

/** `podman system service` on a socket of the test's own (the Docker-compatible API); stop() ends it. */
export async function podmanService(): Promise<{ socket: string; stop: () => void }> {
  const socket = join(workDir(), `api-${++seq}.sock`);
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
    stdio: 'ignore',
    env: { ...process.env, CONTAINERS_CONF: join(workDir(), 'containers.conf') },
  });
  for (let i = 0; i < 100 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(socket)) {
    child.kill();
    throw new Error('podman system service did not make its socket');
  }
  return {
    socket,
    stop: () => {
      child.kill('SIGTERM');
    },
  };
}
