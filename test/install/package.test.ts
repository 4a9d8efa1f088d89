// The npm package on a host that cannot build anything: `npm pack` (its prepack builds), then,
// in a mount namespace where every compiler, linker, make and bpftool is /dev/null and the
// repository's node_modules, build/ and dist/ are empty, `npm install -g` of the tarball into a
// temporary prefix with no registry and an empty cache, and the installed command run from a
// directory outside the repository: every BPF probe that starts by default is running in its
// --json lines, and so is profile when asked for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { noBpf, requireBpf } from '../helpers/bpf.js';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** What an install could compile with; hidden inside the namespace wherever PATH finds them. */
const TOOLS = ['clang', 'clang-16', 'gcc', 'g++', 'cc', 'c++', 'make', 'bpftool', 'ld'];

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const cannot = process.getuid?.() !== 0 ? 'not root' : !has('unshare') ? 'no unshare(1)' : !has('npm') ? 'no npm' : null;
if (cannot && requireBpf) throw new Error(`the package test is required (PERFSCOPE_REQUIRE_BPF=1) but cannot run: ${cannot}`);

const DEFAULT_BPF = CATALOGUE.filter((s) => s.bpf && !s.startsOff).map((s) => s.name);

// Runs inside `unshare -m --propagation private`: nothing it mounts is seen outside.
// biome-ignore lint/complexity/noUselessStringRaw: raw, so that a backslash added to the script reaches sh as written
const NAMESPACE_SCRIPT = String.raw`
set -eu
hidden=""
for t in $TOOLS; do
  for d in $(echo "$PATH" | tr ':' ' '); do
    [ -e "$d/$t" ] || continue
    f=$(readlink -f "$d/$t")
    case " $hidden " in *" $f "*) continue ;; esac
    mount --bind /dev/null "$f"
    hidden="$hidden $f"
  done
done
for t in $TOOLS; do
  if command -v "$t" >/dev/null && "$t" --version >/dev/null 2>&1; then echo "still runs: $t" >&2; exit 3; fi
done
echo "hidden:$hidden"
for d in node_modules build dist; do if [ -d "$REPO/$d" ]; then mount -t tmpfs tmpfs "$REPO/$d"; fi; done
cd "$WORK"
npm install -g --prefix "$PREFIX" "$TARBALL" --offline --no-audit --no-fund --loglevel=error
"$PREFIX/bin/perfscope" --json --count 2 > default.ndjson
"$PREFIX/bin/perfscope" --json --count 2 --probes profile > profile.ndjson
`;

type Line = { probes: Record<string, { state: string; reason?: string }> };
const lines = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

describe.skipIf(noBpf || cannot !== null)('the npm package, installed where nothing can be compiled', () => {
  let tmp = '';
  let tarball = '';
  let prefix = '';
  let work = '';
  let run: ReturnType<typeof spawnSync> | null = null;

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'perfscope-package-'));
    prefix = path.join(tmp, 'prefix');
    work = path.join(tmp, 'work');
    mkdirSync(work);
    // prepack runs `make -s build` (nothing to do after the suite's own set-up).
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 }),
    ) as { filename: string }[];
    tarball = path.join(tmp, packed[0].filename);
    const env = {
      ...process.env,
      TOOLS: TOOLS.join(' '),
      REPO,
      WORK: work,
      PREFIX: prefix,
      TARBALL: tarball,
      // Nothing from a registry: none is reachable, and the cache is new and empty.
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: path.join(tmp, 'npm-cache'),
      npm_config_update_notifier: 'false',
    };
    run = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', NAMESPACE_SCRIPT], { env, encoding: 'utf8', timeout: 120_000 });
  }, 660_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installs and runs with the compilers hidden', () => {
    expect(run?.stderr, String(run?.stderr)).toBe('');
    expect(run?.status).toBe(0);
    // Every tool this host has was hidden (and so failed to run inside the namespace).
    const hidden =
      String(run?.stdout)
        .match(/^hidden:(.*)$/m)?.[1]
        .trim()
        .split(' ') ?? [];
    for (const t of TOOLS.filter(has)) {
      const real = execFileSync('sh', ['-c', `readlink -f "$(command -v ${t})"`], { encoding: 'utf8' }).trim();
      expect(hidden, t).toContain(real);
    }
    expect(hidden).toEqual(expect.arrayContaining([expect.stringMatching(/clang/), expect.stringMatching(/gcc|cc/)]));
  });

  it('ships the prebuilt objects, the addon with libbpf inside, and the bundle: no sources, no node_modules', () => {
    const root = path.join(prefix, 'lib', 'node_modules', 'perfscope');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? files(path.join(dir, d.name)) : [path.relative(root, path.join(dir, d.name))],
      );
    const all = files(root);
    expect(existsSync(path.join(root, 'node_modules'))).toBe(false);
    expect(all.filter((f) => /\.(tsx?|map|c|cc|h)$/.test(f) || f.startsWith('test/') || f.startsWith('src/'))).toEqual([]);
    for (const f of [
      'bin/perfscope.js',
      'dist/perfscope.js',
      'dist/perfscope-app.js',
      'dist/perfscope-ui.js',
      'dist/perfscope-react-dev.cjs',
      'build/perfscope.node',
      'build/perfscope-parser',
      'build/bpf/sched.bpf.o',
    ])
      expect(all, f).toContain(f);
    expect(all.filter((f) => /^build\/bpf\/(benchfloor|selftest)/.test(f))).toEqual([]);
    const ldd = execFileSync('ldd', [path.join(root, 'build', 'perfscope.node')], { encoding: 'utf8' });
    expect(ldd).not.toMatch(/libbpf/);
    expect(ldd).not.toMatch(/not found/);
    // The symbolizer's parser process: its libraries (libseccomp, libdw, libelf) are there too.
    expect(execFileSync('ldd', [path.join(root, 'build', 'perfscope-parser')], { encoding: 'utf8' })).not.toMatch(/not found/);
    expect(statSync(tarball).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('runs every default BPF probe, and profile when asked, from outside the repository', () => {
    expect(DEFAULT_BPF.length).toBeGreaterThan(0);
    const def = lines(path.join(work, 'default.ndjson'));
    expect(def).toHaveLength(2);
    for (const l of def) for (const name of DEFAULT_BPF) expect(l.probes[name], name).toMatchObject({ state: 'running' });
    const prof = lines(path.join(work, 'profile.ndjson'));
    expect(prof).toHaveLength(2);
    for (const l of prof) expect(l.probes.profile).toMatchObject({ state: 'running' });
  });
});
