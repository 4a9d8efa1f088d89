// The fleet screen's text, pure (tested without rendering): the table's columns, fitted to the
// width by dropping the least useful first (the host column takes what is left), each cell
// escaped (safe()): every label value comes from Prometheus and, before it, from the hosts.
// And the keys (fleetKey), as the live screen's keys.ts: the store's actions, no rendering.
import type { FleetRow } from '../fleet/queries.js';
import { FLEET_SORTS, type FleetSort, type FleetActions, type FleetState, selectedRow } from '../fleet/store.js';
import { safe } from './safe.js';

interface Column {
  readonly sort: FleetSort | null;
  readonly title: string;
  readonly width: number;
  /** Dropped first when the width is short: the higher, the later. */
  readonly keep: number;
  readonly cell: (r: FleetRow) => string;
  readonly left?: boolean;
}

const dash = '-';
export function fmtNum(v: number | null, digits = 1): string {
  if (v === null) return dash;
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return v.toFixed(a >= 100 ? 0 : digits);
}
/** Seconds as us/ms/s. */
export function fmtSecs(v: number | null): string {
  if (v === null) return dash;
  if (v < 1e-3) return `${(v * 1e6).toFixed(0)}us`;
  if (v < 1) return `${(v * 1e3).toFixed(v < 0.01 ? 2 : 1)}ms`;
  return `${v.toFixed(v < 10 ? 2 : 1)}s`;
}

export const FLEET_COLUMN_DEFS: readonly Column[] = [
  { sort: 'up', title: 'UP', width: 3, keep: 9, cell: (r) => (r.up === null ? dash : r.up >= 1 ? 'up' : 'DN') },
  {
    sort: 'probes',
    title: 'PROBES',
    width: 7,
    keep: 7,
    cell: (r) => (r.probes_running === null ? dash : `${r.probes_running}/${r.probes_total ?? '?'}${r.probes_failed ? '!' : ''}`),
  },
  { sort: 'cpu_busy', title: 'CPU%', width: 5, keep: 10, cell: (r) => (r.cpu_busy === null ? dash : (r.cpu_busy * 100).toFixed(1)) },
  { sort: 'runq_p99_s', title: 'RQ p99', width: 7, keep: 9, cell: (r) => fmtSecs(r.runq_p99_s) },
  { sort: 'offcpu_max_s', title: 'OFFCPU', width: 7, keep: 8, cell: (r) => fmtSecs(r.offcpu_max_s) },
  {
    sort: null,
    title: 'WHO',
    width: 14,
    keep: 5,
    left: true,
    cell: (r) => (r.offcpu_comm === null ? dash : `${r.offcpu_comm}${r.offcpu_pid ? `/${r.offcpu_pid}` : ''}`),
  },
  { sort: 'exec_per_s', title: 'EXEC/s', width: 6, keep: 6, cell: (r) => fmtNum(r.exec_per_s) },
  { sort: 'open_per_s', title: 'OPEN/s', width: 6, keep: 4, cell: (r) => fmtNum(r.open_per_s) },
  { sort: 'connect_per_s', title: 'CONN/s', width: 6, keep: 3, cell: (r) => fmtNum(r.connect_per_s) },
  { sort: 'lost', title: 'LOST', width: 6, keep: 6, cell: (r) => fmtNum(r.lost, 0) },
  {
    sort: 'iso_resident_max_s',
    title: 'ISO cpu:max intr/s',
    width: 18,
    keep: 2,
    left: true,
    cell: (r) => (r.iso_cpu === null ? dash : `${r.iso_cpu}:${fmtSecs(r.iso_resident_max_s)} ${fmtNum(r.iso_intruder_runs_per_s)}`),
  },
];

const HOST_MIN = 12;

/** The columns that fit `width` (besides the host, at least HOST_MIN), in screen order. */
export function fittedColumns(width: number): Column[] {
  const cols = [...FLEET_COLUMN_DEFS];
  const need = () => HOST_MIN + cols.reduce((a, c) => a + c.width + 1, 0);
  while (cols.length && need() > width) {
    let worst = 0;
    for (let i = 1; i < cols.length; i++) if (cols[i].keep < cols[worst].keep) worst = i;
    cols.splice(worst, 1);
  }
  return cols;
}

