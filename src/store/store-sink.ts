// The store's side of the probe manager and of the replay source: a sink that writes intervals,
// feed batches and health into the store's data slice (and nothing else writes there). What the
// user asks of them goes the other way, through the control slice's actions
// (src/store/control-slice.ts).
import type { AppStore } from './store.js';
import type { Sink } from '../catalogue/sink.js';

export function storeSink(store: AppStore): Sink {
  return {
    name: 'store',
    interval: (iv) => store.getState().commitInterval(iv),
    // An output that failed (the recorder, /metrics): one line in the status line, as a recording
    // that stopped is; one that works again clears it.
    sinkHealth: (name, h) => {
      const prefix = `output ${name} failed:`;
      if (h.state === 'failed') store.getState().setNotice(`${prefix} ${h.reason ?? ''} (the probes and the other outputs go on)`);
      else if (store.getState().notice?.startsWith(prefix)) store.getState().setNotice(null);
    },
    feed: (name, events) => store.getState().appendFeed(name, events),
    health: (name, h) => store.getState().setHealth(name, h),
    rewind: () => store.getState().resetData(),
    // The store shows a feed's interval only as its rate and newest event (FeedSpec summary and
    // overview); its lines come from the feed batches.
    feedCountOnly: true,
  };
}
