// The view slice: navigation (focus, cursor, detail, filters, the window and alternative views),
// pause, help, the prompts as they are typed (+ and the replay's g) and the notice line. Nothing
// here reaches the manager or the replay source: submitting a prompt is the control slice's.
import { fromSpec } from '../catalogue/catalogue.js';
import { frozenFeeds } from './data-slice.js';
import { commonPrefix, cursorOf, isFeed, isFilterable, paneOrder, rowValues, shownPanes, sortOf } from './selectors.js';
import { OVERVIEW, PRESETS, type AppState, type PaneId, type ScreenSettings, type Slice, type StoreInit, type ViewActions, type ViewState } from './state.js';

/** The panes a preset hides (every pane whose view does not name it; none for "everything", or when no pane would be left). */
function presetHidden(cat: StoreInit['catalogue'], order: readonly PaneId[], name: string): PaneId[] {
  if (name === PRESETS[0]) return [];
  const keep = order.filter((x) => cat.find((s) => s.name === x)?.presets?.includes(name));
  return keep.length ? order.filter((x) => !keep.includes(x)) : [];
}

/** The state after hiding: the focus moved off a hidden pane (to the first shown, the overview when none is). */
function withHidden(s: AppState, order: readonly PaneId[], hidden: readonly PaneId[]): Partial<AppState> {
  const shown = order.filter((x) => !hidden.includes(x));
  const focus = shown.includes(s.focus) ? s.focus : (shown[0] ?? OVERVIEW);
  return { hidden: shown.length ? [...hidden] : order.filter((x) => x !== OVERVIEW), focus, filterEditing: false };
}

/** Settings from the configuration file, checked against the catalogue (unknown names dropped). */
function fromSettings(order: readonly PaneId[], cat: StoreInit['catalogue'], st: ScreenSettings | undefined): Partial<ViewState> {
  if (!st) return {};
  const out: { preset?: string; hidden?: PaneId[]; sort?: ViewState['sort'] } = {};
  if (st.preset && (st.preset === 'custom' || PRESETS.includes(st.preset))) out.preset = st.preset;
  if (st.hidden) {
    const hidden = order.filter((x) => st.hidden!.includes(x));
    if (hidden.length < order.length) out.hidden = hidden;
  } else if (out.preset && out.preset !== 'custom') out.hidden = presetHidden(cat, order, out.preset);
  if (st.sort) {
    const sort: Record<string, { column: string; descending: boolean }> = {};
    for (const [pane, k] of Object.entries(st.sort)) if (cat.find((c) => c.name === pane)?.sortColumns?.includes(k.column)) sort[pane] = k;
    out.sort = sort;
  }
  return out;
}

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
    sort: {},
    hidden: [],
    preset: 'everything',
    paneMenu: null,
    scrollBack: {},
    mouse: init.mouse ?? true,
    ...(() => {
      const st = fromSettings(order, cat, init.settings);
      const shown = order.filter((x) => !(st.hidden ?? []).includes(x));
      return shown.length && !shown.includes(OVERVIEW) ? { ...st, focus: shown[0] } : st;
    })(),

    togglePause: () =>
      set((s) =>
        s.paused
          ? { paused: false, shown: s.latest, shownFeeds: null, shownTrend: null }
          : { paused: true, shownTrend: s.trend, shownFeeds: frozenFeeds(s.feeds) },
      ),
    toggleHelp: () => set((s) => ({ helpOpen: !s.helpOpen })),
    focusNext: (step) =>
      set((s) => {
        const shown = shownPanes(s);
        if (shown.length === 0) return {};
        const i = shown.indexOf(s.focus);
        return { focus: shown[i < 0 ? 0 : (i + step + shown.length) % shown.length], filterEditing: false };
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
    sortStep: (step) =>
      set((s) => {
        const spec = cat.find((p) => p.name === s.focus);
        const cols = spec?.sortColumns;
        const cur = sortOf(s, s.focus);
        if (!cols?.length || !cur) return {};
        const i = cols.indexOf(cur.column);
        return { sort: { ...s.sort, [s.focus]: { column: cols[(i + step + cols.length) % cols.length], descending: cur.descending } } };
      }),
    sortInvert: () =>
      set((s) => {
        const cur = sortOf(s, s.focus);
        return cur ? { sort: { ...s.sort, [s.focus]: { ...cur, descending: !cur.descending } } } : {};
      }),
    sortBy: (pane, column) =>
      set((s) => {
        const cur = sortOf(s, pane);
        if (!cur || !cat.find((p) => p.name === pane)?.sortColumns?.includes(column)) return {};
        return { sort: { ...s.sort, [pane]: cur.column === column ? { column, descending: !cur.descending } : { column, descending: cur.descending } } };
      }),
    cyclePreset: (step = 1) =>
      set((s) => {
        const i = PRESETS.indexOf(s.preset);
        const next = PRESETS[(i + step + PRESETS.length) % PRESETS.length];
        return { ...withHidden(s, order, presetHidden(cat, order, next)), preset: next };
      }),
    setShown: (pane, shown) =>
      set((s) => {
        if (!order.includes(pane) || s.hidden.includes(pane) === !shown) return {};
        const hidden = shown ? s.hidden.filter((x) => x !== pane) : [...s.hidden, pane];
        return { ...withHidden(s, order, hidden), preset: 'custom', ...(shown ? { focus: pane } : {}) };
      }),
    togglePaneMenu: () => set((s) => ({ paneMenu: s.paneMenu === null ? 0 : null, helpOpen: false })),
    movePaneMenu: (step) => set((s) => (s.paneMenu === null ? {} : { paneMenu: Math.max(0, Math.min(order.length - 1, s.paneMenu + step)) })),
    toggleAtPaneMenu: () =>
      set((s) => {
        if (s.paneMenu === null) return {};
        const pane = order[s.paneMenu];
        const shown = s.hidden.includes(pane);
        const hidden = shown ? s.hidden.filter((x) => x !== pane) : [...s.hidden, pane];
        return { ...withHidden(s, order, hidden), preset: 'custom' };
      }),
    scrollFeed: (pane, events) =>
      set((s) => {
        if (!isFeed(cat, pane)) return {};
        const ring = s.feeds[pane].lines;
        const oldest = ring.total - ring.size + 1; // at least one event stays in view
        const at = Math.max(oldest, Math.min(ring.total, (s.scrollBack[pane] ?? ring.total) - events));
        const { [pane]: _, ...rest } = s.scrollBack;
        return { scrollBack: at >= ring.total ? rest : { ...s.scrollBack, [pane]: at } };
      }),
    feedLive: (pane) =>
      set((s) => {
        if (s.scrollBack[pane] === undefined) return {};
        const { [pane]: _, ...rest } = s.scrollBack;
        return { scrollBack: rest };
      }),
    applySettings: (st) => set(() => fromSettings(order, cat, st)),
    toggleWindow: () => set((s) => (cat.some((p) => p.name === s.focus && p.merge) ? { windowed: { ...s.windowed, [s.focus]: !s.windowed[s.focus] } } : {})),
  });
}
