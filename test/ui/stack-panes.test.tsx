// The stack panes through the real store and key handler: the profile pane's paths (leaf kept
// in view at 80 columns), selection, Enter/Esc, the frequency key, the window of intervals and
// the / filter; the off-CPU pane's Enter asks for --offcpu-stacks and shows a task's stacks.
import type React from 'react';
import { describe, expect, it } from 'vitest';

import { ProfilePane } from '../../src/ui/components/ProfilePane.js';
import { OffcpuPane } from '../../src/ui/components/OffcpuPane.js';
import { handleKey } from '../../src/ui/keys.js';
import { fitLeaf, foldedLine } from '../../src/stacks/frames.js';
import type { AppStore } from '../../src/store/store.js';
import { fixtureStore, offcpuSample, profileSample } from './fixtures.js';
import { renderWith, stripSgr } from './render.js';
import type { Interval } from '../../src/catalogue/catalogue.js';
import { screenEntry } from './fixtures.js';

const profile = screenEntry('profile');
const offcpu = screenEntry('offcpu');

const press = (s: AppStore, input: string, key = {}) => handleKey(s.getState(), input, key);
const frame = (s: AppStore, el: React.ReactElement) => stripSgr(renderWith(s, el).lastFrame() ?? '');
/** The settings the store asks of the manager, as a fake manager attached to it records them. */
function settingsAsked(s: AppStore): { probe: string; flag: string; value: unknown }[] {
  const asked: { probe: string; flag: string; value: unknown }[] = [];
  s.getState().attach({ setEnabled: () => {}, setPinnedCpu: () => {}, setOption: async (probe, flag, value) => (asked.push({ probe, flag, value }), null) });
  return asked;
}

