// A copy of parts of the repository in a temporary folder, for tests that change the tree to
// show what a check makes of the change (test/arch/deps.test.ts, test/arch/add-probe.test.ts).
// Packages resolve as in the tree: node_modules is a link to the tree's.
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const copies: string[] = [];

/** A fresh copy of `entries` (files and folders under the repository's root); removed by removeTreeCopies(). */
export function copyTree(prefix: string, entries: readonly string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), `perfscope-${prefix}-`));
  copies.push(dir);
  for (const f of entries) cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

export function removeTreeCopies(): void {
  for (const d of copies.splice(0)) rmSync(d, { recursive: true, force: true });
}
