// Adding a probe touches new files and one line of each catalogue (the data catalogue and the
// views): this test adds one, the ticks probe (its data spec, implementation, view and a test of
// its own, from test/arch/add-probe/), to a copy of the tree, with no other edit, and runs the
// module-graph check, the type check of the whole suite and the test files that need neither
// root nor BPF nor a build (every test that lists or counts probes is among them). The tests
// that attach real probes are left out of the copy's run: the ticks probe has no kernel side,
// and they take minutes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { copyTree, removeTreeCopies, ROOT } from '../helpers/tree-copy.js';
const HERE = fileURLToPath(new URL('./add-probe/', import.meta.url));
const BIN = (tool: string) => path.join(ROOT, 'node_modules', '.bin', tool);

/** Test files of the copy that run without root, BPF or a build. */
const PURE = [
  'test/ui',
  'test/arch/catalogue.test.tsx',
  'test/arch/names.test.ts',
  'test/arch/layers.test.ts',
  'test/arch/ticks.test.tsx',
  'test/sinks',
  'test/replay',
  'test/model',
  'test/store',
  'test/cli/args.test.ts',
  'test/proc/model.test.ts',
];

/** Insert `line` after the last line of `file` that matches `after`. */
function addLine(file: string, after: RegExp, line: string): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.map((l) => after.test(l)).lastIndexOf(true);
  if (i < 0) throw new Error(`${file}: no line matches ${after}`);
  lines.splice(i + 1, 0, line);
  writeFileSync(file, lines.join('\n'));
}

afterAll(removeTreeCopies);

describe('adding a probe', () => {
  it('new files and one line in each catalogue: the graph check, the type check and the tests that list probes pass', () => {
    const dir = copyTree('add-probe', [
      'src',
      'bench',
      'bpf',
      'test',
      'tsconfig.json',
      'tsconfig.test.json',
      'vitest.config.ts',
      'package.json',
      '.dependency-cruiser.cjs',
    ]);
    copyFileSync(path.join(HERE, 'ticks-spec.ts'), path.join(dir, 'src/probes/ticks-spec.ts'));
    copyFileSync(path.join(HERE, 'ticks.ts'), path.join(dir, 'src/probes/ticks.ts'));
    copyFileSync(path.join(HERE, 'ticks-view.ts'), path.join(dir, 'src/views/ticks.ts'));
    copyFileSync(path.join(HERE, 'ticks.test.tsx'), path.join(dir, 'test/arch/ticks.test.tsx'));
    // The one line of each catalogue, and the import that line names.
    const cat = path.join(dir, 'src/catalogue/catalogue.ts');
    addLine(cat, /^import .* from '\.\.\/probes\/\w+-spec\.js';$/, "import { ticks } from '../probes/ticks-spec.js';");
    addLine(cat, /^ {2}entry\(/, "  entry(ticks, async () => new (await import('../probes/ticks.js')).TicksProbe()),");
    const views = path.join(dir, 'src/views/views.ts');
    addLine(views, /^import \{ \w+View \} from '\.\/\w+\.js';$/, "import { ticksView } from './ticks.js';");
    addLine(views, /^ {2}\w+: \w+View,$/, '  ticks: ticksView,');

    const run = (cmd: string, args: string[]) => {
      const r = spawnSync(cmd, args, {
        cwd: dir,
        encoding: 'utf8',
        timeout: 300_000,
        env: { ...process.env, PERFSCOPE_REQUIRE_BPF: '', NO_COLOR: '1', FORCE_COLOR: '0' },
      });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    const deps = run(BIN('depcruise'), ['src', 'bench', '--config', '.dependency-cruiser.cjs', '--output-type', 'err']);
    expect(deps.out).toContain('no dependency violations found');
    const tsc = run(BIN('tsc'), ['-p', 'tsconfig.test.json']);
    expect(tsc.out).toBe('');
    expect(tsc.code).toBe(0);
    const tests = run(BIN('vitest'), ['run', ...PURE]);
    expect(tests.code, tests.out.slice(-3000)).toBe(0);
    expect(tests.out).toMatch(/Test Files +\d+ passed/);
    expect(tests.out).not.toMatch(/Tests? (Files)? .*\d+ failed/);
    expect(tests.out).toContain('ticks.test.tsx');
    // Three tools run one after the other on a copy (the graph, the types, test/ui and more): more
    // than the default minute on a loaded 2-CPU host.
  }, 300_000);
});
