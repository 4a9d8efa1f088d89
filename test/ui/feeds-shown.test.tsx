// The screen tells the manager whether a feed's lines are on screen (src/ui/feeds-shown.ts): each
// feed pane counts itself while it is mounted; the screen adds pause (src/ui/screen.tsx).
import { describe, expect, it } from 'vitest';
import { ExecPane } from '../../src/ui/components/ExecPane.js';
import { OffcpuPane } from '../../src/ui/components/OffcpuPane.js';
import { feedPanesShown } from '../../src/ui/feeds-shown.js';
import { fixtureStore, screenEntry } from './fixtures.js';
import { renderWith } from './render.js';

describe('feed panes on screen', () => {
  it('a feed pane counts while it is mounted, a table pane does not', () => {
    const before = feedPanesShown();
    const table = renderWith(fixtureStore(), <OffcpuPane spec={screenEntry('offcpu')} width={80} height={10} />);
    expect(feedPanesShown()).toBe(before);
    const feed = renderWith(fixtureStore(), <ExecPane spec={screenEntry('exec')} width={80} height={10} />);
    expect(feedPanesShown()).toBe(before + 1);
    feed.unmount();
    expect(feedPanesShown()).toBe(before);
    table.unmount();
  });
});
