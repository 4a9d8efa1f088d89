// Recordings are written safely: `perfscope record -o PATH` (the real binary) refuses a symbolic
// link with one line and a non-zero exit, and leaves the link's target as it was; over an existing
// 0644 file the recording ends as 0600. openRecordingFile, which --record and `record` both use,
// also refuses a dangling link, a FIFO (without hanging), a directory, a file with another hard
// link and a file of another user, and makes a new file 0600 whatever the umask.
import { spawnSync } from 'node:child_process';
import { chownSync, closeSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecordingFile, RecordingFileError } from '../../src/sinks/recorder.js';
import { BIN } from '../helpers/perfscope.js';

const DIR = mkdtempSync(join(tmpdir(), 'perfscope-recfile-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function record(out: string) {
  return spawnSync(process.execPath, [BIN, 'record', '-o', out, '--probes', 'proc', '-i', '0.2', '--duration', '0.4s'], {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const mode = (p: string) => statSync(p).mode & 0o7777;

describe('record -o PATH', () => {
  it('a symbolic link is refused: one line, exit non-zero, its target unchanged', () => {
    const target = join(DIR, 'precious');
    writeFileSync(target, 'keep me\n', { mode: 0o644 });
    const link = join(DIR, 'link.psrec');
    symlinkSync(target, link);
    const r = record(link);
    expect(r.status).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/link\.psrec: is a symbolic link: refused/);
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
    expect(mode(target)).toBe(0o644);
  });

  it('over an existing 0644 file: the recording is written and the file ends 0600', () => {
    const f = join(DIR, 'old.psrec');
    writeFileSync(f, 'x'.repeat(100_000), { mode: 0o644 });
    expect(mode(f)).toBe(0o644);
    const r = record(f);
    expect(r.status, r.stderr).toBe(0);
    expect(mode(f)).toBe(0o600);
    const back = spawnSync(process.execPath, [BIN, 'replay', f, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(1);
  });
});

describe('openRecordingFile', () => {
  const refused = (p: string) => {
    try {
      closeSync(openRecordingFile(p));
    } catch (e) {
      return e;
    }
    return null;
  };

  it('a new file is 0600 whatever the umask', () => {
    const old = process.umask(0);
    try {
      const f = join(DIR, 'new.psrec');
      closeSync(openRecordingFile(f));
      expect(mode(f)).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });

  it("refuses a dangling link (and creates nothing through it), a FIFO without hanging, a directory, a second hard link, another user's file", () => {
    const dangling = join(DIR, 'dangling');
    symlinkSync(join(DIR, 'nowhere'), dangling);
    expect(refused(dangling)).toBeInstanceOf(RecordingFileError);
    expect(() => statSync(join(DIR, 'nowhere'))).toThrow();

    const fifo = join(DIR, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(String(refused(fifo))).toMatch(/not a regular file/);

    expect(refused(DIR)).not.toBeNull();

    const a = join(DIR, 'a');
    writeFileSync(a, 'a');
    linkSync(a, join(DIR, 'b'));
    expect(String(refused(a))).toMatch(/2 hard links/);
    expect(readFileSync(a, 'utf8')).toBe('a');

    const theirs = join(DIR, 'theirs');
    writeFileSync(theirs, 'theirs', { mode: 0o644 });
    chownSync(theirs, 65534, 65534);
    expect(String(refused(theirs))).toMatch(/owned by uid 65534/);
    expect(readFileSync(theirs, 'utf8')).toBe('theirs');
    expect(mode(theirs)).toBe(0o644);
  });
});
