import { addon } from './addon.js';

/**
 * Kernel run-time statistics (run_time_ns) for BPF programs are counted only while someone holds
 * a BPF_ENABLE_STATS fd (or kernel.bpf_stats_enabled=1). Every running BPF probe holds a
 * reference; the kernel restores the previous setting when the last fd closes or we exit.
 */
let statsFd: number | null = null;
let statsRefs = 0;
export function acquireStats(): void {
  statsRefs++;
  if (statsFd !== null) return;
  try {
    statsFd = addon().enableStats();
  } catch {
    statsFd = null; /* cost shows as unknown; the probe still runs */
  }
}
export function releaseStats(): void {
  statsRefs = Math.max(0, statsRefs - 1);
  if (statsRefs === 0 && statsFd !== null) {
    addon().closeFd(statsFd);
    statsFd = null;
  }
}
