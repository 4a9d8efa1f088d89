// One probe, one place: outside the catalogue, the bench and the probe's own files (those whose
// name holds the probe's, e.g. src/probes/runqlat-spec.ts, src/ui/components/RunqlatPane.tsx),
// no source file names a probe: not as a string ('runqlat'), not as the key of a probe's slot in
// the store or an interval (data.runqlat, health.runqlat, feeds.exec, ...). And a probe's kernel
// side is found by its name: bpf/<name>.bpf.c, its own object, or bpf/<name>.bpf.h, its part of an
// object it shares (the scheduler probes' bpf/sched.bpf.c), which that object includes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';
import { sourceFiles } from '../helpers/src.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const BPF = fileURLToPath(new URL('../../bpf/', import.meta.url));

/** Code without its comments (a comment may say what a probe does; code may not name it). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Files where a probe's name is another word that happens to be spelt the same, and why. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  // BpfStage 'open': the first stage of a BPF object's life (bpf_object__open), not the open feed.
  'bpf/error.ts': ['open'],
};

/** A probe's name as a string, or as the key of its slot in the store or an interval. */
function slotUses(name: string, flags = 'g'): RegExp {
  return new RegExp(`['"\`]${name}['"\`]|\\b(?:data|health|feeds|shownFeeds|filters|enabled|probes|trend\\[\\w*\\]|p)\\??\\.${name}\\b`, flags);
}

describe('probe names', () => {
  const files = sourceFiles(SRC).filter(
    (f) => !relative(SRC, f).startsWith('bench/') && !['catalogue/catalogue.ts', 'views/views.ts', 'ui/panes.tsx'].includes(relative(SRC, f)),
  );

  it('the scan sees the tree', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  for (const { name } of CATALOGUE) {
    it(`only the catalogue and ${name}'s own files name '${name}'`, () => {
      const uses = slotUses(name);
      const offenders: string[] = [];
      for (const f of files) {
        if (basename(f).toLowerCase().includes(name) || ALLOWED[relative(SRC, f)]?.includes(name)) continue;
        const hits = code(readFileSync(f, 'utf8')).match(uses);
        if (hits) offenders.push(`${relative(SRC, f)}: ${[...new Set(hits)].join(' ')}`);
      }
      expect(offenders).toEqual([]);
    });
  }

  it('the check finds a name where one is written', () => {
    const uses = slotUses('runqlat', '');
    expect(uses.test(code('const x = s.shown?.data.runqlat;'))).toBe(true);
    expect(uses.test(code('s.health.runqlat.state'))).toBe(true);
    expect(uses.test(code("focus === 'runqlat'"))).toBe(true);
    expect(uses.test(code('// runqlat: in a comment'))).toBe(false);
  });
});

describe('kernel sides by name', () => {
  const objects = readdirSync(BPF).filter((f) => f.endsWith('.bpf.c'));

  for (const { name } of CATALOGUE.filter((p) => p.bpf)) {
    it(`${name}: bpf/${name}.bpf.c, or bpf/${name}.bpf.h included by an object`, () => {
      if (existsSync(join(BPF, `${name}.bpf.c`))) return;
      expect(existsSync(join(BPF, `${name}.bpf.h`)), `bpf/${name}.bpf.c or bpf/${name}.bpf.h`).toBe(true);
      const includers = objects.filter((f) => readFileSync(join(BPF, f), 'utf8').includes(`#include "${name}.bpf.h"`));
      expect(includers, `an object that includes bpf/${name}.bpf.h`).not.toEqual([]);
    });
  }
});
