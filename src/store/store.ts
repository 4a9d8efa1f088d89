// One zustand store in three slices (src/store/state.ts describes them): the data slice, written
// by the probe manager or the replay source through the store sink (src/store/store-sink.ts);
// the view slice (navigation, prompts, pause); the control slice, whose actions update the state
// and call the manager or the replay source attached to the store (src/store/control.ts). The
// screen reads it. It knows the probes only through the catalogue it is given.
import { createStore } from 'zustand/vanilla';
import { controlSlice } from './control-slice.js';
import { dataSlice } from './data-slice.js';
import type { AppActions, AppState, AppStore, StoreInit } from './state.js';
import { viewSlice } from './view-slice.js';

export * from './state.js';
export {
  commonPrefix,
  cursorOf,
  hasRows,
  isFeed,
  isFilterable,
  optionShown,
  paneOrder,
  paneSample,
  rowValues,
  shownPanes,
  sortOf,
  stepCpu,
  trendPoint,
} from './selectors.js';
export type { ProbeControl, ReplayControl } from './control.js';

export function createAppStore(init: StoreInit): AppStore {
  const data = dataSlice(init);
  const view = viewSlice(init);
  const control = controlSlice(init);
  return createStore<AppState & AppActions>()((...a) => ({ ...data(...a), ...view(...a), ...control(...a) }));
}
