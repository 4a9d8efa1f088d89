import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../../src/cli/args.js';
import { formatCpuList } from '../../src/model/format.js';
import { parseCpuList } from '../../src/probes/cpus.js';
import { CATALOGUE } from '../../src/catalogue/catalogue.js';

const cpus = [0, 1];
const bad = (argv: string[], re: RegExp) => {
  expect(() => parseOptions(argv, cpus)).toThrow(UsageError);
  expect(() => parseOptions(argv, cpus)).toThrow(re);
};

describe('parseOptions', () => {
  it('defaults: all probes, 1 s, unpinned, screen', () => {
    const o = parseOptions([], cpus);
    // Every probe of the catalogue that does not start off (the profile), in its order.
    expect(o.probes).toEqual(CATALOGUE.filter((s) => !s.startsOff).map((s) => s.name));
    const today = ['offcpu', 'runqlat', 'exec', 'open', 'tcp', 'proc', 'trace', 'isolation'];
    expect(o.probes.filter((p) => today.includes(p))).toEqual(today);
    expect(o).toMatchObject({ cpu: null, pid: null, intervalS: 1, json: false, count: null, noBpf: false });
  });
  it('--cgroup (repeatable) and --container-socket; an empty one is one line', () => {
    expect(parseOptions(['--cgroup', 'web', '--cgroup', '/system.slice/x.service', '--container-socket', '/run/s.sock'], cpus)).toMatchObject({
      cgroups: ['web', '/system.slice/x.service'],
      containerSocket: '/run/s.sock',
    });
    expect(parseOptions([], cpus)).toMatchObject({ cgroups: [], containerSocket: null });
    expect(() => parseOptions(['--cgroup', ' '], cpus)).toThrow(/--cgroup needs a cgroup path/);
    expect(() => parseOptions(['--container-socket', ''], cpus)).toThrow(/--container-socket needs a path/);
  });

  it('parses every flag', () => {
    const o = parseOptions(['-C', '1', '-p', '42', '-i', '0.5', '--probes', 'runqlat,proc', '--json', '--count', '3', '--no-bpf', '-c', 'nginx'], cpus);
    expect(o).toMatchObject({ cpu: 1, pid: 42, intervalS: 0.5, probes: ['runqlat', 'proc'], json: true, count: 3, noBpf: true, comm: 'nginx' });
  });
  it('-C isolated pins the first isolated CPU; with none it is one line', () => {
    expect(parseOptions(['-C', 'isolated'], [0, 1, 2, 3], undefined, [2, 3]).cpu).toBe(2);
    expect(() => parseOptions(['-C', 'isolated'], cpus)).toThrow(UsageError);
    expect(() => parseOptions(['-C', 'isolated'], cpus)).toThrow(/^-C isolated: this host has no isolated CPU \(.*\)$/);
  });
  it('rejects bad input with one line', () => {
    bad(['--nope'], /Unknown option '--nope'/);
    bad(['-C', '7'], /CPU 7 is not online \(online: 0-1\)/);
    bad(['-C', 'x'], /whole number/);
    bad(['-C', '-1'], /.+/);
    bad(['-i', '0'], /between 0.1 and 3600/);
    bad(['-i', 'abc'], /number of seconds/);
    bad(['--probes', 'runqlat,bogus'], /unknown probe 'bogus'/);
    bad(['--probes', ''], /at least one/);
    bad(['--count', '2'], /only goes with --json/);
    bad(['--json', '--count', '0'], />= 1/);
    bad(['-p', '0'], />= 1/);
    bad(['extra'], /.+/);
    for (const argv of [['--nope'], ['-C', '9'], ['-i', 'abc']]) {
      try {
        parseOptions(argv, cpus);
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    }
  });
});

describe('CPU lists', () => {
  it('parses and formats sysfs CPU lists', () => {
    expect(parseCpuList('0-3,5,7-8\n')).toEqual([0, 1, 2, 3, 5, 7, 8]);
    expect(formatCpuList([0, 1, 2, 3, 5, 7, 8])).toBe('0-3,5,7-8');
    expect(() => parseCpuList('0-a')).toThrow(/bad CPU list/);
  });
});
