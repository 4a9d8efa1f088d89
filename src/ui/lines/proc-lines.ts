// The proc probe's pane (the counters) as text lines: the sysstat "60-second checklist" (uptime, mpstat -P ALL,
// vmstat 1, free -m, iostat -xz, sar -n DEV, sar -n TCP,ETCP, pidstat) fitted to the space.
// Compact at 80x24 (the all row, the pinned CPU, busy disks/interfaces, a few top processes);
// every CPU, disk, interface and more processes when the pane is larger. Pure.
import type { CountersSample, CpuPct, TopRow } from '../../probes/proc/types.js';
import { safe } from '../safe.js';

import type { Line, LineKind } from './lines.js';

const n1 = (v: number | null | undefined, w: number) => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(1)).padStart(w);

/** A rate or count, short: 0, 12.5, 999, 1.2K, 45K, 1.3M. */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 10) return v.toFixed(1).replace(/\.0$/, '');
  if (a < 1000) return String(Math.round(v));
  if (a < 1e4) return `${(v / 1e3).toFixed(1)}K`;
  if (a < 1e6) return `${Math.round(v / 1e3)}K`;
  if (a < 1e7) return `${(v / 1e6).toFixed(1)}M`;
  return `${Math.round(v / 1e6)}M`;
}

/** kB as a size: 512K, 19M, 1.1G. */
export function fmtKb(kb: number | null | undefined): string {
  if (kb === null || kb === undefined || !Number.isFinite(kb)) return '-';
  if (kb < 1024) return `${Math.round(kb)}K`;
  const mb = kb / 1024;
  if (mb < 1024) return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)}M`;
  const gb = mb / 1024;
  return `${gb < 10 ? gb.toFixed(1) : Math.round(gb)}G`;
}

function cpuLine(label: string, c: CpuPct, wide: boolean): string {
  const base = `${label.padEnd(4)}${n1(c.usr, 6)}${n1(c.nice, 6)}${n1(c.sys, 6)}${n1(c.iowait, 8)}${n1(c.irq, 6)}${n1(c.soft, 6)}${n1(c.steal, 7)}`;
  return wide ? `${base}${n1(c.guest, 7)}${n1(c.gnice, 7)}${n1(c.idle, 7)}` : `${base}${n1(c.idle, 7)}`;
}

function cpuHeader(wide: boolean): string {
  const base = `CPU ${'%usr'.padStart(6)}${'%nice'.padStart(6)}${'%sys'.padStart(6)}${'%iowait'.padStart(8)}${'%irq'.padStart(6)}${'%soft'.padStart(6)}${'%steal'.padStart(7)}`;
  return wide ? `${base}${'%guest'.padStart(7)}${'%gnice'.padStart(7)}${'%idle'.padStart(7)}` : `${base}${'%idle'.padStart(7)}`;
}

function topLine(t: TopRow): string {
  return `${String(t.pid).padStart(7)} ${safe(t.comm).padEnd(15).slice(0, 15)} ${n1(t.cpu_pct, 6)} ${n1(t.usr, 6)} ${n1(t.system, 6)} ${String(t.cpu).padStart(3)}`;
}
/** The top table's header, the sort column marked (▼ descending, ▲ ascending). */
export function topHeader(sort?: { readonly column: string; readonly descending: boolean }): string {
  const t = (title: string) => (sort?.column === title ? title + (sort.descending ? '▼' : '▲') : title);
  return `${t('PID').padStart(7)} ${t('COMM').padEnd(15)} ${t('%CPU').padStart(6)} ${t('%usr').padStart(6)} ${t('%sys').padStart(6)} ${t('CPU')}`;
}

export interface CountersOptions {
  readonly width: number;
  readonly height: number;
  readonly pinned: number | null;
  /** The top table's sort, marked in its header (its rows come sorted: the proc view's sortSample). */
  readonly sort?: { readonly column: string; readonly descending: boolean };
}

export function countersLines(c: CountersSample, o: CountersOptions): Line[] {
  const wide = o.width >= 100;
  const h = Math.max(1, o.height);
  const L = (text: string, kind: LineKind = 'text'): Line => ({ text, kind });

  const ld = c.load;
  const loadLine = L(
    `load ${ld.load1.toFixed(2)} ${ld.load5.toFixed(2)} ${ld.load15.toFixed(2)}  running ${ld.running}  blocked ${ld.blocked}  tasks ${ld.tasks}`,
  );
  const v = c.vmstat;
  const vm = wide
    ? `vmstat r ${v.r} b ${v.b}  swpd ${fmtKb(v.swpd)} free ${fmtKb(v.free)} buff ${fmtKb(v.buff)} cache ${fmtKb(v.cache)}  si ${fmtNum(v.si)} so ${fmtNum(v.so)}  bi ${fmtNum(v.bi)} bo ${fmtNum(v.bo)}  in ${fmtNum(v.in)} cs ${fmtNum(v.cs)}`
    : `vmstat r ${v.r} b ${v.b} free ${fmtKb(v.free)} si ${fmtNum(v.si)} so ${fmtNum(v.so)} bi ${fmtNum(v.bi)} bo ${fmtNum(v.bo)} in ${fmtNum(v.in)} cs ${fmtNum(v.cs)}`;
  const m = c.mem;
  const mem = `mem MiB total ${Math.round(m.total)} used ${Math.round(m.used)} free ${Math.round(m.free)} buff/cache ${Math.round(m.buff_cache)} avail ${Math.round(m.available)}${wide ? ` shared ${Math.round(m.shared)}` : ''} swap ${Math.round(m.swap_used)}/${Math.round(m.swap_total)}`;
  const t = c.tcp;
  const tcp = t
    ? `tcp/s active ${fmtNum(t.active_s)} passive ${fmtNum(t.passive_s)} iseg ${fmtNum(t.iseg_s)} oseg ${fmtNum(t.oseg_s)} retrans ${fmtNum(t.retrans_s)}${wide ? ` atmptf ${fmtNum(t.atmptf_s)} estres ${fmtNum(t.estres_s)} isegerr ${fmtNum(t.isegerr_s)} orsts ${fmtNum(t.orsts_s)}` : ''}`
    : 'tcp/s (no /proc/net/snmp)';

  // CPUs: "all", then each CPU; when short of space, the pinned CPU and the busiest.
  const cpuKeys = Object.keys(c.cpu)
    .filter((k) => k !== 'all')
    .sort((a, b) => Number(a) - Number(b));
  const disks = Object.entries(c.disks).sort((a, b) => b[1].util - a[1].util || a[0].localeCompare(b[0]));
  const netAll = Object.entries(c.net).sort((a, b) => b[1].rxkB_s + b[1].txkB_s - (a[1].rxkB_s + a[1].txkB_s) || a[0].localeCompare(b[0]));
  const top = o.pinned !== null && c.top_on_pinned ? c.top_on_pinned : c.top;

  // Fixed lines: load, cpu header + all, vmstat, mem, tcp, disk header, net header, top header.
  const fixed = 8;
  let room = Math.max(0, h - fixed);
  const take = (want: number, min = 0) => {
    const n = Math.max(Math.min(want, room), Math.min(min, room));
    room -= n;
    return n;
  };
  const pinnedKey = o.pinned === null ? null : String(o.pinned);
  // The pinned CPU's row first of all; then a share for each section, the rest to CPUs and top.
  const cpuMin = Math.min(cpuKeys.length, pinnedKey ? 2 : 1);
  const nCpu0 = take(cpuMin);
  const nDisk = take(Math.min(disks.length, 1));
  const netBusy = netAll.filter(([, x]) => x.rxpck_s + x.txpck_s > 0);
  const nNet0 = take(Math.min(Math.max(netBusy.length, 1), 1, netAll.length));
  const nTop0 = take(Math.min(top.length, 3));
  const nCpu = nCpu0 + take(cpuKeys.length - nCpu0);
  const nTop = nTop0 + take(Math.min(top.length, 10) - nTop0);
  const nDiskAll = nDisk + take(disks.length - nDisk);
  const netShown = netBusy.length > 0 || room > netAll.length ? netAll : netBusy;
  const nNet = nNet0 + take(netShown.length - nNet0);

  let cpusShown = cpuKeys;
  if (nCpu < cpuKeys.length) {
    const busiest = [...cpuKeys].sort((a, b) => c.cpu[a].idle - c.cpu[b].idle);
    const pick = new Set<string>(pinnedKey && cpuKeys.includes(pinnedKey) ? [pinnedKey] : []);
    for (const k of busiest) if (pick.size < nCpu) pick.add(k);
    cpusShown = cpuKeys.filter((k) => pick.has(k));
  }

  const out: Line[] = [loadLine];
  out.push(L(cpuHeader(wide) + (cpusShown.length < cpuKeys.length ? `  (${cpusShown.length}/${cpuKeys.length})` : ''), 'heading'));
  if (c.cpu.all) out.push(L(cpuLine('all', c.cpu.all, wide)));
  for (const k of cpusShown) out.push(L(cpuLine(k, c.cpu[k], wide), k === pinnedKey ? 'highlight' : 'text'));
  out.push(L(vm));
  out.push(L(mem));
  out.push(
    L(
      `${'DISK'.padEnd(8)}${'r/s'.padStart(7)}${'w/s'.padStart(7)}${'rkB/s'.padStart(8)}${'wkB/s'.padStart(8)}${'r_await'.padStart(8)}${'w_await'.padStart(8)}${'aqu-sz'.padStart(7)}${'%util'.padStart(6)}`,
      'heading',
    ),
  );
  for (const [name, d] of disks.slice(0, nDiskAll)) {
    out.push(
      L(
        `${safe(name).padEnd(8).slice(0, 8)}${fmtNum(d.r_s).padStart(7)}${fmtNum(d.w_s).padStart(7)}${fmtNum(d.rkB_s).padStart(8)}${fmtNum(d.wkB_s).padStart(8)}${n1(d.r_await, 8)}${n1(d.w_await, 8)}${n1(d.aqu_sz, 7)}${n1(d.util, 6)}`,
      ),
    );
  }
  out.push(
    L(
      `${'IFACE'.padEnd(8)}${'rxpck/s'.padStart(9)}${'txpck/s'.padStart(9)}${'rxkB/s'.padStart(9)}${'txkB/s'.padStart(9)}${netShown.length < netAll.length ? `  (${netAll.length - netShown.length} idle hidden)` : ''}`,
      'heading',
    ),
  );
  for (const [name, x] of netShown.slice(0, nNet)) {
    out.push(
      L(
        `${safe(name).padEnd(8).slice(0, 8)}${fmtNum(x.rxpck_s).padStart(9)}${fmtNum(x.txpck_s).padStart(9)}${fmtNum(x.rxkB_s).padStart(9)}${fmtNum(x.txkB_s).padStart(9)}`,
      ),
    );
  }
  out.push(L(tcp));
  out.push(L(topHeader(o.sort) + (o.pinned !== null && c.top_on_pinned ? `  (last ran on CPU ${o.pinned})` : ''), 'heading'));
  // Cut short, the table's last line says how many processes are left out.
  const topCut = nTop >= 2 && top.length > nTop;
  for (const r of top.slice(0, topCut ? nTop - 1 : nTop)) out.push(L(topLine(r)));
  if (topCut) out.push(L(`+${top.length - (nTop - 1)} more`, 'dim'));
  return out.slice(0, h);
}
