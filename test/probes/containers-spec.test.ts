// The containers probe's data spec: --json round trip, and Prometheus with its cardinality bound
// (at most CONTAINERS_PROM_MAX container label values; later cgroups summed under "other").
import { describe, expect, it } from 'vitest';
import { idleRows } from '../../src/probes/cgroup/event-counts.js';
import { offcpu } from '../../src/probes/offcpu-spec.js';
import { containers, CONTAINERS_PROM_MAX, sortContainerRows, type ContainerRow, type ContainersSample } from '../../src/probes/containers-spec.js';

function row(i: number, over: Partial<ContainerRow> = {}): ContainerRow {
  const runq = new Array(27).fill(0);
  runq[3] = 2;
  runq[12] = 1;
  return {
    cgroup: { id: 100 + i, path: `/c${i}`, name: `c${i}` },
    kind: 'cgroup',
    runtime: null,
    container_id: null,
    pod: null,
    cpu_pct: i,
    runq,
    runq_count: 3,
    runq_sum_us: 4116,
    runq_p50_us: 10,
    runq_p99_us: 5000 + i,
    offcpu_max_us: null,
    offcpu_max_pid: null,
    offcpu_max_comm: null,
    periods: 10,
    throttled: 1,
    throttled_us: 2000,
    pressure: { cpu: null, memory: null, io: null },
    memory_bytes: null,
    memory_limit: null,
    events_per_s: {},
    ...over,
  };
}

describe('idle rows of a cumulative per-cgroup table', () => {
  it('none below three quarters full; then the rows that did not move', () => {
    const prev = new Map([
      [1, 5],
      [2, 7],
    ]);
    const cur = new Map([
      [1, 5],
      [2, 8],
      [3, 1],
    ]);
    const same = (a: number, b: number) => a === b;
    expect(idleRows(cur, prev, same, 8)).toEqual([]);
    expect(idleRows(cur, prev, same, 4)).toEqual([1]);
  });
});

describe('containers spec', () => {
  it('--json and back', () => {
    const s: ContainersSample = { rows: [row(1), row(2)], more: 0, overflow: 0 };
    const line = JSON.parse(JSON.stringify(containers.toJson(s)));
    expect(containers.fromJson(line)).toEqual(s);
    expect(containers.fromJson({ containers: null })).toBeNull();
    expect(() => containers.fromJson({ containers: { rows: 'x' } })).toThrow(/containers.rows: not an array/);
  });

  it('Prometheus: cumulative per container, at most CONTAINERS_PROM_MAX label values, the rest as "other"', () => {
    const ex = containers.prometheus!({ top: 5, node: false });
    const n = CONTAINERS_PROM_MAX + 10;
    for (let k = 0; k < 2; k++) ex.add({ rows: Array.from({ length: n }, (_, i) => row(i)), more: 0, overflow: 0 }, 1);
    const fams = ex.families();
    const hist = fams.find((f) => f.name === 'perfscope_container_runqueue_latency_seconds')!;
    const labels = new Set(hist.series.map((s) => s.labels.container));
    expect(labels.size).toBe(CONTAINERS_PROM_MAX + 1);
    expect(labels.has('other')).toBe(true);
    const count = (c: string) => hist.series.find((s) => s.suffix === '_count' && s.labels.container === c)!.value;
    expect(count('c0')).toBe(6); // 3 waits, twice
    expect(count('other')).toBe(6 * 10); // the 10 cgroups beyond the bound, twice
    const inf = hist.series.find((s) => s.suffix === '_bucket' && s.labels.container === 'c0' && s.labels.le === '+Inf')!;
    expect(inf.value).toBe(6);
    const thr = fams.find((f) => f.name === 'perfscope_container_throttled_seconds')!;
    expect(thr.series.find((s) => s.labels.container === 'c1')!.value).toBeCloseTo(0.004);
  });

  it('sorts by any column, largest first, nulls last; by name', () => {
    const rows = [row(1, { cpu_pct: null }), row(2, { cpu_pct: 50 }), row(3, { cpu_pct: 5 })];
    expect(sortContainerRows(rows, 'cpu').map((r) => r.cgroup.name)).toEqual(['c2', 'c3', 'c1']);
    expect(sortContainerRows(rows, 'p99').map((r) => r.cgroup.name)).toEqual(['c3', 'c2', 'c1']);
    expect(sortContainerRows([row(2), row(1)], 'name').map((r) => r.cgroup.name)).toEqual(['c1', 'c2']);
  });
});

describe('the off-CPU gauges carry the task cgroup as `container`', () => {
  it('one label per task; a row without a cgroup (an old recording) has none', () => {
    const ex = offcpu.prometheus!({ top: 5, node: false });
    const base = { cpu: 0, tgid: 9, max_us: 10, total_us: 20, returns: 1, preempted: 0, preempted_by: null };
    ex.add(
      {
        rows: [
          { ...base, pid: 9, comm: 'web', cgroup: { id: 5, path: '/a', name: 'web-1' } },
          { ...base, pid: 10, comm: 'x' },
        ],
        idle: [],
        overflow: 0,
      },
      1,
    );
    const max = ex.families().find((f) => f.name === 'perfscope_offcpu_max_seconds')!;
    expect(max.series.map((s) => s.labels)).toEqual([
      { cpu: '0', pid: '9', comm: 'web', container: 'web-1' },
      { cpu: '0', pid: '10', comm: 'x' },
    ]);
  });
});
