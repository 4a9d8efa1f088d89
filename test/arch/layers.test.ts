// Layers point one way: nothing under src/store/ or src/ui/ reaches the native addon's loader
// (src/bpf/addon.ts) through static imports, other than `import type` (erased) and the
// catalogue's lazy `import()` of a probe's implementation when it is started.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../helpers/src.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const ADDON = join(SRC, 'bpf', 'addon.ts');

/** The relative modules a file imports at run time (static imports and re-exports, not types). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    // `import { type A, type B } from` imports nothing at run time either.
    const clause = m[0].slice(0, m[0].lastIndexOf('from'));
    if (/\{/.test(clause) && !/\{\s*(?:(?!type\b)\w+\s*(?:as\s+\w+)?\s*,?\s*|type\s+\w+\s*(?:as\s+\w+)?\s*,?\s*)*\}/.test(clause)) continue;
    const names = /\{([^}]*)\}/.exec(clause)?.[1];
    if (names && !/\*/.test(clause) && names.split(',').every((n) => /^\s*type\s/.test(n) || n.trim() === '') && !/import\s+\w+\s*,/.test(clause)) continue;
    const base = resolve(dirname(file), m[2].replace(/\.js$/, ''));
    const hit = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')].find((p) => existsSync(p));
    if (hit) out.push(hit);
  }
  return out;
}

function reaches(from: string, target: string): string[] | null {
  const seen = new Set<string>();
  const walk = (f: string, path: string[]): string[] | null => {
    if (f === target) return path;
    if (seen.has(f)) return null;
    seen.add(f);
    for (const next of runtimeImports(f)) {
      const p = walk(next, [...path, next]);
      if (p) return p;
    }
    return null;
  };
  return walk(from, [from]);
}

describe('layers', () => {
  const upper = sourceFiles(SRC).filter((f) => /^(store|ui)\//.test(relative(SRC, f)));

  it('the scan sees the store and the screen', () => {
    expect(upper.length).toBeGreaterThan(25);
  });

  it('no module of the store or the screen loads the native addon', () => {
    const paths = upper.map((f) => reaches(f, ADDON)).filter((p): p is string[] => p !== null);
    expect(paths.map((p) => p.map((f) => relative(SRC, f)).join(' -> '))).toEqual([]);
  });

  it('the check follows real imports (the probe implementations do reach the addon)', () => {
    expect(reaches(join(SRC, 'probes', 'offcpu.ts'), ADDON)).not.toBeNull();
    expect(reaches(join(SRC, 'cli', 'cli.ts'), ADDON)).not.toBeNull();
  });
});
