// The saved configuration (src/cli/config.ts) on real files: written and read back the same;
// its place ($XDG_CONFIG_HOME, ~/.config, --config); a malformed file, one from a newer
// perfscope, a huge one or a directory: one line, the defaults, the file byte for byte as it was;
// a read-only file is read but marked not to be written; the store takes the screen settings.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_MAX_BYTES, configPath, configText, parseConfig, readConfig, writeConfig, type Config } from '../../src/ui/config-file.js';
import { parseOptions, UsageError } from '../../src/cli/args.js';
import { createAppStore, shownPanes, sortOf } from '../../src/store/store.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';

const dir = mkdtempSync(join(tmpdir(), 'perfscope-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG: Config = {
  intervalS: 2.5,
  probes: ['offcpu', 'runqlat', 'proc'],
  preset: 'custom',
  hidden: ['exec', 'tcp'],
  sort: { offcpu: { column: 'TOTAL', descending: false }, proc: { column: 'COMM', descending: true } },
  mouse: false,
};

describe('configuration file', () => {
  it('is found at --config, else $XDG_CONFIG_HOME/perfscope/perfscope.conf, else ~/.config', () => {
    expect(configPath('/x/y.conf', {})).toBe('/x/y.conf');
    expect(configPath(null, { XDG_CONFIG_HOME: '/cfg', HOME: '/home/u' })).toBe('/cfg/perfscope/perfscope.conf');
    expect(configPath(null, { XDG_CONFIG_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.config/perfscope/perfscope.conf');
    expect(configPath(null, { HOME: '/home/u' })).toBe('/home/u/.config/perfscope/perfscope.conf');
  });
  it('written, then read back the same (mode 0600, its directory made)', () => {
    const path = join(dir, 'new', 'perfscope.conf');
    expect(readConfig(path)).toEqual({ kind: 'missing' });
    expect(writeConfig(path, CONFIG)).toBe(null);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const r = readConfig(path);
    expect(r).toEqual({ kind: 'ok', config: CONFIG, readOnly: false });
    expect(readFileSync(path, 'utf8')).toContain('version: 1');
  });
  it('malformed, newer, unknown, too large, not a file: one line, no config, the file unchanged', () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['bad-yaml.conf', 'version: 1\ninterval: [1,\n', /not valid YAML/],
      ['newer.conf', 'version: 99\ninterval: 1\n', /newer perfscope \(version 99/],
      ['unknown.conf', 'version: 1\ncolour: red\n', /unknown setting "colour"/],
      ['interval.conf', 'version: 1\ninterval: -4\n', /interval:/],
      ['noversion.conf', 'interval: 1\n', /version/],
      ['sort.conf', 'version: 1\nsort:\n  offcpu: MAX\n', /sort: offcpu/],
      ['escape.conf', 'version: 1\npreset: "\\e]0;pwned\\a"\n', /preset/],
      ['large.conf', `version: 1\n#${'x'.repeat(CONFIG_MAX_BYTES)}\n`, /larger than/],
    ];
    for (const [name, text, why] of cases) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const before = readFileSync(path);
      const r = readConfig(path);
      expect(r.kind, name).toBe('bad');
      if (r.kind !== 'bad') continue;
      expect(r.message, name).toMatch(why);
      expect(r.message, name).not.toContain('\n');
      expect(r.message, name).not.toContain('\x1b');
      expect(r.message, name).toContain('using the defaults');
      expect(readFileSync(path).equals(before), name).toBe(true);
    }
    const sub = join(dir, 'a-directory');
    mkdirSync(sub);
    expect(readConfig(sub).kind).toBe('bad');
  });
  it('a read-only file is read and marked so (the caller does not write it)', () => {
    const path = join(dir, 'ro.conf');
    writeFileSync(path, configText(CONFIG));
    chmodSync(path, 0o444);
    expect(readConfig(path)).toEqual({ kind: 'ok', config: CONFIG, readOnly: true });
  });
  it('an empty file is an empty configuration; YAML aliases are refused', () => {
    expect(parseConfig('')).toEqual({ config: {} });
    expect('error' in parseConfig('version: 1\nprobes: &a [offcpu]\nhidden: *a\n')).toBe(true);
  });
  it('the command line: --config, --no-save, --no-mouse; -i and --probes given win over the file', () => {
    const o = parseOptions(['--config', '/tmp/x.conf', '--no-save', '--no-mouse'], [0, 1], SCREEN_CATALOGUE, []);
    expect([o.config, o.noSave, o.noMouse, o.intervalGiven, o.probesGiven]).toEqual(['/tmp/x.conf', true, true, false, false]);
    const g = parseOptions(['-i', '2', '--probes', 'proc'], [0, 1], SCREEN_CATALOGUE, []);
    expect([g.intervalGiven, g.probesGiven]).toEqual([true, true]);
    expect(() => parseOptions(['--config'], [0, 1], SCREEN_CATALOGUE, [])).toThrow(UsageError);
  });
  it('the store takes the saved screen: shown panes, sort columns; names it does not know are dropped', () => {
    const store = createAppStore({
      catalogue: SCREEN_CATALOGUE,
      host: { hostname: 'h', kernel: 'k', cpus: [0, 1] },
      intervalS: 1,
      pinnedCpu: null,
      enabled: ['offcpu'],
      mouse: false,
      settings: {
        ...CONFIG,
        hidden: [...CONFIG.hidden!, 'no-such-pane'],
        sort: { ...CONFIG.sort, offcpu: { column: 'NOPE', descending: true }, trace: { column: 'RATE', descending: false } },
      },
    });
    const s = store.getState();
    expect(shownPanes(s)).not.toContain('exec');
    expect(shownPanes(s)).not.toContain('tcp');
    expect(shownPanes(s)).toContain('offcpu');
    expect(s.preset).toBe('custom');
    expect(sortOf(s, 'offcpu')).toEqual({ column: 'MAX', descending: true }); // unknown column: the default
    expect(sortOf(s, 'proc')).toEqual({ column: 'COMM', descending: true });
    expect(sortOf(s, 'trace')).toEqual({ column: 'RATE', descending: false });
    expect(s.mouse).toBe(false);
  });
});
