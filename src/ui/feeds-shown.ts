// Whether the screen shows a feed's lines now: the feed panes on screen (each counts itself while
// it is mounted) and pause. The manager drains the feeds between its ticks (every 100 ms) only
// while one is shown: at rest with no feed pane on screen (the 80x24 tabs show one pane) or
// paused, its flush timer is off and the feeds are drained once per tick (nothing is lost: the
// ring buffers hold an interval's events; the lines are there when a feed pane comes back).
let mounted = 0;
let listener: (() => void) | null = null;

/** A feed pane is on screen: call the returned function when it leaves (a React effect's cleanup). */
export function feedPaneMounted(): () => void {
  mounted++;
  listener?.();
  return () => {
    mounted--;
    listener?.();
  };
}

/** Feed panes on screen now. */
export function feedPanesShown(): number {
  return mounted;
}

/** Called after each change of the count (one listener: the screen's). */
export function onFeedPanes(fn: (() => void) | null): void {
  listener = fn;
}
