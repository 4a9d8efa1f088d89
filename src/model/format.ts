// Short human figures shared by the panes, the overview and the status line (pure, tested).
import { log2Bounds } from './hist.js';

/** Microseconds as a short human figure: 850us, 12.3ms, 1.20s. */
export function fmtUs(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** A log2 bucket label in microseconds, like BCC's runqlat: "0-1", "2-3", "4-7", ... */
export function bucketLabel(k: number): string {
  const [lo, hi] = log2Bounds(k);
  return `${compact(lo)}-${compact(hi - 1)}`;
}

function compact(n: number): string {
  if (n >= 1_048_576) return `${Math.round(n / 1_048_576)}M`;
  if (n >= 1024 * 10) return `${Math.round(n / 1024)}K`;
  return String(n);
}

/** Counts: 999, 1.2K, 34K, 1.5M. */
export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  if (n < 1000) return String(Math.round(n));
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}K`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)}M`;
}

/** CPU numbers as a list with ranges: 0-3,5,7-8. */
export function formatCpuList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
