// The print feed's lines without rendering: a number, a `:str` string in quotes (cut ones marked),
// an unreadable one said, and control characters never reaching the terminal raw (a string
// arrives escaped from the decoder; safe() still guards a fixture or a new path).
import { describe, expect, it } from 'vitest';
import { printValueText, type PrintEvent } from '../../src/probes/print-spec.js';
import { printLine } from '../../src/ui/lines/print-lines.js';
import { hasControl } from '../../src/ui/safe.js';

function ev(over: Partial<PrintEvent>): PrintEvent {
  return { ts: 0, pid: 42, tid: 43, comm: 'prog', event: 'u:c:malloc:arg1', value: 5000, cgroup: null, ...over } as PrintEvent;
}

describe('print lines', () => {
  it('a number, a string, a cut string, an unreadable string, a count only', () => {
    expect(printValueText(ev({}))).toBe('5000');
    expect(printValueText(ev({ event: 'u:c:puts:arg1:str', value: null, str: 'pscstring-42', truncated: false }))).toBe('"pscstring-42"');
    expect(printValueText(ev({ value: null, str: 'LLLL', truncated: true }))).toBe('"LLLL"…');
    expect(printValueText(ev({ value: null, str: null, truncated: false }))).toBe('(unreadable)');
    expect(printValueText(ev({ value: null }))).toBe('');
    expect(printLine(ev({ event: 'u:c:puts:arg1:str', value: null, str: 'pscstring-42', truncated: false }))).toMatch(
      / prog {13}\s+42\s+43 u:c:puts:arg1:str "pscstring-42"$/,
    );
  });

  it('a string with control characters reaches neither the line nor the pane raw', () => {
    const e = ev({ value: null, str: 'a\x1b[31mred\x9b2J', truncated: false });
    expect(hasControl(printLine(e))).toBe(false);
    expect(printLine(e)).toContain('"a\\e[31mred\\u{9b}2J"');
  });
});
