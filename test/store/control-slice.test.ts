// The control slice alone, against fake controls that record calls: a toggle or a pin updates the
// state, then calls the manager once (nothing when nothing changed or nothing is attached); the +
// prompt, - and the setting keys ask the manager and show its answer as the notice; the replay
// keys call the replay source, and a bad go-to time is the notice. Pure: no rendering.
import { describe, expect, it } from 'vitest';
import { createAppStore, cursorOf, optionShown, rowValues } from '../../src/store/store.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { fixtureStore } from '../ui/fixtures.js';
import { CONTROL_KEYS, changed, fakeControl, fakeReplay, INIT, settle } from './helpers.js';

const REPLAY = { position: 1, total: 3, time: null, paused: false, ended: false };
const ARGS = SCREEN_CATALOGUE.find((s) => s.args)!;
const CYCLED = SCREEN_CATALOGUE.find((s) => s.options?.some((o) => o.cycle?.length))!;
const CYCLE = CYCLED.options!.find((o) => o.cycle?.length)!;
const DETAILED = SCREEN_CATALOGUE.find((s) => s.rowIds && s.options?.some((o) => o.detail && o.kind === 'boolean'))!;
const NEED = DETAILED.options!.find((o) => o.detail && o.kind === 'boolean')!;

describe('control slice: the manager', () => {
  it('a toggle updates enabled, then calls setEnabled once with the new value', () => {
    const st = createAppStore(INIT);
    const c = fakeControl();
    let seen: boolean | undefined;
    st.getState().attach({ ...c, setEnabled: (name, on) => ((seen = st.getState().enabled[name]), c.setEnabled(name, on)) });
    st.getState().toggleProbe('offcpu');
    expect(st.getState().enabled.offcpu).toBe(true);
    expect(seen).toBe(true);
    st.getState().toggleProbe('offcpu');
    expect(c.calls).toEqual([
      { fn: 'setEnabled', args: ['offcpu', true] },
      { fn: 'setEnabled', args: ['offcpu', false] },
    ]);
    // setEnabled to what it is already: no call.
    st.getState().setEnabled('runqlat', true);
    expect(c.calls).toHaveLength(2);
    st.getState().setEnabled('runqlat', false);
    expect(c.calls.at(-1)).toEqual({ fn: 'setEnabled', args: ['runqlat', false] });
  });

  it('pins: setPinnedCpu on a change only', () => {
    const st = createAppStore(INIT);
    const c = fakeControl();
    st.getState().attach(c);
    st.getState().pinNext(1);
    st.getState().pinCpu(0);
    st.getState().pinNext(-1);
    st.getState().pinCpu(null);
    expect(st.getState().pinnedCpu).toBeNull();
    expect(c.calls).toEqual([
      { fn: 'setPinnedCpu', args: [0] },
      { fn: 'setPinnedCpu', args: [1] },
      { fn: 'setPinnedCpu', args: [null] },
    ]);
  });

  it('nothing attached, or detached: the state changes, nothing is called', () => {
    const st = createAppStore(INIT);
    st.getState().toggleProbe('offcpu');
    st.getState().pinCpu(1);
    expect(st.getState()).toMatchObject({ enabled: { offcpu: true }, pinnedCpu: 1 });
    const c = fakeControl();
    const detach = st.getState().attach(c);
    detach();
    st.getState().toggleProbe('offcpu');
    st.getState().pinCpu(0);
    expect(c.calls).toEqual([]);
  });

  it('+ Enter asks the manager to add the value; its answer, or what was done, is the notice', async () => {
    const st = createAppStore(INIT);
    const c = fakeControl((_, args) => ((args[1] as { add?: string }).add === 'no:such' ? 'no:such: no such tracepoint' : null));
    st.getState().attach(c);
    st.getState().openArgsPrompt();
    st.getState().setArgsPrompt('  sched:sched_switch ');
    st.getState().submitArgsPrompt();
    expect(st.getState().argsPrompt).toBeNull();
    expect(c.calls).toEqual([{ fn: 'editArgs', args: [ARGS.name, { add: 'sched:sched_switch' }] }]);
    await settle();
    expect(st.getState().notice).toBe(`--${ARGS.args!.flag}: added sched:sched_switch`);
    st.getState().openArgsPrompt();
    st.getState().setArgsPrompt('no:such');
    st.getState().submitArgsPrompt();
    await settle();
    expect(st.getState().notice).toBe('no:such: no such tracepoint');
    // Nothing typed: the prompt closes, nothing is asked.
    st.getState().openArgsPrompt();
    st.getState().submitArgsPrompt();
    expect(st.getState().argsPrompt).toBeNull();
    expect(c.calls).toHaveLength(2);
  });

  it('- asks the manager to remove the selected row’s value; never in a replay', async () => {
    const st = fixtureStore();
    const c = fakeControl();
    st.getState().attach(c);
    st.getState().setFocus(ARGS.name);
    st.getState().moveCursor(1);
    const value = rowValues(st.getState(), ARGS.name)[cursorOf(st.getState(), ARGS.name)];
    st.getState().removeAtCursor();
    expect(c.calls).toEqual([{ fn: 'editArgs', args: [ARGS.name, { remove: value }] }]);
    await settle();
    expect(st.getState().notice).toBe(`--${ARGS.args!.flag}: removed ${value}`);
    st.getState().setReplay(REPLAY);
    st.getState().removeAtCursor();
    expect(c.calls).toHaveLength(1);
  });

  it('a setting key: the next value of its cycle, asked of the manager; its refusal is the notice', async () => {
    const st = createAppStore(INIT);
    let refuse = false;
    const c = fakeControl(() => (refuse ? 'too fast' : null));
    st.getState().attach(c);
    st.getState().setFocus(CYCLED.name);
    st.getState().cycleOption(CYCLE.flag);
    const first = optionShown(st.getState(), CYCLED.name, CYCLE.flag);
    expect(c.calls).toEqual([{ fn: 'setOption', args: [CYCLED.name, CYCLE.flag, first] }]);
    await settle();
    expect(st.getState().notice).toBe(`--${CYCLE.flag} ${first}`);
    refuse = true;
    st.getState().cycleOption(CYCLE.flag);
    const second = optionShown(st.getState(), CYCLED.name, CYCLE.flag);
    expect(second).not.toBe(first);
    expect(c.calls.at(-1)).toEqual({ fn: 'setOption', args: [CYCLED.name, CYCLE.flag, second] });
    await settle();
    expect(st.getState().notice).toBe('too fast');
  });

  it('Enter on a row whose detail needs a setting turns it on, once', async () => {
    const st = fixtureStore();
    const c = fakeControl();
    st.getState().attach(c);
    st.getState().setFocus(DETAILED.name);
    st.getState().openDetail();
    expect(st.getState().detail?.pane).toBe(DETAILED.name);
    expect(c.calls).toEqual([{ fn: 'setOption', args: [DETAILED.name, NEED.flag, true] }]);
    await settle();
    expect(st.getState().notice).toBe(`--${NEED.flag} on`);
    st.getState().closeDetail();
    st.getState().openDetail();
    expect(c.calls).toHaveLength(1);
  });

  it('a replay asks the manager nothing: no option edit, no setting, no detail setting', () => {
    const st = fixtureStore();
    const c = fakeControl();
    st.getState().attach(c);
    st.getState().setReplay(REPLAY);
    st.getState().setFocus(CYCLED.name);
    st.getState().cycleOption(CYCLE.flag);
    st.getState().setFocus(DETAILED.name);
    st.getState().openDetail();
    expect(st.getState().detail).not.toBeNull();
    expect(c.calls).toEqual([]);
  });

  it('its actions change the control slice (and close what they submit) only', () => {
    const st = fixtureStore();
    st.getState().attach(fakeControl());
    const before = st.getState();
    st.getState().toggleProbe('offcpu');
    st.getState().pinNext(1);
    st.getState().setFocus(CYCLED.name);
    const focused = st.getState();
    st.getState().cycleOption(CYCLE.flag);
    expect(changed(before, focused).filter((k) => !CONTROL_KEYS.includes(k))).toEqual(['focus']);
    expect(changed(focused, st.getState())).toEqual(['options']);
  });
});

