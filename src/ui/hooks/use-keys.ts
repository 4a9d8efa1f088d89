// One input dispatcher, keyed on the current mode (help overlay, filter editing, normal).
// It only dispatches intents to the store; the manager makes them happen.
import { useInput } from 'ink';
import { useAppStoreApi } from '../store-context.js';
import type { FeedName } from '../../store/store.js';
import type { ProbeName } from '../../probes/types.js';

export const TOGGLE_KEYS: Record<string, ProbeName> = { '1': 'offcpu', '2': 'runqlat', '3': 'exec', '4': 'open', '5': 'tcp' };

export function useKeys(onQuit: () => void): void {
  const store = useAppStoreApi();
  useInput((input, key) => {
    const s = store.getState();
    if (key.ctrl && input === 'c') return onQuit();
    if (s.filterEditing) {
      const feed = s.focus as FeedName;
      if (key.return || key.escape) return s.endFilter();
      if (key.backspace || key.delete) return s.setFilter(feed, s.filters[feed].slice(0, -1));
      if (input && !key.ctrl && !key.meta && input >= ' ') return s.setFilter(feed, (s.filters[feed] + input).slice(0, 64));
      return;
    }
    if (s.helpOpen) {
      if (input === '?' || key.escape || input === 'q') return s.toggleHelp();
      return;
    }
    if (input === 'q') return onQuit();
    if (input === '?') return s.toggleHelp();
    if (input in TOGGLE_KEYS) return s.toggleProbe(TOGGLE_KEYS[input]);
    if (input === ']') return s.pinNext(1);
    if (input === '[') return s.pinNext(-1);
    if (input === 'a') return s.pinCpu(null);
    if (input === ' ') return s.togglePause();
    if (key.tab) return s.focusNext(key.shift ? -1 : 1);
    if (input === '/') return s.startFilter();
    if (input === 'i') return s.toggleIdle();
  });
}
