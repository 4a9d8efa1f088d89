// Every key's effect on the store, without rendering (handleKey is pure over the store).
import { describe, expect, it } from 'vitest';
import { handleInput, handleKey, keyHelp, toggleKeys } from '../../src/ui/keys.js';

const TOGGLE_KEYS = toggleKeys(FIXTURE_CATALOGUE);
const KEY_HELP = keyHelp(FIXTURE_CATALOGUE);
import { fixtureStore, FIXTURE_CATALOGUE } from './fixtures.js';
import type { AppStore } from '../../src/store/store.js';

const press = (s: AppStore, input: string, key = {}) => handleKey(s.getState(), input, key);

describe('keys', () => {
  it('q and Ctrl-C quit (also from help); q does not quit while typing a filter', () => {
    const s = fixtureStore();
    expect(press(s, 'q')).toBe('quit');
    expect(press(s, 'c', { ctrl: true })).toBe('quit');
    press(s, '?');
    expect(press(s, 'q')).toBe('quit');
    const t = fixtureStore();
    t.getState().setFocus('exec');
    press(t, '/');
    expect(press(t, 'q')).toBe('handled');
    expect(t.getState().filters.exec).toBe('q');
    expect(press(t, 'c', { ctrl: true })).toBe('quit');
  });

  it('? opens and closes help; Esc closes it; other keys do nothing while it is open', () => {
    const s = fixtureStore();
    press(s, '?');
    expect(s.getState().helpOpen).toBe(true);
    press(s, '1');
    press(s, ' ');
    expect(s.getState().enabled.offcpu).toBe(true);
    expect(s.getState().paused).toBe(false);
    press(s, '?');
    expect(s.getState().helpOpen).toBe(false);
    press(s, '?');
    press(s, '', { escape: true });
    expect(s.getState().helpOpen).toBe(false);
  });

  it('1..5, 7, 8 and 0 switch offcpu, runqlat, exec, open, tcp, trace, profile and isolation off and on; proc has no key', () => {
    const s = fixtureStore();
    expect([...TOGGLE_KEYS.values()]).toEqual(FIXTURE_CATALOGUE.filter((s) => s.key !== null).map((s) => s.name));
    const today: [string, string][] = [
      ['1', 'offcpu'],
      ['2', 'runqlat'],
      ['3', 'exec'],
      ['4', 'open'],
      ['5', 'tcp'],
      ['7', 'trace'],
      ['8', 'profile'],
      ['0', 'isolation'],
    ];
    expect([...TOGGLE_KEYS].filter(([, n]) => today.some(([, t]) => t === n))).toEqual(today);
    expect(FIXTURE_CATALOGUE.find((s) => s.name === 'proc')?.key).toBeNull();
    for (const [k, name] of TOGGLE_KEYS) {
      press(s, k);
      expect(s.getState().enabled[name]).toBe(false);
      press(s, k);
      expect(s.getState().enabled[name]).toBe(true);
    }
    expect(press(s, '6')).toBe('ignored');
    expect(s.getState().enabled.proc).toBe(true);
  });

  it('] and [ pin the next / previous online CPU, a goes back to all', () => {
    const s = fixtureStore(); // CPUs 0 and 1
    press(s, ']');
    expect(s.getState().pinnedCpu).toBe(0);
    press(s, ']');
    expect(s.getState().pinnedCpu).toBe(1);
    press(s, ']');
    expect(s.getState().pinnedCpu).toBe(0);
    press(s, '[');
    expect(s.getState().pinnedCpu).toBe(1);
    press(s, 'a');
    expect(s.getState().pinnedCpu).toBe(null);
    press(s, '[');
    expect(s.getState().pinnedCpu).toBe(1);
  });

  it('space pauses the display (new intervals are kept but not shown) and resumes', () => {
    const s = fixtureStore();
    const first = s.getState().shown;
    press(s, ' ');
    expect(s.getState().paused).toBe(true);
    s.getState().commitInterval({ ...first!, time: new Date(0).toISOString() });
    expect(s.getState().shown).toBe(first);
    expect(s.getState().latest).not.toBe(first);
    press(s, ' ');
    expect(s.getState().paused).toBe(false);
    expect(s.getState().shown).toBe(s.getState().latest);
  });

  it('Tab / Shift-Tab / arrows move the focus between panes', () => {
    const s = fixtureStore();
    expect(s.getState().focus).toBe('overview');
    press(s, '', { tab: true });
    expect(s.getState().focus).toBe('offcpu');
    press(s, '', { tab: true });
    expect(s.getState().focus).toBe('runqlat');
    press(s, '', { rightArrow: true });
    expect(s.getState().focus).toBe('exec');
    press(s, '', { tab: true, shift: true });
    expect(s.getState().focus).toBe('runqlat');
    press(s, '', { leftArrow: true });
    press(s, '', { leftArrow: true });
    expect(s.getState().focus).toBe('overview');
    press(s, '', { leftArrow: true });
    expect(s.getState().focus).toBe('isolation');
  });

  it('/ filters the focused feed: typing, backspace, Enter ends; not on a non-feed pane', () => {
    const s = fixtureStore();
    press(s, '/');
    expect(s.getState().filterEditing).toBe(false); // offcpu is not a feed
    s.getState().setFocus('open');
    press(s, '/');
    expect(s.getState().filterEditing).toBe(true);
    for (const c of 'etcx') press(s, c);
    press(s, '', { backspace: true });
    expect(s.getState().filters.open).toBe('etc');
    press(s, '\x1b[31m'); // a pasted control sequence: only its printable part lands
    expect(s.getState().filters.open).toBe('etc[31m');
    press(s, '', { return: true });
    expect(s.getState().filterEditing).toBe(false);
    expect(s.getState().filters.open).toBe('etc[31m');
    press(s, '/');
    press(s, 'ab\rq'); // typed fast: text and Enter in one chunk; what follows is not filter text
    expect(s.getState().filterEditing).toBe(false);
    expect(s.getState().filters.open).toBe('etc[31mab');
    press(s, '/');
    press(s, '', { escape: true });
    expect(s.getState().filterEditing).toBe(false);
    press(s, '', { escape: true }); // Esc outside editing clears the filter
    expect(s.getState().filters.open).toBe('');
  });

  it('several keys in one chunk (slow link, paste) act one by one, in order', () => {
    const s = fixtureStore();
    s.getState().setFocus('offcpu'); // the pane after the overview
    const chunk = (input: string, key = {}) => handleInput(s.getState, input, key);
    expect(chunk('44')).toBe('handled');
    expect(s.getState().enabled.open).toBe(true); // off and on again
    expect(chunk('\t\t')).toBe('handled');
    expect(s.getState().focus).toBe('exec');
    expect(chunk(']]')).toBe('handled');
    expect(s.getState().pinnedCpu).toBe(s.getState().host.cpus[1]);
    expect(chunk('/ab\r3')).toBe('handled'); // the filter takes "ab", Enter ends it, 3 is a key
    expect(s.getState().filters.exec).toBe('ab');
    expect(s.getState().filterEditing).toBe(false);
    expect(s.getState().enabled.exec).toBe(false);
    expect(chunk('/cd')).toBe('handled'); // no Enter yet: still typing
    expect(s.getState().filters.exec).toBe('abcd');
    expect(s.getState().filterEditing).toBe(true);
    chunk('', { return: true });
    expect(chunk('5q5')).toBe('quit'); // stops at q: the last 5 is not pressed
    expect(s.getState().enabled.tcp).toBe(false);
    expect(chunk('zz')).toBe('ignored');
  });

  it('i toggles idle tasks', () => {
    const s = fixtureStore();
    press(s, 'i');
    expect(s.getState().showIdle).toBe(true);
    press(s, 'i');
    expect(s.getState().showIdle).toBe(false);
  });

  it('the help table names every key handled', () => {
    const keys = KEY_HELP.map(([k]) => k).join(' ');
    for (const k of ['q', 'Ctrl-C', '?', '1 2 3 4 5', ']', '[', 'a', 'space', 'Tab', '/', 'i']) expect(keys).toContain(k);
  });
});
