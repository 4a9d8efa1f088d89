// The packaged service (packaging/): the systemd unit passes `systemd-analyze verify`, its
// command line is one perfscope accepts, and the tmpfiles.d entry creates the recording directory
// mode 0700, root's. Skipped, saying why, where systemd's tools are not installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/perfscope.js';
import { parseOptions } from '../../src/cli/args.js';

const PKG = fileURLToPath(new URL('../../packaging/', import.meta.url));
const UNIT = join(PKG, 'systemd', 'perfscope-record.service');
const TMPFILES = join(PKG, 'tmpfiles.d', 'perfscope.conf');
const DIR = mkdtempSync(join(tmpdir(), 'perfscope-systemd-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const noAnalyze = has('systemd-analyze') ? null : 'systemd-analyze is not installed (package systemd)';
const noTmpfiles = has('systemd-tmpfiles') ? null : 'systemd-tmpfiles is not installed (package systemd)';
if (noAnalyze) console.warn(`skipped: ${noAnalyze}`);
if (noTmpfiles) console.warn(`skipped: ${noTmpfiles}`);

const execStart = () => /^ExecStart=(.*)$/m.exec(readFileSync(UNIT, 'utf8'))![1].split(/\s+/);

describe('packaging/systemd/perfscope-record.service', () => {
  it('its command line is one perfscope takes: record --dir /var/lib/perfscope, as a service', () => {
    const [cmd, ...args] = execStart();
    expect(cmd).toBe('/usr/bin/perfscope');
    const o = parseOptions(args, [0, 1]);
    expect(o).toMatchObject({ command: 'record', recordDir: '/var/lib/perfscope', shardS: 3600, retainS: 7 * 86_400, maxDisk: 2 * 1024 ** 3, json: false });
  });

  it.skipIf(noAnalyze !== null)('passes systemd-analyze verify', () => {
    // verify also checks that ExecStart's program exists: /usr/bin/perfscope is where a package
    // puts it, not this checkout, so the copy verified runs this checkout's bin instead (the
    // rest of the unit unchanged).
    const unit = readFileSync(UNIT, 'utf8').replace(/^ExecStart=\/usr\/bin\/perfscope /m, `ExecStart=${process.execPath} ${BIN} `);
    const copy = join(DIR, 'perfscope-record.service');
    writeFileSync(copy, unit);
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // Nothing said about this unit (verify may talk about other units of the host).
    expect(r.stderr.split('\n').filter((l) => l.includes('perfscope-record'))).toEqual([]);
  });
});

describe('packaging/tmpfiles.d/perfscope.conf', () => {
  it.skipIf(noTmpfiles !== null)("creates /var/lib/perfscope mode 0700, root's (in a scratch root)", () => {
    const root = join(DIR, 'root');
    const r = spawnSync('systemd-tmpfiles', ['--create', `--root=${root}`, TMPFILES], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const st = statSync(join(root, 'var/lib/perfscope'));
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(0);
  });
});
