// The module graph's plan (.dependency-cruiser.cjs): ranked folders, no import that points up a
// rank, no cycle, type-only and dynamic imports included. ./dev test runs the same check on the
// tree; this test shows that it passes on the tree and fails on a module that breaks the plan.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyTree, removeTreeCopies, ROOT } from '../helpers/tree-copy.js';

const CRUISER = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

/** depcruise over src/ and bench/ of `dir`, with the project's rules: exit code and output. */
function cruise(dir: string): { code: number; out: string } {
  const r = spawnSync(CRUISER, ['src', 'bench', '--config', path.join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** A copy of the tree's sources, with `extra` files added (path under the copy -> text). */
function treeWith(extra: Readonly<Record<string, string>>): string {
  const dir = copyTree('deps', ['src', 'bench', 'tsconfig.json', 'package.json']);
  for (const [f, text] of Object.entries(extra)) writeFileSync(path.join(dir, f), text);
  return dir;
}

afterAll(removeTreeCopies);

describe('the module graph', () => {
  it('has no cycle and no import that points up a rank', () => {
    const r = cruise(ROOT);
    expect(r.out).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('fails on a module that imports upward, even for a type only', () => {
    const r = cruise(treeWith({ 'src/model/upward.ts': "import type { AppState } from '../store/store.js';\nexport type X = AppState;\n" }));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/rank-0-points-up: src\/model\/upward\.ts → src\/store\/store\.ts/);
  });

  it('fails on a cycle inside one rank, even through a dynamic import', () => {
    const r = cruise(
      treeWith({
        'src/probes/cycle-a.ts': "export const a = async () => (await import('./cycle-b.js')).b;\n",
        'src/probes/cycle-b.ts': "import { a } from './cycle-a.js';\nexport const b = a;\n",
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-circular: src\/probes\/cycle-(a|b)\.ts/);
  });
});
