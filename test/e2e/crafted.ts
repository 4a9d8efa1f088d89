// A crafted recording: a real one (record --no-bpf) read back, its lines edited to hold what a
// hostile file would (window-title and palette OSCs, colour CSIs, C1 and bidi characters in comm,
// argv, histogram labels and the header; a record whose run-queue slots are strings; a record
// that is not JSON), and written again with the recorder's own encoder (valid CRCs).
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeHeader, readRecording, RecordEncoder } from '../../src/replay/format.js';

/** What a hostile string holds: retitle, recolour (palette, background), an SGR, C1 CSI, bidi override. */
export const EVIL = '\x1b]2;PWNED\x07\x1b]11;#ff0000\x07\x1b]4;1;#00ff00\x07\x1b[38;2;1;2;3m\x1b[48;5;201m\u009b2J\u202eevil';
/** Its escaped form, as the screen and --json must show it. */
export const EVIL_SHOWN = '\\e]2;PWNED\\a\\e]11;#ff0000\\a\\e]4;1;#00ff00\\a\\e[38;2;1;2;3m\\e[48;5;201m\\u{9b}2J\\u{202e}evil';

// biome-ignore lint/suspicious/noExplicitAny: lines are edited freely
type Line = Record<string, any>;

function runqlat(slots: unknown[]): Line {
  return { unit: 'us', all: slots, cpus: { '0': slots, [EVIL]: slots }, count: 150, p50_us: 5, p99_us: 1500, mean_us: 30, max_bucket: 4 };
}

/**
 * `from` (a real recording) rewritten to `to`: every record gets a run-queue histogram, an exec
 * event and a top process named EVIL; record 2 has strings in its run-queue slots, between two
 * non-empty ones so that the pane's range shows them (the exploit: it retitled the terminal
 * before; skipped on replay now); a record that is not JSON is appended. Returns how many records `to` holds.
 */
export function craftRecording(from: string, to: string): { records: number; bad: number } {
  const r = readRecording(readFileSync(from));
  if (!r.ok) throw new Error(r.error);
  const enc = new RecordEncoder();
  const parts: Buffer[] = [encodeHeader({ ...r.header, host: `host${EVIL}` })];
  r.lines.forEach((text, i) => {
    const o = JSON.parse(text) as Line;
    o.probes.runqlat = { state: 'running' };
    o.runqlat = runqlat(i === 1 ? [0, 0, 100, EVIL, '\x1b[41m', 7] : [0, 0, 100, 50, 7]);
    o.probes.exec = { state: 'running' };
    o.exec = [
      {
        ts: Date.parse(o.time),
        pid: 4242,
        ppid: 1,
        uid: 0,
        comm: EVIL,
        filename: `/tmp/${EVIL}`,
        argv: [EVIL, '\x1b[31mred'],
        argv_truncated: false,
        ret: 0,
        ret_name: null,
      },
    ];
    if (o.counters?.top?.[0]) o.counters.top[0].comm = EVIL;
    parts.push(enc.encode(JSON.stringify(o)));
  });
  parts.push(enc.encode(`{"time":"${EVIL}" not json`));
  writeFileSync(to, Buffer.concat(parts));
  return { records: r.lines.length + 1, bad: 2 };
}
