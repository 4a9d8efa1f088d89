// The fleet screen's text and keys without rendering (the screen itself is driven in tmux by
// test/e2e/fleet.test.ts): columns fitted to the width, hostile label values escaped, sorting
// with nulls last, the filter, Enter on a row without a stream URL; and the remote screen's
// read-only keys and header word.
import { describe, expect, it } from 'vitest';
import type { FleetRow, FleetSnapshot } from '../../src/fleet/queries.js';
import { streamUrl } from '../../src/fleet/queries.js';
import { createFleetStore, shownRows } from '../../src/fleet/store.js';
import { fittedColumns, fleetKey, fleetTable } from '../../src/ui/fleet-lines.js';
import { hasControl } from '../../src/ui/safe.js';
import { handleKey } from '../../src/ui/keys.js';
import { headerText } from '../../src/ui/lines/header.js';
import { createAppStore } from '../../src/store/store.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { parseConnectUrl, parseHostHeader } from '../../src/replay/remote.js';

function row(host: string, over: Partial<FleetRow> = {}): FleetRow {
  return {
    host,
    instance: host,
    stream: `http://${host}/stream`,
    up: 1,
    probes_running: 5,
    probes_total: 10,
    probes_failed: 0,
    cpu_busy: 0.5,
    runq_p99_s: 0.002,
    offcpu_max_s: 0.1,
    offcpu_comm: 'postgres',
    offcpu_pid: '42',
    exec_per_s: 3,
    open_per_s: 100,
    connect_per_s: 1,
    lost: 0,
    iso_cpu: null,
    iso_resident_max_s: null,
    iso_intruder_runs_per_s: null,
    ...over,
  };
}

function snap(rows: FleetRow[]): FleetSnapshot {
  return { time: '2026-12-07T12:00:00.000Z', eval_time: 1, prometheus: 'http://p', host_label: 'instance', window_s: 60, rows, errors: [] };
}

describe('the fleet table', () => {
  it('fits the width: every line exactly as wide, fewer columns at 80 than at 160, the CPU column kept', () => {
    for (const w of [60, 80, 120, 160]) {
      const t = fleetTable([row('a:1'), row('b:2')], 'cpu_busy', true, w);
      expect([...t.title].length).toBeLessThanOrEqual(w);
      for (const l of t.lines) expect([...l].length).toBe(w);
      expect(t.title).toContain('CPU%▼');
    }
    expect(fittedColumns(80).length).toBeLessThan(fittedColumns(160).length);
    expect(fittedColumns(160).map((c) => c.title)).toContain('ISO cpu:max intr/s');
  });

  it('label values from Prometheus are shown escaped', () => {
    const t = fleetTable([row('evil\u001b[2J\u202e', { offcpu_comm: 'x\u009by' })], 'host', false, 160);
    expect(t.lines.some((l) => hasControl(l))).toBe(false);
    expect(t.lines[0]).toContain('evil\\e[2J');
  });

  it('sorts with nulls last in both directions, filters by host, instance or task', () => {
    const st = createFleetStore({ prometheus: 'p', hostLabel: 'instance', windowS: 60, intervalS: 2 });
    st.getState().setSnapshot(snap([row('a', { cpu_busy: 0.2 }), row('b', { cpu_busy: null }), row('c', { cpu_busy: 0.9, offcpu_comm: 'redis' })]));
    expect(shownRows(st.getState()).map((r) => r.host)).toEqual(['c', 'a', 'b']);
    st.getState().toggleDesc();
    expect(shownRows(st.getState()).map((r) => r.host)).toEqual(['a', 'c', 'b']);
    st.getState().setFilter('redis');
    expect(shownRows(st.getState()).map((r) => r.host)).toEqual(['c']);
  });

  it('keys: > < sort, / types a filter (printable only), Esc clears, Enter connects or says why not', () => {
    const st = createFleetStore({ prometheus: 'p', hostLabel: 'instance', windowS: 60, intervalS: 2 });
    st.getState().setSnapshot(snap([row('a:1'), row('b:2', { stream: null, instance: 'weird' })]));
    const k = (input: string, key = {}) => fleetKey(st.getState(), input, key);
    expect(k('>')).toBe('handled');
    expect(st.getState().sort).toBe('runq_p99_s');
    k('<');
    k('<');
    expect(st.getState().sort).toBe('probes');
    k('/');
    k('b\u001b[31m');
    k('b');
    k('', { return: true });
    expect(st.getState().filter).toBe('b');
    expect(k('', { return: true })).toBe('handled');
    expect(st.getState().notice).toMatch(/no stream URL/);
    k('', { escape: true });
    expect(st.getState().filter).toBe('');
    expect(k('', { return: true })).toBe('connect');
    expect(k('q')).toBe('quit');
  });

  it('the stream URL comes from the instance label', () => {
    expect(streamUrl('10.0.0.5:9100', null, null)).toBe('http://10.0.0.5:9100/stream');
    expect(streamUrl('[::1]:9100', 'https', null)).toBe('https://[::1]:9100/stream');
    expect(streamUrl('host.example', null, 9100)).toBe('http://host.example:9100/stream');
    expect(streamUrl('host.example', null, null)).toBeNull();
    expect(streamUrl('a b:1', null, null)).toBeNull();
    expect(streamUrl(null, null, 1)).toBeNull();
  });
});

