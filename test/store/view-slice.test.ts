// The view slice alone: focus, filters, cursor, pause, help, the prompts as they are typed and
// the notice; none of its actions reaches the manager or the replay source, and none changes
// another slice's state (pause alone freezes the data slice's shown copies). Pure: no rendering.
import { describe, expect, it } from 'vitest';
import { createAppStore, OVERVIEW, paneOrder, rowValues, type AppStore } from '../../src/store/store.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { fixtureStore } from '../ui/fixtures.js';
import { changed, fakeControl, fakeReplay, INIT, VIEW_KEYS } from './helpers.js';

const REPLAY = { position: 1, total: 3, time: null, paused: false, ended: false };
const ARGS = SCREEN_CATALOGUE.find((s) => s.args)!.name;
const FILTERABLE = SCREEN_CATALOGUE.find((s) => s.kind === 'feed' || s.filterText)!.name;
const PLAIN = SCREEN_CATALOGUE.find((s) => s.kind !== 'feed' && !s.filterText)!.name;

/** The state keys an action changed, outside the view slice. */
function outside(store: AppStore, act: () => void): string[] {
  const before = store.getState();
  act();
  return changed(before, store.getState()).filter((k) => !VIEW_KEYS.includes(k));
}

describe('view slice', () => {
  it('focus: Tab order is the overview then the catalogue, both ways round; a focus change ends filter typing', () => {
    const st = createAppStore(INIT);
    const order = paneOrder(SCREEN_CATALOGUE);
    expect(st.getState().focus).toBe(OVERVIEW);
    st.getState().focusNext(1);
    expect(st.getState().focus).toBe(order[1]);
    st.getState().focusNext(-1);
    st.getState().focusNext(-1);
    expect(st.getState().focus).toBe(order.at(-1));
    st.getState().setFocus(FILTERABLE);
    st.getState().startFilter();
    expect(st.getState().filterEditing).toBe(true);
    st.getState().setFocus(OVERVIEW);
    expect(st.getState().filterEditing).toBe(false);
  });

  it('filters: only a filterable pane starts one; the text is kept by pane', () => {
    const st = createAppStore(INIT);
    st.getState().setFocus(PLAIN);
    st.getState().startFilter();
    expect(st.getState().filterEditing).toBe(false);
    st.getState().setFocus(FILTERABLE);
    st.getState().startFilter();
    st.getState().setFilter(FILTERABLE, 'abc');
    st.getState().endFilter();
    expect(st.getState()).toMatchObject({ filterEditing: false, filters: { [FILTERABLE]: 'abc' } });
  });

  it('cursor: moves within the focused pane’s rows, never past either end', () => {
    const st = fixtureStore();
    st.getState().setFocus(ARGS);
    const n = rowValues(st.getState(), ARGS).length;
    expect(n).toBeGreaterThan(1);
    st.getState().moveCursor(-1);
    expect(st.getState().cursor[ARGS]).toBe(0);
    st.getState().moveCursor(n + 5);
    expect(st.getState().cursor[ARGS]).toBe(n - 1);
    st.getState().setFocus(OVERVIEW);
    const before = st.getState();
    st.getState().moveCursor(1);
    expect(st.getState().cursor).toBe(before.cursor);
  });

  it('pause freezes what is shown (interval, trend, feed lines); resume shows the newest', () => {
    const st = fixtureStore();
    const first = st.getState().latest!;
    st.getState().togglePause();
    expect(st.getState()).toMatchObject({ paused: true, shown: first, shownTrend: st.getState().trend });
    expect(st.getState().shownFeeds).not.toBeNull();
    const next = { ...first, time: new Date(Date.parse(first.time) + 1000).toISOString() };
    st.getState().commitInterval(next);
    expect(st.getState().shown).toBe(first);
    st.getState().togglePause();
    expect(st.getState()).toMatchObject({ paused: false, shown: next, shownFeeds: null, shownTrend: null });
  });

  it('the + prompt: focuses the probe that has one, clears the notice; typed text, Tab, Esc; never in a replay', () => {
    const st = createAppStore(INIT);
    st.getState().setNotice('old news');
    st.getState().openArgsPrompt();
    expect(st.getState()).toMatchObject({ focus: ARGS, notice: null, argsPrompt: { probe: ARGS, text: '', choices: [] } });
    st.getState().setArgsPrompt('sched:');
    expect(st.getState().argsPrompt?.text).toBe('sched:');
    st.getState().completeArgsPrompt();
    expect(st.getState().argsPrompt?.text.startsWith('sched:')).toBe(true);
    st.getState().closeArgsPrompt();
    expect(st.getState().argsPrompt).toBeNull();
    const replay = createAppStore({ ...INIT, replay: REPLAY });
    replay.getState().openArgsPrompt();
    expect(replay.getState().argsPrompt).toBeNull();
  });

  it('the go-to prompt opens only in a replay; typed text, Esc', () => {
    const live = createAppStore(INIT);
    live.getState().openReplayPrompt();
    expect(live.getState().replayPrompt).toBeNull();
    const st = createAppStore({ ...INIT, replay: REPLAY });
    st.getState().setNotice('old news');
    st.getState().openReplayPrompt();
    expect(st.getState()).toMatchObject({ replayPrompt: '', notice: null });
    st.getState().setReplayPrompt('14:03');
    expect(st.getState().replayPrompt).toBe('14:03');
    st.getState().closeReplayPrompt();
    expect(st.getState().replayPrompt).toBeNull();
    st.getState().setReplayPrompt('x');
    expect(st.getState().replayPrompt).toBeNull();
  });

  it('help, idle tasks, the window and alternative views, quit', () => {
    const st = fixtureStore();
    st.getState().toggleHelp();
    st.getState().toggleIdle();
    st.getState().requestQuit();
    expect(st.getState()).toMatchObject({ helpOpen: true, showIdle: true, quitRequested: true });
    const merged = SCREEN_CATALOGUE.find((s) => s.merge)!.name;
    const alt = SCREEN_CATALOGUE.find((s) => s.altView)!.name;
    st.getState().setFocus(merged);
    st.getState().toggleWindow();
    st.getState().setFocus(alt);
    st.getState().toggleAltView();
    expect(st.getState().windowed[merged]).toBe(true);
    expect(st.getState().altView[alt]).toBe(true);
    st.getState().setFocus(OVERVIEW);
    st.getState().toggleWindow();
    st.getState().toggleAltView();
    expect(st.getState().windowed[OVERVIEW]).toBeUndefined();
    expect(st.getState().altView[OVERVIEW]).toBeUndefined();
  });

  it('no view action calls a control or changes another slice (pause: the shown copies only)', () => {
    for (const replay of [undefined, REPLAY]) {
      const st = fixtureStore();
      const s = () => st.getState();
      if (replay) s().setReplay(replay);
      const probes = fakeControl();
      const source = fakeReplay();
      s().attach(probes);
      s().attachReplay(source);
      const acts: (() => void)[] = [
        () => s().toggleHelp(),
        () => s().toggleHelp(),
        () => s().focusNext(1),
        () => s().focusNext(-1),
        () => s().setFocus(ARGS),
        () => s().moveCursor(1),
        () => s().startFilter(),
        () => s().setFilter(ARGS, 'x'),
        () => s().endFilter(),
        () => s().toggleIdle(),
        () => s().openArgsPrompt(),
        () => s().setArgsPrompt('sched:'),
        () => s().completeArgsPrompt(),
        () => s().closeArgsPrompt(),
        () => s().openReplayPrompt(),
        () => s().setReplayPrompt('1'),
        () => s().closeReplayPrompt(),
        () => s().setNotice('n'),
        () => s().toggleWindow(),
        () => s().toggleAltView(),
        () => s().closeDetail(),
        () => s().requestQuit(),
      ];
      for (const act of acts) expect(outside(st, act)).toEqual([]);
      // Pause and resume: the frozen copies come and go (resume shows the newest interval, here the one shown).
      expect(outside(st, () => s().togglePause())).toEqual(['shownFeeds', 'shownTrend']);
      expect(outside(st, () => s().togglePause())).toEqual(['shownFeeds', 'shownTrend']);
      expect(probes.calls).toEqual([]);
      expect(source.calls).toEqual([]);
    }
  });
});