describe('control slice: the replay source', () => {
  it('the replay keys call the source; go-to asks it and shows a bad time as the notice', () => {
    const st = createAppStore({ ...INIT, replay: REPLAY });
    const r = fakeReplay((text) => (text === 'bad' ? 'not a time' : null));
    st.getState().attachReplay(r);
    st.getState().replayStep(-10);
    st.getState().replayTogglePause();
    st.getState().openReplayPrompt();
    st.getState().setReplayPrompt('14:03:25');
    st.getState().submitReplayPrompt();
    expect(st.getState()).toMatchObject({ replayPrompt: null, notice: null });
    st.getState().openReplayPrompt();
    st.getState().setReplayPrompt('bad');
    st.getState().submitReplayPrompt();
    expect(st.getState().notice).toBe('go to: not a time');
    // No prompt open: Enter asks nothing.
    st.getState().submitReplayPrompt();
    expect(r.calls).toEqual([
      { fn: 'step', args: [-10] },
      { fn: 'togglePause', args: [] },
      { fn: 'seekTime', args: ['14:03:25'] },
      { fn: 'seekTime', args: ['bad'] },
    ]);
  });

  it('its position is the source’s (setReplay); detached, the keys call nothing', () => {
    const st = createAppStore({ ...INIT, replay: REPLAY });
    st.getState().setReplay({ ...REPLAY, position: 2 });
    expect(st.getState().replay?.position).toBe(2);
    const r = fakeReplay();
    st.getState().attachReplay(r)();
    st.getState().replayStep(1);
    st.getState().openReplayPrompt();
    st.getState().submitReplayPrompt();
    expect(st.getState().replayPrompt).toBeNull();
    expect(r.calls).toEqual([]);
  });
});
