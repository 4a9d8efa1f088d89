// Readable across versions (issue 28): each committed recording of a released format version
// (test/replay/fixtures/) replays with this perfscope — every record read, none skipped, and all
// the data each record holds is in the replayed line (a later perfscope may add keys, never drop
// or change one) — and a recording of a newer format than this perfscope reads is one clear line
// and exit 2, as a file and as a shard of a directory.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/perfscope.js';
import { FORMAT_VERSION, readRecording } from '../../src/replay/format.js';
import { shardName } from '../../src/replay/shards.js';

const FIXTURES = fileURLToPath(new URL('../replay/fixtures/', import.meta.url));
const DIR = mkdtempSync(join(tmpdir(), 'perfscope-versions-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** Every value of `old` is in `now` at the same place (objects may have gained keys). */
function holds(now: unknown, old: unknown, at: string): void {
  if (old === null || typeof old !== 'object') {
    expect(now, at).toEqual(old);
    return;
  }
  if (Array.isArray(old)) {
    expect(Array.isArray(now), at).toBe(true);
    expect((now as unknown[]).length, at).toBe(old.length);
    old.forEach((x, i) => holds((now as unknown[])[i], x, `${at}[${i}]`));
    return;
  }
  for (const [k, x] of Object.entries(old)) holds((now as Record<string, unknown>)?.[k], x, `${at}.${k}`);
}

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.psrec'));

describe('recordings of every released format version replay', () => {
  it("there is one for this perfscope's version", () => {
    expect(files).toContain(`format-v${FORMAT_VERSION}.psrec`);
  });

  for (const f of files) {
    it(`${f}: every record, with all its data`, () => {
      const file = join(FIXTURES, f);
      const raw = readRecording(readFileSync(file));
      if (!raw.ok) throw new Error(raw.error);
      expect(raw.stop).toBeNull();
      expect(raw.lines.length).toBeGreaterThan(0);
      const r = run(['replay', file, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const got = r.stdout.split('\n').filter(Boolean);
      expect(got).toHaveLength(raw.lines.length);
      raw.lines.forEach((l, i) => holds(JSON.parse(got[i]), JSON.parse(l), `record ${i + 1}`));
      // Some probe data really is there (not a file of empty intervals).
      expect(raw.lines.some((l) => /"exec":\[\{/.test(l) || /"open":\[\{/.test(l))).toBe(true);
    });
  }

  it('a newer format: one line, exit 2 (a file, and a shard of a directory)', () => {
    const buf = Buffer.from(readFileSync(join(FIXTURES, `format-v${FORMAT_VERSION}.psrec`)));
    buf.writeUInt16LE(FORMAT_VERSION + 1, 8);
    const file = join(DIR, 'newer.psrec');
    writeFileSync(file, buf);
    const dir = join(DIR, 'd');
    mkdirSync(dir);
    writeFileSync(join(dir, shardName(Date.now())), buf);
    for (const target of [file, dir]) {
      const r = run(['replay', target, '--json']);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`format version ${FORMAT_VERSION + 1} is newer than this perfscope reads \\(${FORMAT_VERSION}\\)`));
    }
  });
});
