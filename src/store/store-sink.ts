// The store's side of the probe manager: a sink that writes intervals, feed batches and health
// into the store, and the user's intents (toggles, the pinned CPU) passed on to whatever controls
// the probes. The manager is known here only by this interface.
import type { ProbeName } from '../catalogue/catalogue.js';
import type { AppStore } from './store.js';
import type { ArgsEdit, OptionValue } from '../probes/types.js';
import type { Sink } from '../catalogue/sink.js';

export function storeSink(store: AppStore): Sink {
  return {
    interval: (iv) => store.getState().commitInterval(iv),
    feed: (name, events) => store.getState().appendFeed(name, events),
    health: (name, h) => store.getState().setHealth(name, h),
    rewind: () => store.getState().resetData(),
    // The store shows a feed's interval only as its rate and newest event (FeedSpec summary and
    // overview); its lines come from the feed batches.
    feedCountOnly: true,
  };
}

export interface ProbeControl {
  /** Asynchronous: returns at once, the probe shows `starting` until it runs. */
  setEnabled(name: ProbeName, on: boolean): unknown;
  setPinnedCpu(cpu: number | null): void;
  /** A value added to or removed from a probe's own option: null, or the one line why not. */
  editArgs?(name: ProbeName, edit: ArgsEdit): Promise<string | null>;
  /** A probe's setting changed from the screen: null, or the one line why not. */
  setOption?(name: ProbeName, flag: string, value: OptionValue): Promise<string | null>;
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
    const ask = st.argsIntent;
    if (ask && ask !== was.argsIntent && control.editArgs) {
      const spec = st.catalogue.find((p) => p.name === ask.probe);
      const what = 'add' in ask.edit ? `added ${ask.edit.add}` : `removed ${ask.edit.remove}`;
      void control.editArgs(ask.probe, ask.edit).then((err) => store.getState().setNotice(err ?? `--${spec?.args?.flag ?? ask.probe}: ${what}`));
    }
    const opt = st.optionIntent;
    if (opt && opt !== was.optionIntent && control.setOption) {
      const shown = typeof opt.value === 'boolean' ? (opt.value ? 'on' : 'off') : String(opt.value);
      void control.setOption(opt.probe, opt.flag, opt.value).then((err) => store.getState().setNotice(err ?? `--${opt.flag} ${shown}`));
    }
  });
}

export interface ReplayControl {
  step(n: number): void;
  togglePause(): void;
  /** Go to a time typed at the prompt; a one-line error for bad input, or null. */
  seekTime(text: string): string | null;
}

/** Pass the replay keys' requests on to the replay source (as followIntents does for the manager); returns the unsubscribe function. */
export function followReplayIntents(store: AppStore, control: ReplayControl): () => void {
  let prev = store.getState().replayIntent;
  return store.subscribe((st) => {
    const r = st.replayIntent;
    if (r === prev || r === null) return;
    prev = r;
    if (r.kind === 'step') control.step(r.n);
    else if (r.kind === 'pause') control.togglePause();
    else {
      const err = control.seekTime(r.text);
      store.getState().setNotice(err === null ? null : `go to: ${err}`);
    }
  });
}
