// The fleet screen's state (zustand): the last refresh, the error line of a refresh that failed,
// the sort column and its direction, the filter (a substring of the host, the instance or the
// off-CPU task), the selected row. The screen (src/ui/fleet-screen.tsx) reads it; its keys
// (fleetKey) are tested without rendering.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FleetRow, FleetSnapshot } from './queries.js';

/** The columns the screen shows, in order, and what each sorts by. */
export const FLEET_SORTS = [
  'host',
  'up',
  'probes',
  'cpu_busy',
  'runq_p99_s',
  'offcpu_max_s',
  'exec_per_s',
  'open_per_s',
  'connect_per_s',
  'lost',
  'iso_resident_max_s',
] as const;
export type FleetSort = (typeof FLEET_SORTS)[number];

export const MAX_FILTER_LEN = 64;

export interface FleetState {
  readonly prometheus: string;
  readonly hostLabel: string;
  readonly windowS: number;
  readonly intervalS: number;
  snapshot: FleetSnapshot | null;
  /** The last refresh failed: why (cleared by the next that works). */
  error: string | null;
  loading: boolean;
  sort: FleetSort;
  desc: boolean;
  filter: string;
  filterEditing: boolean;
  cursor: number;
  helpOpen: boolean;
  notice: string | null;
}

export interface FleetActions {
  setSnapshot(s: FleetSnapshot): void;
  setError(m: string): void;
  setLoading(on: boolean): void;
  nextSort(step: 1 | -1): void;
  setSort(s: FleetSort): void;
  toggleDesc(): void;
  setFilter(t: string): void;
  setFilterEditing(on: boolean): void;
  move(n: number): void;
  toggleHelp(): void;
  setNotice(m: string | null): void;
}

export type FleetStore = StoreApi<FleetState & FleetActions>;

function sortValue(r: FleetRow, s: FleetSort): number | string | null {
  if (s === 'host') return r.host;
  if (s === 'probes') return r.probes_running;
  return r[s];
}

/** The rows shown: filtered, then sorted (nulls last whatever the direction; ties by host). */
export function shownRows(st: FleetState): FleetRow[] {
  const rows = st.snapshot?.rows ?? [];
  const f = st.filter.toLowerCase();
  const kept = f ? rows.filter((r) => [r.host, r.instance ?? '', r.offcpu_comm ?? ''].some((t) => t.toLowerCase().includes(f))) : rows;
  return [...kept].sort((a, b) => {
    const x = sortValue(a, st.sort);
    const y = sortValue(b, st.sort);
    if (x === null || y === null) return x === y ? a.host.localeCompare(b.host) : x === null ? 1 : -1;
    const c = x < y ? -1 : x > y ? 1 : 0;
    return (st.desc ? -c : c) || a.host.localeCompare(b.host);
  });
}

export function createFleetStore(init: { prometheus: string; hostLabel: string; windowS: number; intervalS: number; filter?: string }): FleetStore {
  return createStore<FleetState & FleetActions>()((set) => ({
    prometheus: init.prometheus,
    hostLabel: init.hostLabel,
    windowS: init.windowS,
    intervalS: init.intervalS,
    snapshot: null,
    error: null,
    loading: false,
    sort: 'cpu_busy',
    desc: true,
    filter: (init.filter ?? '').slice(0, MAX_FILTER_LEN),
    filterEditing: false,
    cursor: 0,
    helpOpen: false,
    notice: null,
    setSnapshot: (s) => set(() => ({ snapshot: s, error: null, loading: false })),
    setError: (m) => set(() => ({ error: m, loading: false })),
    setLoading: (on) => set(() => ({ loading: on })),
    nextSort: (step) =>
      set((st) => {
        const i = FLEET_SORTS.indexOf(st.sort);
        const sort = FLEET_SORTS[(i + step + FLEET_SORTS.length) % FLEET_SORTS.length];
        return { sort, desc: sort !== 'host' };
      }),
    setSort: (sort) => set((st) => (st.sort === sort ? { desc: !st.desc } : { sort, desc: sort !== 'host' })),
    toggleDesc: () => set((st) => ({ desc: !st.desc })),
    setFilter: (t) => set(() => ({ filter: t.slice(0, MAX_FILTER_LEN), cursor: 0 })),
    setFilterEditing: (on) => set(() => ({ filterEditing: on })),
    move: (n) =>
      set((st) => {
        const len = shownRows(st).length;
        return { cursor: Math.max(0, Math.min(Math.max(0, len - 1), st.cursor + n)) };
      }),
    toggleHelp: () => set((st) => ({ helpOpen: !st.helpOpen })),
    setNotice: (m) => set(() => ({ notice: m })),
  }));
}

/** The row under the cursor, or null. */
export function selectedRow(st: FleetState): FleetRow | null {
  const rows = shownRows(st);
  return rows[Math.min(st.cursor, rows.length - 1)] ?? null;
}
