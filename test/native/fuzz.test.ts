// The parser's coverage-guided fuzz harness (native/parser/fuzz.cc: ELF tables, DWARF lookups,
// perf maps under libFuzzer with AddressSanitizer and UBSan), built and run for a bounded time
// from the seeds committed in test/native/fuzz-seeds/: no crash, no leak, no sanitizer report.
// scripts/fuzz-native.sh runs it for longer; docs/stacks.md gives the figures.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEEDS = path.join(ROOT, 'test/native/fuzz-seeds');

describe('parser fuzz harness', () => {
  it('runs 20 s from the seed corpus without a crash', () => {
    const make = spawnSync('make', ['-s', 'fuzz'], { cwd: ROOT, encoding: 'utf8' });
    expect(make.status, make.stderr).toBe(0);
    expect(readdirSync(SEEDS).length).toBeGreaterThanOrEqual(8);
    // A corpus of its own (libFuzzer adds to the first directory): the seeds stay as committed.
    const corpus = mkdtempSync(path.join(tmpdir(), 'perfscope-fuzz-'));
    try {
      const r = spawnSync(
        path.join(ROOT, 'build/fuzz-parser'),
        ['-max_total_time=20', '-max_len=65536', '-timeout=10', '-rss_limit_mb=2048', '-malloc_limit_mb=1024', `-artifact_prefix=${corpus}/`, corpus, SEEDS],
        { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 },
      );
      const done = /Done (\d+) runs/.exec(r.stderr);
      expect(r.stderr).not.toMatch(/ERROR: (AddressSanitizer|libFuzzer)|runtime error:/);
      expect(r.status).toBe(0);
      expect(done).not.toBeNull();
      expect(Number(done![1])).toBeGreaterThan(readdirSync(SEEDS).length);
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  }, 180_000);
});
