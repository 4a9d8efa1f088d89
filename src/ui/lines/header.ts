// The header line: what runs where, and whether the screen is live. The right part (pin,
// interval, live/paused) always shows; the left part drops its least useful fields first.
import { formatCpuList } from '../../model/format.js';
import { clockOf } from '../../replay/units.js';

export interface HeaderInput {
  readonly hostname: string;
  readonly kernel: string;
  /** Seconds since boot at the shown interval, or null before the first one. */
  readonly uptimeS: number | null;
  readonly load: readonly [number, number, number] | null | undefined;
  /** CPUs online (the shown interval's: a pinned CPU not among them is marked offline). */
  readonly cpus: readonly number[];
  /** Isolated CPUs, marked after the CPU list ("cpus 0-3 iso 2-3"). */
  readonly isolated?: readonly number[];
  readonly pinned: number | null;
  readonly intervalS: number;
  readonly paused: boolean;
  /** A replay: its recorded time and position instead of `live`. */
  readonly replay?: {
    readonly time: string | null;
    readonly position: number;
    readonly total: number;
    readonly paused: boolean;
    readonly ended: boolean;
    readonly gap_s?: number;
  } | null;
  /** A remote screen (--connect): `remote` (or `remote DOWN` while disconnected) instead of `live`. */
  readonly remote?: { readonly connected: boolean } | null;
}

/** `replay 14:03:07 (12/3600)`, with PAUSED or end when so, and `after a 5m gap` when nothing was recorded just before. */
export function replayWord(r: NonNullable<HeaderInput['replay']>): string {
  const state = r.paused ? 'PAUSED ' : r.ended ? 'end ' : '';
  const gap = r.gap_s ? ` after a ${fmtGap(r.gap_s)} gap` : '';
  return `replay ${state}${clockOf(r.time)} (${r.position}/${r.total})${gap}`;
}

/** A gap's length, short: 40s, 5m, 2h05m, 3d04h. */
function fmtGap(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

export function fmtUptime(s: number | null): string {
  if (s === null || !Number.isFinite(s) || s < 0) return '-';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d${String(h).padStart(2, '0')}h` : `${h}h${String(m).padStart(2, '0')}m`;
}

export interface HeaderText {
  readonly left: string;
  readonly right: string;
}

export function headerText(i: HeaderInput, width: number): HeaderText {
  const pin = i.pinned === null ? 'all' : `CPU ${i.pinned}${i.cpus.includes(i.pinned) ? '' : ' offline'}`;
  const mode = i.replay
    ? replayWord(i.replay)
    : i.remote
      ? `${i.paused ? 'PAUSED ' : ''}remote${i.remote.connected ? '' : ' DOWN'}`
      : i.paused
        ? 'PAUSED'
        : 'live';
  const right = `pin ${pin} │ ${i.intervalS}s │ ${mode}`;
  const load = i.load ? i.load.map((l) => l.toFixed(2)).join(' ') : '- - -';
  const host = `perfscope ${i.hostname}`;
  const up = `up ${fmtUptime(i.uptimeS)}`;
  const cpus = `cpus ${formatCpuList(i.cpus)}${i.isolated?.length ? ` iso ${formatCpuList(i.isolated)}` : ''}`;
  const ld = `load ${load}`;
  // "6.1.0-27-cloud-amd64" -> "6.1.0-27" when the full release does not fit.
  const shortKernel = i.kernel.split('-').slice(0, 2).join('-');
  const variants = [
    [host, i.kernel, up, ld, cpus],
    [host, shortKernel, up, ld, cpus],
    [i.hostname, shortKernel, up, ld, cpus].join(' ').split('  '),
    [host, shortKernel, ld, cpus],
    [host, ld, cpus],
    [host, ld],
    [host],
  ].map((v) => v.join('  '));
  const compact = [host, shortKernel, up, ld, cpus].join(' ');
  const room = width - right.length - 1;
  let left = variants.find((v) => v.length <= room) ?? (compact.length <= room ? compact : variants[variants.length - 1]);
  if (variants.indexOf(left) > 1 && compact.length <= room) left = compact;
  if (left.length > room) left = left.slice(0, Math.max(0, room - 1)) + '…';
  return { left, right };
}