describe('the remote screen', () => {
  const store = () =>
    createAppStore({
      catalogue: SCREEN_CATALOGUE,
      host: { hostname: 'r', kernel: 'k', cpus: [0, 1] },
      intervalS: 1,
      pinnedCpu: null,
      enabled: [],
      remote: { url: 'http://r:1/stream', connected: true },
    });

  it('is read-only: probe toggles, + and - are ignored; space pauses; the view keys work', () => {
    const s = store();
    const before = s.getState().enabled;
    const toggle = SCREEN_CATALOGUE.find((p) => p.key !== null)!.key!;
    expect(handleKey(s.getState(), toggle, {})).toBe('ignored');
    expect(s.getState().enabled).toEqual(before);
    expect(handleKey(s.getState(), '+', {})).toBe('ignored');
    expect(handleKey(s.getState(), ' ', {})).toBe('handled');
    expect(s.getState().paused).toBe(true);
    expect(handleKey(s.getState(), '?', {})).toBe('handled');
    expect(s.getState().helpOpen).toBe(true);
    // Enter on a containers row would filter by cgroup: on a remote it says where to do it instead.
    s.getState().setCgroupFilter(['/system.slice']);
    expect(s.getState().cgroupFilter).toEqual([]);
    expect(s.getState().notice).toMatch(/give it to the remote perfscope/);
  });

  it('the header says remote, and DOWN while disconnected', () => {
    const base = { hostname: 'r', kernel: 'k', uptimeS: null, load: null, cpus: [0], pinned: null, intervalS: 1, paused: false };
    expect(headerText({ ...base, remote: { connected: true } }, 120).right).toMatch(/│ remote$/);
    expect(headerText({ ...base, remote: { connected: false } }, 120).right).toMatch(/│ remote DOWN$/);
    expect(headerText({ ...base, paused: true, remote: { connected: true } }, 120).right).toMatch(/│ PAUSED remote$/);
  });

  it('the URL and the host header are checked', () => {
    expect(parseConnectUrl('http://h:9100').pathname).toBe('/stream');
    expect(parseConnectUrl('https://h:9100/x/stream').pathname).toBe('/x/stream');
    expect(() => parseConnectUrl('h:9100')).toThrow(/http/);
    expect(() => parseConnectUrl('http://u:p@h')).toThrow(/no credentials/);
    expect(parseHostHeader('{"hostname":"a","kernel":"k","cpus":[0,-1,"x",3],"interval_s":99999}')).toEqual({
      hostname: 'a',
      kernel: 'k',
      cpus: [0, 3],
      intervalS: 1,
    });
    expect(parseHostHeader('not json')).toBeNull();
    expect(parseHostHeader(undefined)).toBeNull();
  });
});
