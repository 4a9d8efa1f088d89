// The view slice: navigation (focus, cursor, detail, filters, the window and alternative views),
// pause, help, the prompts as they are typed (+ and the replay's g) and the notice line. Nothing
// here reaches the manager or the replay source: submitting a prompt is the control slice's.
import { fromSpec } from '../catalogue/catalogue.js';
import { frozenFeeds } from './data-slice.js';
import { commonPrefix, cursorOf, isFilterable, paneOrder, rowValues } from './selectors.js';
import { OVERVIEW, type Slice, type StoreInit, type ViewActions, type ViewState } from './state.js';

export function viewSlice(init: StoreInit): Slice<ViewState & ViewActions> {
  const cat = init.catalogue;
  const order = paneOrder(cat);
  return (set) => ({
    paused: false,
    helpOpen: false,
    focus: OVERVIEW,
    filters: Object.fromEntries(cat.filter((s) => s.kind === 'feed' || s.filterText).map((s) => [s.name, ''])),
    filterEditing: false,
    showIdle: init.showIdle ?? false,
    quitRequested: false,
    replayPrompt: null,
    notice: null,
    argsPrompt: null,
    cursor: {},
    detail: null,
    windowed: {},
    altView: {},

    togglePause: () =>
      set((s) =>
        s.paused
          ? { paused: false, shown: s.latest, shownFeeds: null, shownTrend: null }
          : { paused: true, shownTrend: s.trend, shownFeeds: frozenFeeds(s.feeds) },
      ),
    toggleHelp: () => set((s) => ({ helpOpen: !s.helpOpen })),
    focusNext: (step) =>
      set((s) => {
        const i = order.indexOf(s.focus);
        return { focus: order[(i + step + order.length) % order.length], filterEditing: false };
      }),
    setFocus: (p) => set(() => ({ focus: p, filterEditing: false })),
    startFilter: () => set((s) => (isFilterable(cat, s.focus) ? { filterEditing: true } : {})),
    setFilter: (name, text) => set((s) => ({ filters: { ...s.filters, [name]: text } })),
    endFilter: () => set(() => ({ filterEditing: false })),
    toggleIdle: () => set((s) => ({ showIdle: !s.showIdle })),
    requestQuit: () => set(() => ({ quitRequested: true })),
    openReplayPrompt: () => set((s) => (s.replay ? { replayPrompt: '', notice: null } : {})),
    setReplayPrompt: (text) => set((s) => (s.replayPrompt === null ? {} : { replayPrompt: text })),
    closeReplayPrompt: () => set(() => ({ replayPrompt: null })),
    setNotice: (text) => set(() => ({ notice: text })),
    openArgsPrompt: () =>
      set((s) => {
        const spec = cat.find((p) => p.name === s.focus && p.args) ?? cat.find((p) => p.args);
        if (!spec || s.replay) return {};
        return { argsPrompt: { probe: spec.name, text: '', choices: [] }, focus: spec.name, notice: null, filterEditing: false };
      }),
    setArgsPrompt: (text) => set((s) => (s.argsPrompt ? { argsPrompt: { ...s.argsPrompt, text, choices: [] } } : {})),
    completeArgsPrompt: () =>
      set((s) => {
        const p = s.argsPrompt;
        const args = p && cat.find((x) => x.name === p.probe)?.args;
        if (!p || !args) return {};
        const choices = fromSpec(() => args.complete(p.text), []);
        const prefix = commonPrefix(choices);
        return { argsPrompt: { ...p, text: prefix.length > p.text.length ? prefix : p.text, choices } };
      }),
    closeArgsPrompt: () => set(() => ({ argsPrompt: null })),
    moveCursor: (step) =>
      set((s) => {
        const n = rowValues(s, s.focus).length;
        if (n === 0) return {};
        return { cursor: { ...s.cursor, [s.focus]: Math.max(0, Math.min(n - 1, cursorOf(s, s.focus) + step)) } };
      }),
    closeDetail: () => set(() => ({ detail: null })),
    toggleAltView: () => set((s) => (cat.some((p) => p.name === s.focus && p.altView) ? { altView: { ...s.altView, [s.focus]: !s.altView[s.focus] } } : {})),
    toggleWindow: () => set((s) => (cat.some((p) => p.name === s.focus && p.merge) ? { windowed: { ...s.windowed, [s.focus]: !s.windowed[s.focus] } } : {})),
  });
}
