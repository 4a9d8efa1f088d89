// The containers pane on fixture rows: the columns, a hostile name escaped; Enter on a row sets
// --cgroup to its path through the store's control (again: off), G clears it; s steps the sort.
import { describe, expect, it } from 'vitest';
import { ContainersPane } from '../../src/ui/components/ContainersPane.js';
import { handleKey } from '../../src/ui/keys.js';
import type { ContainerRow, ContainersSample } from '../../src/probes/containers-spec.js';
import { FIXTURE_CATALOGUE, fixtureData, fixtureStore, RAW_CONTROL, screenEntry } from './fixtures.js';
import { renderWith, stripSgr } from './render.js';
import { fakeControl } from '../store/helpers.js';

const containers = screenEntry('containers');
const CATALOGUE = [...FIXTURE_CATALOGUE, containers];

function row(over: Partial<ContainerRow>): ContainerRow {
  const slots = new Array(27).fill(0);
  return {
    cgroup: { id: 1, path: '/', name: '/' },
    kind: 'root',
    runtime: null,
    container_id: null,
    pod: null,
    cpu_pct: 12.5,
    runq: slots,
    runq_count: 10,
    runq_sum_us: 100,
    runq_p50_us: 8,
    runq_p99_us: 40,
    offcpu_max_us: 1500,
    offcpu_max_pid: 42,
    offcpu_max_comm: 'sleep',
    periods: 0,
    throttled: 0,
    throttled_us: 0,
    pressure: { cpu: 1, memory: 0, io: null },
    memory_bytes: 1 << 20,
    memory_limit: null,
    events_per_s: { exec: 20, open: 3 },
    ...over,
  };
}

function sample(): ContainersSample {
  return {
    rows: [
      row({
        cgroup: { id: 500, path: '/libpod_parent/libpod-abc', name: 'web' },
        kind: 'container',
        runtime: 'podman',
        runq_p99_us: 9000,
        cpu_pct: 19.9,
        throttled: 9,
        throttled_us: 640_000,
        memory_limit: 256 << 20,
      }),
      row({ cgroup: { id: 7, path: '/evil', name: 'evil\\e]0;pwned\\a' }, kind: 'cgroup' }),
      row({}),
    ],
    more: 0,
    overflow: 0,
  };
}

const store = () => fixtureStore({ catalogue: CATALOGUE, data: { ...fixtureData(), containers: sample() } });

describe('ContainersPane', () => {
  it('one row per cgroup: name, CPU, run-queue p50/p99, worst off-CPU and who, throttling, pressure, memory', () => {
    const r = renderWith(store(), <ContainersPane spec={containers} width={130} height={10} />);
    const f = stripSgr(r.lastFrame() ?? '');
    expect(f).toContain('Containers and services (top by p99)');
    expect(f).toMatch(/NAME\s+CPU\s+RQ P50\s+RQ P99▼\s+WAITS\s+OFF MAX\s+BY\s+THROTL\s+PSI C\/M\/I\s+MEM\/LIMIT\s+EVENTS\/S/);
    expect(f).toMatch(/web\s+20%\s+8us\s+9\.00ms\s+10\s+1\.50ms\s+sleep\s+640\.0ms\s+1\.0%\/0\.0%\/-\s+1\.0M\/256M\s+exec 20 open 3/);
    expect(f).toContain('evil\\e]0;pwned\\a');
    expect(r.lastFrame() ?? '').not.toMatch(RAW_CONTROL);
  });

  it('the screen sort (< > F6 I, a header click) orders the rows and marks its column', () => {
    const st = store();
    st.setState({ sort: { ...st.getState().sort, containers: { column: 'NAME', descending: false } } });
    const f = stripSgr(renderWith(st, <ContainersPane spec={containers} width={130} height={10} />).lastFrame() ?? '');
    expect(f).toMatch(/NAME▲/);
    const order = ['/ ', 'evil', 'web'].map((n) => f.indexOf(`│${n}`));
    expect(order.every((x) => x > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('cut short: the last row says how many more', () => {
    const f = stripSgr(renderWith(store(), <ContainersPane spec={containers} width={130} height={6} />).lastFrame() ?? '');
    expect(f).toMatch(/\+2 more/);
  });

  it('Enter on a row: --cgroup its path, through the control; Enter again: off; G: off', () => {
    const st = store();
    const c = fakeControl();
    const seen: (readonly string[])[] = [];
    st.getState().attach({ ...c, setCgroupFilter: (specs) => void seen.push(specs) });
    st.setState({ focus: 'containers' });
    handleKey(st.getState(), '', { return: true });
    expect(st.getState().cgroupFilter).toEqual(['/libpod_parent/libpod-abc']);
    expect(st.getState().notice).toMatch(/--cgroup \/libpod_parent\/libpod-abc/);
    handleKey(st.getState(), '', { return: true });
    expect(st.getState().cgroupFilter).toEqual([]);
    handleKey(st.getState(), '', { downArrow: true });
    handleKey(st.getState(), '', { return: true });
    expect(st.getState().cgroupFilter).toEqual(['/evil']);
    expect(handleKey(st.getState(), 'G', {})).toBe('handled');
    expect(st.getState().cgroupFilter).toEqual([]);
    expect(seen).toEqual([['/libpod_parent/libpod-abc'], [], ['/evil'], []]);
    expect(st.getState().detail).toBeNull();
  });

  it('s: the next sort column, asked of the probe', () => {
    const st = store();
    const c = fakeControl();
    st.getState().attach(c);
    st.setState({ focus: 'containers' });
    handleKey(st.getState(), 's', {});
    expect(c.calls).toEqual([{ fn: 'setOption', args: ['containers', 'containers-sort', 1] }]);
  });
});