function cut(s: string, w: number): string {
  const chars = [...s];
  return chars.length <= w ? s : `${chars.slice(0, Math.max(0, w - 1)).join('')}…`;
}
const pad = (s: string, w: number, left: boolean) => {
  const t = cut(s, w);
  const n = Math.max(0, w - [...t].length);
  return left ? t + ' '.repeat(n) : ' '.repeat(n) + t;
};

/** The table's title row (the sort column marked ▼/▲) and its rows, each exactly `width` wide. */
export function fleetTable(rows: readonly FleetRow[], sort: FleetSort, desc: boolean, width: number): { title: string; lines: string[] } {
  const cols = fittedColumns(width);
  const hostW = Math.max(4, width - cols.reduce((a, c) => a + c.width + 1, 0));
  const mark = desc ? '▼' : '▲';
  const head = (t: string, s: FleetSort | null) => (s === sort ? `${t}${mark}` : t);
  const title = pad(head('HOST', 'host'), hostW, true) + cols.map((c) => ` ${pad(head(c.title, c.sort), c.width, !!c.left)}`).join('');
  const lines = rows.map((r) => pad(safe(r.host), hostW, true) + cols.map((c) => ` ${pad(safe(c.cell(r)), c.width, !!c.left)}`).join(''));
  return { title: cut(title, width), lines };
}

export const FLEET_KEYS: readonly (readonly [string, string])[] = [
  ['q', 'quit'],
  ['up/down j k', 'select a host'],
  ['Enter', "that host's live screen (perfscope --connect to its /stream); q there comes back"],
  ['< >  F6', 'sort by the previous / next column'],
  ['r', 'reverse the order'],
  ['/', 'filter hosts (host, instance or off-CPU task contains the text); Esc clears'],
  ['?', 'this help'],
];

export interface FleetKeyInfo {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly ctrl?: boolean;
  readonly meta?: boolean;
}

/** What a key does on the fleet screen: quit, connect (Enter on a host with a stream URL), or a store action. */
export function fleetKey(st: FleetState & FleetActions, input: string, key: FleetKeyInfo): 'quit' | 'connect' | 'handled' | 'ignored' {
  if (key.ctrl && input === 'c') return 'quit';
  if (st.filterEditing) {
    if (key.return || key.escape) st.setFilterEditing(false);
    if (key.escape) st.setFilter('');
    else if (key.backspace || key.delete) st.setFilter([...st.filter].slice(0, -1).join(''));
    else if (!key.return && !key.ctrl && !key.meta && input && /^[\x20-\x7e]+$/.test(input)) st.setFilter(st.filter + input);
    return 'handled';
  }
  if (st.helpOpen) {
    if (input === '?' || key.escape) st.toggleHelp();
    else if (input === 'q') return 'quit';
    return 'handled';
  }
  if (input === 'q') return 'quit';
  if (input === '?') st.toggleHelp();
  else if (key.upArrow || input === 'k') st.move(-1);
  else if (key.downArrow || input === 'j') st.move(1);
  else if (key.pageUp) st.move(-10);
  else if (key.pageDown) st.move(10);
  else if (input === '>' || input === '\x1b[17~') st.nextSort(1);
  else if (input === '<') st.nextSort(-1);
  else if (input === 'r') st.toggleDesc();
  else if (input === '/') st.setFilterEditing(true);
  else if (key.escape && st.filter) st.setFilter('');
  else if (key.return) {
    const r = selectedRow(st);
    if (!r) return 'ignored';
    if (!r.stream) {
      st.setNotice(`${safe(r.host)}: no stream URL (its instance label is not host:port; see --stream-port)`);
      return 'handled';
    }
    return 'connect';
  } else return 'ignored';
  return 'handled';
}

export { FLEET_SORTS };