describe('profile pane', () => {
  it('one path per line at 80 columns, the leaf in view; Enter shows the frames, Esc back', () => {
    const s = fixtureStore();
    const f = frame(s, <ProfilePane spec={profile} width={80} height={10} />);
    expect(f).toContain('main › mid_b › leaf_a');
    expect(f).toMatch(/67%\s+burner/);
    // a hostile comm is shown escaped, never raw
    expect(f).not.toContain('\x1b');
    s.getState().setFocus('profile');
    press(s, '', { return: true });
    expect(s.getState().detail).toEqual({ pane: 'profile', row: expect.any(String) });
    const d = frame(s, <ProfilePane spec={profile} width={80} height={10} />);
    expect(d).toContain('burner[4242]: 60 of 90 samples');
    expect(d.indexOf('leaf_a')).toBeLessThan(d.indexOf('main'));
    expect(d).toContain('[k] asm_sysvec_apic_timer_interrupt');
    press(s, '', { escape: true });
    expect(s.getState().detail).toBeNull();
  });

  it('a tall pane shows a tree of frames with inclusive shares; t swaps it with the paths', () => {
    const s = fixtureStore();
    const f = frame(s, <ProfilePane spec={profile} width={80} height={22} />);
    const lines = f.split('\n');
    const at = (t: string) => lines.findIndex((l) => l.includes(t));
    expect(lines[at('burner')]).toMatch(/67%\s+burner/);
    expect(lines[at('leaf_a')]).toMatch(/67%\s+leaf_a/);
    expect(at('main')).toBeLessThan(at('mid_b'));
    expect(at('mid_b')).toBeLessThan(at('leaf_a'));
    // indented one step per level below the process
    expect(lines[at('mid_b')].indexOf('mid_b')).toBeGreaterThan(lines[at('main')].indexOf('main'));
    s.getState().setFocus('profile');
    press(s, 't');
    expect(frame(s, <ProfilePane spec={profile} width={80} height={22} />)).toContain('main › mid_b › leaf_a');
  });

  it('waiting, then its first interval: the same pane, drawn again (its hooks the same on every render)', async () => {
    const s = fixtureStore({ data: { offcpu: offcpuSample() } });
    const r = renderWith(s, <ProfilePane spec={profile} width={80} height={10} />);
    expect(stripSgr(r.lastFrame() ?? '')).toContain('waiting for the first interval');
    const prev = s.getState().latest!;
    s.getState().commitInterval({ ...prev, time: new Date(Date.parse(prev.time) + 1000).toISOString(), data: { ...prev.data, profile: profileSample() } });
    await new Promise((res) => setTimeout(res, 50));
    const f = stripSgr(r.lastFrame() ?? '');
    expect(f).toContain('main › mid_b › leaf_a');
    expect(f).not.toContain('ERROR');
  });

  it('fitLeaf cuts at the root end', () => {
    expect(fitLeaf('a › b › leaf', 8)).toBe('… › leaf');
    expect(fitLeaf('a › b › leaf', 9)).toBe('…b › leaf');
    expect(fitLeaf('short', 8)).toBe('short');
  });

  it('f steps the frequency (a request for the manager), w merges the last intervals, / filters by comm', () => {
    const s = fixtureStore();
    const asked = settingsAsked(s);
    s.getState().setFocus('profile');
    press(s, 'f');
    expect(asked.at(-1)).toMatchObject({ probe: 'profile', flag: 'frequency', value: 99 });
    press(s, 'f');
    expect(asked.at(-1)).toMatchObject({ value: 199 });
    // a second interval, then the window: counts add up
    const prev = s.getState().latest!;
    const next: Interval = { ...prev, time: new Date(Date.parse(prev.time) + 1000).toISOString(), data: { ...prev.data, profile: profileSample() } };
    s.getState().commitInterval(next);
    press(s, 'w');
    expect(frame(s, <ProfilePane spec={profile} width={80} height={10} />)).toMatch(/180 samples.*last 10 intervals|last 10 intervals[\s\S]*180 samples/);
    press(s, 'w');
    press(s, '/');
    for (const c of 'burn') press(s, c);
    press(s, '', { return: true });
    const f = frame(s, <ProfilePane spec={profile} width={80} height={10} />);
    expect(f).toContain('burner');
    expect(f).not.toContain('stripped');
  });

  it('a folded line: comm, user frames, -, kernel frames, count', () => {
    const r = profileSample().stacks[0];
    expect(foldedLine(r, 60)).toBe('burner;main;mid_b;leaf_a;-;asm_sysvec_apic_timer_interrupt 60');
    expect(foldedLine(profileSample().stacks[1], 3)).toBe('evil\\e[31m;stripped+0x1139 3');
  });
});

describe('off-CPU pane detail', () => {
  it('Enter on a row asks for --offcpu-stacks and shows that task; with stacks, its stacks', () => {
    const s = fixtureStore();
    const asked = settingsAsked(s);
    s.getState().setFocus('offcpu');
    press(s, '', { downArrow: true });
    press(s, '', { return: true });
    expect(asked.at(-1)).toMatchObject({ probe: 'offcpu', flag: 'offcpu-stacks', value: true });
    const row = s.getState().detail!.row;
    const [, pid] = row.split(':').map(Number);
    expect(frame(s, <OffcpuPane spec={offcpu} width={80} height={12} />)).toContain('collecting off-CPU stacks');
    const p = profileSample().stacks[0];
    const stacks = {
      rows: [{ ...p, pid, total_us: 40000, max_us: 20000, count: 2, preempted: 1, preempted_by: 'kworker/1:0' }],
      returns: 2,
      other: 0,
      lost: 0,
      symbolize_ms: 0,
    };
    const prev = s.getState().latest!;
    s.getState().commitInterval({ ...prev, data: { ...prev.data, offcpu: offcpuSample({ stacks }) } });
    const f = frame(s, <OffcpuPane spec={offcpu} width={80} height={12} />);
    expect(f).toContain('preempted 1× by kworker/1:0');
    expect(f).toContain('leaf_a');
    press(s, '', { escape: true });
    expect(s.getState().detail).toBeNull();
  });
});
