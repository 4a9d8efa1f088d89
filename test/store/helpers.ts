// What the slice tests share: a store's init, each slice's own keys, the keys an action changed,
// and fake controls that record what the store asks of them.
import type { StoreApi } from 'zustand/vanilla';
import type { ProbeControl, ReplayControl, AppActions, AppState, Slice, StoreInit } from '../../src/store/store.js';
import { dataSlice } from '../../src/store/data-slice.js';
import { viewSlice } from '../../src/store/view-slice.js';
import { controlSlice } from '../../src/store/control-slice.js';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { HOST } from '../ui/fixtures.js';

export const INIT: StoreInit = { catalogue: SCREEN_CATALOGUE, host: HOST, intervalS: 1, pinnedCpu: null, enabled: ['runqlat'] };

/** The state keys a slice declares (its actions left out). */
export function stateKeys<T extends object>(slice: (init: StoreInit) => Slice<T>, init: StoreInit = INIT): string[] {
  const none = () => {
    throw new Error('a slice must not read or write while it is created');
  };
  const api = {} as StoreApi<AppState & AppActions>;
  const made = slice(init)(none, none, api) as Record<string, unknown>;
  return Object.keys(made).filter((k) => typeof made[k] !== 'function');
}

export const DATA_KEYS = stateKeys(dataSlice);
export const VIEW_KEYS = stateKeys(viewSlice);
export const CONTROL_KEYS = stateKeys(controlSlice);

/** The state keys whose value is another object (or value) after than before. */
export function changed(before: object, after: object): string[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return Object.keys(a).filter((k) => typeof a[k] !== 'function' && !Object.is(a[k], b[k]));
}

export interface Call {
  readonly fn: string;
  readonly args: readonly unknown[];
}

/** A manager that records every call; editArgs / setOption answer what `answer` says (null: done). */
export function fakeControl(answer: (fn: string, args: readonly unknown[]) => string | null = () => null): ProbeControl & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    setEnabled: (...args) => void calls.push({ fn: 'setEnabled', args }),
    setPinnedCpu: (...args) => void calls.push({ fn: 'setPinnedCpu', args }),
    editArgs: async (...args) => (calls.push({ fn: 'editArgs', args }), answer('editArgs', args)),
    setOption: async (...args) => (calls.push({ fn: 'setOption', args }), answer('setOption', args)),
  };
}

/** A replay source that records every call; seekTime answers what `seek` says. */
export function fakeReplay(seek: (text: string) => string | null = () => null): ReplayControl & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    step: (...args) => void calls.push({ fn: 'step', args }),
    togglePause: () => void calls.push({ fn: 'togglePause', args: [] }),
    seekTime: (...args) => (calls.push({ fn: 'seekTime', args }), seek(args[0])),
  };
}

/** Let the promises of editArgs / setOption settle. */
export const settle = () => new Promise((r) => setTimeout(r, 0));
