// The store's side of the probe manager: a sink that writes intervals, feed batches and health
// into the store, and the user's intents (toggles, the pinned CPU) passed on to whatever controls
// the probes. The manager is known here only by this interface.
import type { ProbeName } from '../catalogue.js';
import type { AppStore } from './store.js';
import type { Sink } from '../probes/manager.js';

export function storeSink(store: AppStore): Sink {
  return {
    interval: (iv) => store.getState().commitInterval(iv),
    feed: (name, events) => store.getState().appendFeed(name, events),
    health: (name, h) => store.getState().setHealth(name, h),
  };
}

export interface ProbeControl {
  /** Asynchronous: returns at once, the probe shows `starting` until it runs. */
  setEnabled(name: ProbeName, on: boolean): unknown;
  setPinnedCpu(cpu: number | null): void;
}

/** Pass the store's toggles and pin changes on; returns the unsubscribe function. */
export function followIntents(store: AppStore, control: ProbeControl): () => void {
  let prev = store.getState();
  return store.subscribe((st) => {
    const was = prev;
    prev = st;
    if (st.enabled !== was.enabled) {
      for (const spec of st.catalogue) {
        if (st.enabled[spec.name] !== was.enabled[spec.name]) void control.setEnabled(spec.name, st.enabled[spec.name]);
      }
    }
    if (st.pinnedCpu !== was.pinnedCpu) control.setPinnedCpu(st.pinnedCpu);
  });
}
