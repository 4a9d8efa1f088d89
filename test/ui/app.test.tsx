import { describe, expect, it } from 'vitest';
import { App } from '../../src/ui/components/App.js';
import { fixtureStore } from './fixtures.js';
import { renderWith, stripSgr, tick } from './render.js';

async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await tick(10);
}

describe('App', () => {
  it('keys typed reach the store; help, focus and pause show on screen; q quits', async () => {
    const store = fixtureStore();
    store.getState().setFocus('offcpu'); // the pane after the overview
    let quit = 0;
    const r = renderWith(store, <App onQuit={() => quit++} />);
    const frame = () => stripSgr(r.lastFrame() ?? '');
    await until(() => frame().includes('Off-CPU maxima'));
    expect(frame()).toContain('[offcpu]'); // ink-testing-library's stdout is 100 columns: tabs
    r.stdin.write('3');
    await until(() => !store.getState().enabled.exec);
    expect(store.getState().enabled.exec).toBe(false);
    r.stdin.write('\t');
    await until(() => frame().includes('[runqlat]'));
    expect(frame()).toContain('Run-queue latency');
    r.stdin.write('?');
    await until(() => frame().includes('perfscope keys'));
    expect(frame()).toContain('perfscope keys');
    r.stdin.write('?');
    r.stdin.write(' ');
    await until(() => frame().includes('PAUSED'));
    expect(frame()).toContain('PAUSED');
    r.stdin.write('q');
    await until(() => quit > 0);
    expect(quit).toBe(1);
    r.unmount();
  });
});
