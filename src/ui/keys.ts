// The keyboard, as a pure function of (store state, key): one dispatcher keyed on the current
// mode (filter editing, help overlay, normal). It only calls store actions; those of the control
// slice call the probe manager or the replay source themselves. Tested without rendering
// (test/ui/keys.test.ts).
// The toggle keys are the catalogue's (ProbeSpec.key).
import { hasRows, isFeed, isFilterable, WINDOW_INTERVALS, type AppActions, type AppState } from '../store/store.js';
import type { ProbeName } from '../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../views/view.js';
import { handleMouse, onlyMouse, parseMouse } from './mouse.js';

/** Toggle key -> probe, from the catalogue. */
export function toggleKeys(cat: ScreenCatalogue): ReadonlyMap<string, ProbeName> {
  const m = new Map<string, ProbeName>();
  for (const s of cat) if (s.key !== null) m.set(s.key, s.name);
  return m;
}

/** The parts of Ink's Key we use. */
export interface KeyInfo {
  readonly ctrl?: boolean;
  readonly meta?: boolean;
  readonly shift?: boolean;
  readonly tab?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly end?: boolean;
}

/** F6 as terminals send it (ESC [ 17 ~, a modifier maybe): htop's "sort by". */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the key's sequence starts with ESC
const F6 = /^\x1b\[17(;\d+)?~$/;
export const isF6 = (raw: string): boolean => F6.test(raw);

/** Events a page of a feed scrolls (PgUp / PgDn). */
export const FEED_PAGE = 10;

export type KeyResult = 'quit' | 'handled' | 'ignored';

/** The keys of the screen itself (layout, sort, scroll, mouse), live and in a replay. */
const SCREEN_KEYS: readonly (readonly [string, string])[] = [
  ['< > F6, I', 'sort the focused table by the previous / next column (marked ▼ ▲); invert'],
  ['p, v, h', 'next layout (everything, latency, feeds, counters); choose the panes; hide this one'],
  ['↑ ↓ PgUp PgDn End', 'scroll the focused feed back / forward; End: back to the live edge'],
  ['mouse', 'click: focus a pane, sort by a column; wheel: scroll (off: --no-mouse)'],
];

/** The keyboard table, shown by the help overlay and copied in the README. */
export function keyHelp(cat: ScreenCatalogue, replay = false): readonly (readonly [string, string])[] {
  const toggles = cat.filter((s) => s.key !== null);
  if (replay) {
    return [
      ['q, Ctrl-C', 'quit'],
      ['?', 'open / close this help'],
      ['space', 'pause / resume the replay'],
      ['t T', 'step one interval forward / back (pauses)'],
      ['j J', 'jump 10 intervals forward / back (pauses)'],
      ['g', 'go to a time: HH:MM:SS (UTC), ISO 8601 or 10m ago / -2h, then Enter'],
      ['] [ a', 'pin the view to the next / previous CPU, all CPUs'],
      ['Tab, S-Tab, ← →', 'focus the next / previous pane'],
      ['/', 'filter the focused feed (Enter or Esc ends)'],
      ['i', 'show / hide idle tasks in off-CPU'],
      ...SCREEN_KEYS,
    ];
  }
  return [
    ['q, Ctrl-C', 'quit'],
    ['?', 'open / close this help'],
    [toggles.map((s) => s.key).join(' '), `switch ${toggles.map((s) => s.name).join(', ')} on/off`],
    ['] [', 'pin the next / previous online CPU'],
    ['a', 'all CPUs (unpin)'],
    ['space', 'pause / resume the display (probes keep counting)'],
    ['Tab, S-Tab, ← →', 'focus the next / previous pane'],
    ['/', 'filter the focused feed or stack pane (Enter or Esc ends)'],
    ['i', 'show / hide idle tasks in off-CPU'],
    ...SCREEN_KEYS,
    ...cat
      .filter((s) => s.args)
      .flatMap((s): (readonly [string, string])[] => [
        ['+', `${s.name}: add a --${s.args!.flag} value (${s.args!.metavar}; Tab completes, Enter adds, Esc cancels)`],
        ['↑ ↓  -', `${s.name}: select a row, remove its value`],
      ]),
    ...(cat.some((s) => s.rowIds && !s.cgroupOfRow)
      ? [
          [
            '↑ ↓ Enter Esc',
            `${cat
              .filter((s) => s.rowIds && !s.cgroupOfRow)
              .map((s) => s.name)
              .join(', ')}: select a row, open it, back`,
          ] as const,
        ]
      : []),
    // (a pane whose rows are cgroups says its keys on its own line below: the overlay fits 80x24)
    ...cat.flatMap((s) =>
      (s.cgroupOfRow ? [] : (s.options ?? []))
        .filter((o) => o.key && o.cycle)
        .map((o): readonly [string, string] => [o.key!, `${s.name}: next --${o.flag} (${o.cycle!.join(', ')})`]),
    ),
    ...cat
      .filter((s) => s.cgroupOfRow)
      .map((s): readonly [string, string] => [
        ['↑ ↓ Enter G', ...(s.options ?? []).filter((o) => o.key && o.cycle).map((o) => o.key!)].join(' '),
        `${s.name}: filter every probe to the row's cgroup, G: all; ${(s.options ?? [])
          .filter((o) => o.key && o.cycle)
          .map((o) => `${o.key}: sort`)
          .join(', ')}`,
      ]),
    ...cat.filter((s) => s.merge).map((s): readonly [string, string] => ['w', `${s.name}: the last ${WINDOW_INTERVALS} intervals merged / this interval`]),
    ...cat.filter((s) => s.altView).map((s): readonly [string, string] => ['t', `${s.name}: ${s.altView}`]),
  ];
}

export const MAX_FILTER_LEN = 64;
export const MAX_PROMPT_LEN = 40;
/** A tracepoint with its field: "syscalls:sys_enter_process_vm_writev:flags" is 39. */
export const MAX_ARGS_LEN = 96;

const printable = (raw: string) => [...raw].filter((c) => c >= ' ' && c !== '\x7f' && !(c >= '\x80' && c <= '\x9f')).join('');

/** What a one-line prompt does with its keys. */
interface Prompt {
  readonly text: string;
  readonly max: number;
  set(text: string): void;
  submit(): void;
  close(): void;
  /** Tab, where the prompt completes. */
  complete?(): void;
}

/** A one-line prompt: printable text (a chunk may end with its Enter), Backspace, Enter submits, Esc closes. */
function promptKey(p: Prompt, input: string, key: KeyInfo): KeyResult {
  if (key.escape) p.close();
  else if (key.tab && p.complete) p.complete();
  else if (key.return) p.submit();
  else if (key.backspace || key.delete) p.set([...p.text].slice(0, -1).join(''));
  else {
    const raw = input ?? '';
    const enter = raw.search(/[\r\n]/);
    const typed = key.ctrl || key.meta ? '' : printable(enter >= 0 ? raw.slice(0, enter) : raw);
    if (typed) p.set([...(p.text + typed)].slice(0, p.max).join(''));
    if (enter >= 0) p.submit();
    if (!typed && enter < 0) return 'ignored';
  }
  return 'handled';
}

/** The replay's go-to prompt (g): Enter asks the source. */
function replayPrompt(s: AppState & AppActions): Prompt {
  return { text: s.replayPrompt ?? '', max: MAX_PROMPT_LEN, set: s.setReplayPrompt, submit: s.submitReplayPrompt, close: s.closeReplayPrompt };
}

/** The prompt of a probe's own option (+): Tab completes, Enter asks the manager. */
function argsPrompt(s: AppState & AppActions): Prompt {
  return {
    text: s.argsPrompt?.text ?? '',
    max: MAX_ARGS_LEN,
    set: s.setArgsPrompt,
    submit: s.submitArgsPrompt,
    close: s.closeArgsPrompt,
    complete: s.completeArgsPrompt,
  };
}

export function handleKey(s: AppState & AppActions, input: string, key: KeyInfo): KeyResult {
  if (key.ctrl && input === 'c') return 'quit';
  if (s.argsPrompt !== null) return promptKey(argsPrompt(s), input, key);
  if (s.filterEditing && isFilterable(s.catalogue, s.focus)) {
    // Printable input only: a pasted control sequence never lands in the filter. Text typed
    // quickly can arrive in one chunk with its Enter ("abc\r"): keep the text, then end.
    const pane = s.focus;
    return promptKey(
      { text: s.filters[pane] ?? '', max: MAX_FILTER_LEN, set: (t) => s.setFilter(pane, t), submit: s.endFilter, close: s.endFilter },
      input,
      key,
    );
  }
  if (s.replay && s.replayPrompt !== null) return promptKey(replayPrompt(s), input, key);
  if (s.paneMenu !== null) {
    if (key.escape || input === 'v') s.togglePaneMenu();
    else if (key.upArrow || key.downArrow) s.movePaneMenu(key.upArrow ? -1 : 1);
    else if (key.return || input === ' ') s.toggleAtPaneMenu();
    else if (input === 'p') s.cyclePreset();
    else if (input === 'q') return 'quit';
    else return 'ignored';
    return 'handled';
  }
  if (s.helpOpen) {
    if (input === '?' || key.escape) {
      s.toggleHelp();
      return 'handled';
    }
    if (input === 'q') return 'quit';
    return 'ignored';
  }
  if (input === 'q') return 'quit';
  if (s.replay) {
    // A replay: these keys drive the replay source; the toggles have nothing to start (ignored);
    // pinning changes only the view, as the other view keys below do.
    const steps: Record<string, number> = { t: 1, T: -1, j: 10, J: -10 };
    if (input === ' ') s.replayTogglePause();
    else if (steps[input] !== undefined) s.replayStep(steps[input]);
    else if (input === 'g') s.openReplayPrompt();
    else if (toggleKeys(s.catalogue).has(input)) return 'ignored';
    else return viewKey(s, input, key);
    return 'handled';
  }
  if (s.remote) {
    // A remote screen (--connect) is read-only: pause and the view keys work; what would change
    // the remote's probes (toggles, + -, a probe's settings, the cgroup filter) is ignored.
    if (input === ' ') s.togglePause();
    else if (toggleKeys(s.catalogue).has(input) || input === '+' || input === '-' || input === 'G') return 'ignored';
    else if (s.catalogue.find((p) => p.name === s.focus)?.options?.some((o) => o.key === input && o.cycle)) return 'ignored';
    else return viewKey(s, input, key);
    return 'handled';
  }
  const toggled = toggleKeys(s.catalogue).get(input);
  if (toggled) {
    s.toggleProbe(toggled);
    return 'handled';
  }
  if (input === ' ') {
    s.togglePause();
    return 'handled';
  }
  if (input === '+' && s.catalogue.some((p) => p.args)) {
    s.openArgsPrompt();
    return 'handled';
  }
  // The focused probe's own setting keys (profile's f: the next sampling frequency).
  const opt = s.catalogue.find((p) => p.name === s.focus)?.options?.find((o) => o.key === input && o.cycle);
  if (opt) {
    s.cycleOption(opt.flag);
    return 'handled';
  }
  if (input === 'G' && s.cgroupFilter.length > 0) {
    s.setCgroupFilter([]);
    return 'handled';
  }
  if (input === '-' && hasRows(s) && s.catalogue.some((p) => p.name === s.focus && p.args)) {
    s.removeAtCursor();
    return 'handled';
  }
  return viewKey(s, input, key);
}

/** The keys that change only what is shown, live or in a replay. */
function viewKey(s: AppState & AppActions, input: string, key: KeyInfo): KeyResult {
  if (input === '?') s.toggleHelp();
  else if (input === ']') s.pinNext(1);
  else if (input === '[') s.pinNext(-1);
  else if (input === 'a') s.pinCpu(null);
  else if (key.tab) s.focusNext(key.shift ? -1 : 1);
  else if (key.rightArrow) s.focusNext(1);
  else if (key.leftArrow) s.focusNext(-1);
  else if (input === '/') s.startFilter();
  else if (input === 'i') s.toggleIdle();
  else if (input === '<' || input === '>' || F6.test(input)) s.sortStep(input === '<' ? -1 : 1);
  else if (input === 'I') s.sortInvert();
  else if (input === 'p') s.cyclePreset();
  else if (input === 'v') s.togglePaneMenu();
  else if (input === 'h') s.setShown(s.focus, false);
  else if (isFeed(s.catalogue, s.focus) && (key.upArrow || key.downArrow || key.pageUp || key.pageDown))
    s.scrollFeed(s.focus, key.upArrow ? 1 : key.downArrow ? -1 : key.pageUp ? FEED_PAGE : -FEED_PAGE);
  else if (key.end && isFeed(s.catalogue, s.focus)) s.feedLive(s.focus);
  else if ((key.upArrow || key.downArrow) && hasRows(s)) s.moveCursor(key.upArrow ? -1 : 1);
  else if (key.return && s.detail === null && hasRows(s) && s.catalogue.some((p) => p.name === s.focus && p.rowIds)) s.openDetail();
  else if (key.escape && s.detail !== null) s.closeDetail();
  else if (key.escape && isFilterable(s.catalogue, s.focus) && s.filters[s.focus]) s.setFilter(s.focus, '');
  else if (input === 'w' && s.catalogue.some((p) => p.name === s.focus && p.merge)) s.toggleWindow();
  else if (input === 't' && s.catalogue.some((p) => p.name === s.focus && p.altView)) s.toggleAltView();
  else return 'ignored';
  return 'handled';
}

/**
 * One chunk of terminal input, as Ink hands it over. Over a slow ssh link, from key repeat or
 * from a paste, several keys arrive in one read ("44", "\t\t", "]]"): Ink then reports them as
 * one multi-character input with no key flag set, and handleKey() alone would ignore them. Such
 * a chunk is dispatched key by key, in order, each against the store's state of the moment (a
 * '/' in the middle starts a filter that takes the text up to its Enter). Escape sequences (arrows,
 * Shift-Tab, ...) are single keys that Ink has already parsed: they go through unchanged.
 */
export function handleInput(
  get: () => AppState & AppActions,
  input: string,
  key: KeyInfo,
  screen?: { readonly columns: number; readonly rows: number },
): KeyResult {
  // Mouse reports (SGR), when the screen asked for them: never keys, whatever they hold.
  const reports = parseMouse(input ?? '');
  if (reports.length && onlyMouse(input)) {
    let done = false;
    if (screen && get().mouse) for (const m of reports) done = handleMouse(get(), m, screen.columns, screen.rows) || done;
    return done ? 'handled' : 'ignored';
  }
  const chars = [...(input ?? '')];
  if (chars.length < 2 || input.includes('\x1b') || key.ctrl || key.meta) return handleKey(get(), input, key);
  let result: KeyResult = 'ignored';
  for (let i = 0; i < chars.length; i++) {
    const s = get();
    if (s.filterEditing || s.replayPrompt !== null || s.argsPrompt !== null) {
      // The filter takes the text up to its Enter (included); keys after it act as keys.
      let end = i;
      while (end < chars.length && chars[end] !== '\r' && chars[end] !== '\n') end++;
      if (handleKey(s, chars.slice(i, end + 1).join(''), {}) === 'handled') result = 'handled';
      i = end;
      continue;
    }
    const c = chars[i];
    const r = c === '\t' ? handleKey(s, '', { tab: true }) : c === '\r' ? handleKey(s, '', { return: true }) : handleKey(s, c, {});
    if (r === 'quit') return r;
    if (r === 'handled') result = r;
  }
  return result;
}
