// Histogram rows are shown text: a label or a count that is not what it should be (a replayed
// file's string where a number belongs) is escaped, never written raw, and draws no bar.
import { describe, expect, it } from 'vitest';
import { HBars } from '../../src/ui/components/HBars.js';
import { FittedRow } from '../../src/ui/components/FittedRow.js';
import { fixtureStore, RAW_CONTROL } from './fixtures.js';
import { renderWith, stripSgr } from './render.js';

const EVIL = '\x1b]2;PWNED\x07\u009b31m\u202e';

describe('HBars and FittedRow escape what they show', () => {
  it('a label and a count holding escapes show escaped; the bar of a non-number is empty', () => {
    const rows = [
      { label: '16-31', value: 7 },
      { label: `lbl${EVIL}`, value: EVIL as unknown as number },
    ];
    const r = renderWith(fixtureStore(), <HBars rows={rows} width={100} />);
    const frame = stripSgr(r.lastFrame() ?? '');
    r.unmount();
    expect(frame).not.toMatch(RAW_CONTROL);
    expect(frame).not.toContain('\u202e');
    expect(frame).toContain('lbl\\e]2;PWNED\\a\\u{9b}31m\\u{202e}');
    const lines = frame.split('\n');
    expect(lines[1]).not.toContain('█');
    expect(lines[0]).toContain('█');
  });

  it('a row of segments holding escapes shows them escaped', () => {
    const r = renderWith(fixtureStore(), <FittedRow width={80} segments={[{ text: 'a' }, { text: EVIL, bold: true }]} />);
    const frame = stripSgr(r.lastFrame() ?? '');
    r.unmount();
    expect(frame).not.toMatch(RAW_CONTROL);
    expect(frame).toContain('a\\e]2;PWNED\\a');
  });
});
