// What every output of perfscope is to the manager and to a replay source: a sink, handed each
// complete interval, the feeds' batches and the probes' health. The manager knows no sink by name
// but the one it gives itself (`name`), calls each one apart (a sink that throws is reported, as
// SinkHealth, and the others go on: src/manager/manager.ts) and asks each what it lost.
import type { EventOf, FeedName, Interval, ProbeName, SinkHealth } from './catalogue.js';
import type { ProbeHealth } from '../probes/types.js';

export type { SinkHealth };

/** Where the manager's output goes. Every method is optional. */
export interface Sink {
  /** Its name in reports (`sinks.<name>` in --json, the stderr line, the status line): json, recorder, prometheus, store, folded. */
  readonly name?: string;
  /** Every complete interval, in order. */
  interval?(iv: Interval): void;
  /** A batch of a feed's events, in order (the screen's bounded-rate flush). */
  feed?<N extends FeedName>(name: N, events: readonly EventOf<N>[]): void;
  /**
   * This sink reads a feed's interval sample only for its count (feedCount) and its newest
   * event, as the screen's store does. When every sink with `interval` says so, the feeds run
   * in count mode (FeedProbe.keepNewest): only the newest events of an interval are decoded.
   */
  readonly feedCountOnly?: boolean;
  /** A probe's health changed between intervals (starting, running, failed, off). */
  health?(name: ProbeName, h: ProbeHealth): void;
  /** A sink's health changed (it threw, or went on after throwing): the screen says so. */
  sinkHealth?(name: string, h: SinkHealth): void;
  /** Intervals it could not write since the start (a full stdout), for its SinkHealth. */
  lost?(): number;
  /** Its own failure, when it stopped by itself without throwing (a recording's write error), or null. */
  failure?(): string | null;
  /** A replay source went back (or jumped far): forget the intervals and events so far. The manager never calls it. */
  rewind?(): void;
}
