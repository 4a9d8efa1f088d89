// Issue 24's failed-exec flood, with the real binary, real BPF and a real flooding process: a
// program calls execve("/nonexistent/x", argv) in a loop, argv being 20 arguments of 127 bytes
// 0xff (each escapes to \xff: ~14 KB of --json per event), while `perfscope --json --probes
// exec,proc --record F --count N` runs. Before the bounds it grew to GBs and died having written 2
// lines of 10. Asserted: every line is written (N) and parses; each interval's exec events stay
// within FEED_INTERVAL_MAX_BYTES of --json text and what was cut is in probes.exec.lost (the
// flood's events kept + the lost ones cover every execve the flood made); the N lines arrive
// before a generous deadline (no timing threshold: the host is shared); perfscope's peak RSS
// (VmHWM) stays under a generous bound; and the recording replays to the same lines.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { noBpf } from '../helpers/bpf.js';
import { BIN } from '../helpers/perfscope.js';
import { FEED_INTERVAL_MAX_BYTES } from '../../src/probes/feed-spec.js';

const FLOOD_C = fileURLToPath(new URL('../sinks/helpers/execflood.c', import.meta.url));
const DIR = mkdtempSync(join(tmpdir(), 'perfscope-flood-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** Lines asked for; the flood runs for FLOOD_S seconds right after the first. */
const N = 10;
const FLOOD_S = 4;
/** A leak would pass it within a few intervals (before the bounds: GBs); the bounded run stays near 300 MiB. */
const RSS_BOUND_KB = 400 * 1024;
/** Generous: N intervals of 1 s, on a shared 2-CPU host, with a flood taking one CPU. */
const DEADLINE_MS = 150_000;

interface ExecEvent {
  filename: string;
}
interface Line {
  probes: { exec: { state: string; lost?: number } };
  sinks?: { json?: { lost?: number } };
  exec: ExecEvent[] | null;
}

function vmHwmKb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // exited
  }
}

describe.skipIf(noBpf)('the failed-exec flood (real BPF, real processes)', () => {
  it(`--json --probes exec,proc --record F --count ${N}: every line, bounded, cut events counted as lost, RSS bounded, the recording replays`, async () => {
    const flood = join(DIR, 'execflood');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', flood, FLOOD_C]);
    const rec = join(DIR, 'flood.psrec');
    const t0 = Date.now();
    const ps = spawn(process.execPath, [BIN, '--json', '--probes', 'exec,proc', '--record', rec, '--count', String(N), '-i', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    ps.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => ps.on('exit', (c) => r(c)));
    let hwm = 0;
    const poll = setInterval(() => {
      const kb = vmHwmKb(ps.pid!);
      if (kb !== null) hwm = Math.max(hwm, kb);
    }, 100);
    const lines: string[] = [];
    let floodCount: Promise<number> | null = null;
    try {
      const it = createInterface({ input: ps.stdout!, crlfDelay: Infinity })[Symbol.asyncIterator]();
      const deadline = new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), DEADLINE_MS).unref());
      while (lines.length < N) {
        const r = await Promise.race([it.next(), deadline]);
        if (r === 'deadline' || r.done) break;
        lines.push(r.value as string);
        if (lines.length === 1) {
          // The probes are attached and the first interval is out: flood now.
          const f = spawn(flood, [String(FLOOD_S)], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          f.stdout!.on('data', (d: Buffer) => (out += d.toString()));
          floodCount = new Promise((r) => f.on('exit', () => r(Number(out.trim()))));
        }
      }
      expect(await exited).toBe(0);
    } finally {
      clearInterval(poll);
      if (ps.exitCode === null) ps.kill('SIGKILL');
    }
    const elapsed = Date.now() - t0;
    expect(lines.length, `${lines.length} lines in ${elapsed} ms; stderr: ${stderr}`).toBe(N);
    // Nothing on stderr but, if this test's reader fell behind by more than the writer's bound
    // (a loaded host), the one line saying that lines were dropped (and counted).
    expect(stderr.split('\n').filter((l) => l && !/--json: stdout is not being read fast enough/.test(l))).toEqual([]);
    const made = await floodCount!;
    expect(made).toBeGreaterThan(0);

    // The recording replays to the very lines printed live (and to those --json dropped, if
    // any: the recorder took every interval, and the last line says how many were dropped).
    const back = spawnSync(process.execPath, [BIN, 'replay', rec, '--json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 30 });
    expect(back.status, back.stderr).toBe(0);
    const replayed = back.stdout.split('\n').filter(Boolean);
    const last = JSON.parse(lines[N - 1]) as Line;
    const dropped = last.sinks?.json?.lost ?? 0;
    expect(replayed.length).toBe(N + dropped);
    if (dropped === 0) expect(replayed).toEqual(lines);
    else expect(replayed.filter((l) => lines.includes(l))).toEqual(lines);

    // Every interval (as recorded: all of them) parses; exec runs in each; its events stay within
    // the byte cap.
    const parsed = replayed.map((l) => JSON.parse(l) as Line);
    let kept = 0;
    let lost = 0;
    let cut = 0;
    for (const [i, j] of parsed.entries()) {
      expect(j.probes.exec.state, `line ${i + 1}`).toBe('running');
      const events = j.exec ?? [];
      expect(Buffer.byteLength(JSON.stringify(events)), `line ${i + 1}`).toBeLessThanOrEqual(FEED_INTERVAL_MAX_BYTES + 2);
      if (i === 0) continue; // before the flood
      kept += events.filter((e) => e.filename === '/nonexistent/x').length;
      lost += j.probes.exec.lost ?? 0;
      if ((j.probes.exec.lost ?? 0) > 0) cut++;
    }
    // The flood was over by the last interval (nothing of it there, nothing lost): every execve it
    // made is in the intervals after the first, kept or counted as lost.
    const final = parsed[parsed.length - 1];
    expect((final.exec ?? []).filter((e) => e.filename === '/nonexistent/x')).toHaveLength(0);
    expect(final.probes.exec.lost ?? 0).toBe(0);
    expect(cut, 'the flood overran the interval caps (else this test shows nothing)').toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(made);
    expect(kept + lost, `kept ${kept} + lost ${lost} of ${made} execve calls`).toBeGreaterThanOrEqual(made);

    expect(hwm, `peak RSS ${hwm} kB`).toBeGreaterThan(0);
    expect(hwm, `peak RSS ${hwm} kB`).toBeLessThan(RSS_BOUND_KB);
    console.log(
      `flood: ${made} execve calls; kept ${kept}, lost ${lost} (${cut} intervals cut; ${dropped} lines dropped by --json); lines of ${lines.map((l) => (l.length / 1048576).toFixed(1)).join(', ')} MiB; peak RSS ${(hwm / 1024).toFixed(0)} MiB; ${N} lines in ${elapsed} ms`,
    );
  }, 300_000);
});
