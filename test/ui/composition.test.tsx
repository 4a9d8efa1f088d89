// No text over text: the whole screen, rendered by Ink at 80x24, 100x30, 120x36, 132x43, 160x48
// and 200x60, holds each pane exactly as that pane renders alone at its size (its rows of the
// screen equal the pane's own frame, row for row), with busy feeds, with probes switched off or
// failed (panes that hold a message), and with panes hidden. The rows add up to the terminal,
// every pane's title row is there, and the header and status lines are the first and last rows.
import { EventEmitter } from 'node:events';
import type React from 'react';
import { describe, expect, it, vi } from 'vitest';
vi.hoisted(() => {
  // Ink writes no frame until it exits when it believes it runs in CI (as output-stage.test.ts).
  process.env.CI = 'false';
});
import { render } from 'ink';
import { App } from '../../src/ui/components/App.js';
import { PaneView } from '../../src/ui/components/PaneView.js';
import { StoreContext } from '../../src/ui/store-context.js';
import { ThemeContext } from '../../src/ui/theme.js';
import { loadPanes, PanesProvider } from '../../src/ui/panes.js';
import { chromeRows, computeLayout, isFold, type Rect } from '../../src/ui/layout.js';
import { paneNeeds } from '../../src/ui/pane-needs.js';
import { foldText } from '../../src/ui/components/PaneGrid.js';
import type { AppStore } from '../../src/store/store.js';
import type { ProbeHealth } from '../../src/probes/types.js';
import { execEvent, fixtureStore, openEvent, tcpEvent, FIXTURE_CATALOGUE } from './fixtures.js';
import { stripSgr, tick } from './render.js';

const panes = await loadPanes(FIXTURE_CATALOGUE);

class FakeStdout extends EventEmitter {
  frames: string[] = [];
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  isTTY = true;
  write(s: string): boolean {
    this.frames.push(s);
    return true;
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  setRawMode(): void {}
  setEncoding(): void {}
  ref(): void {}
  unref(): void {}
  read(): null {
    return null;
  }
}

/** The last frame Ink writes (debug mode: whole frames) of `node` on a terminal of columns x rows, as plain text rows. */
async function frameOf(store: AppStore, node: React.ReactElement, columns: number, rows: number, focusBorder = false): Promise<string[]> {
  const out = new FakeStdout(columns, rows);
  const ink = render(
    <ThemeContext.Provider value={{ color: false, focusBorder }}>
      <StoreContext.Provider value={store}>
        <PanesProvider panes={panes}>{node}</PanesProvider>
      </StoreContext.Provider>
    </ThemeContext.Provider>,
    {
      stdout: out as unknown as NodeJS.WriteStream,
      stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    },
  );
  await tick(40);
  ink.unmount();
  const frame = out.frames.filter((f) => f.includes('\n')).at(-1) ?? out.frames.at(-1) ?? '';
  return stripSgr(frame).split('\n');
}

const cut = (line: string | undefined, from: number, width: number) =>
  [...(line ?? '')]
    .slice(from, from + width)
    .join('')
    .trimEnd();

/** A store with busy feeds (ASCII only: rows are cut by code point here). */
function busyStore(): AppStore {
  const s = fixtureStore();
  s.getState().appendFeed(
    'exec',
    Array.from({ length: 120 }, (_, i) => execEvent({ pid: 1000 + i, comm: `job${i}`, argv: [`job${i}`, '--flag'] })),
  );
  s.getState().appendFeed(
    'open',
    Array.from({ length: 120 }, (_, i) => openEvent({ pid: 2000 + i, path: `/var/tmp/file-${i}` })),
  );
  s.getState().appendFeed(
    'tcp',
    Array.from({ length: 60 }, (_, i) => tcpEvent({ pid: 3000 + i })),
  );
  return s;
}

/** Probes off and failed: their panes hold one message each. */
function quietStore(): AppStore {
  const failed: ProbeHealth = { state: 'failed', reason: 'attach failed: the kernel said no to this program for a long reason that does not fit' };
  return fixtureStore({
    health: { tcp: { state: 'off' }, trace: { state: 'off' }, profile: { state: 'off' }, isolation: failed, open: { state: 'unavailable', reason: 'no BTF' } },
  });
}

const SIZES = [
  [80, 24],
  [100, 30],
  [120, 36],
  [132, 43],
  [160, 48],
  [200, 60],
] as const;

async function checkComposition(store: AppStore, columns: number, rows: number): Promise<void> {
  const screen = await frameOf(store, <App onQuit={() => {}} />, columns, rows);
  expect(screen.length).toBe(rows);
  expect(screen[0]).toContain('testhost');
  const s = store.getState();
  const layout = computeLayout(columns, rows, s.focus, paneNeeds(s, columns, rows));
  if (layout.kind === 'too-small') throw new Error('too small');
  const top = chromeRows(layout.kind) - 1;
  const placed: { rect: Rect; x: number; y: number }[] = [];
  if (layout.kind === 'tabs') {
    let y = top;
    for (const r of [layout.pane, ...layout.below]) {
      placed.push({ rect: r, x: 0, y });
      y += r.height;
    }
    expect(y).toBe(rows - 1);
  } else {
    let x = 0;
    for (const col of layout.columns) {
      let y = top;
      for (const c of col) {
        if (isFold(c)) expect(cut(screen[y], x, c.width)).toBe(cut(foldText(c.fold), 0, c.width));
        else placed.push({ rect: c, x, y });
        y += c.height;
      }
      expect(y).toBe(rows - 1); // the columns end on the status line
      x += col[0].width;
    }
  }
  for (const { rect, x, y } of placed) {
    const alone = await frameOf(store, <PaneView rect={rect} />, rect.width, rect.height, layout.kind === 'grid');
    const mine = Array.from({ length: rect.height }, (_, i) => cut(screen[y + i], x, rect.width));
    const own = Array.from({ length: rect.height }, (_, i) => cut(alone[i], 0, rect.width));
    expect(mine, `${rect.pane} at ${columns}x${rows} (${x},${y} ${rect.width}x${rect.height})`).toEqual(own);
    // Its frame and title row are whole.
    expect(mine[0]).toMatch(/^╭─+╮$/);
    expect(mine[rect.height - 1]).toMatch(/^╰─+╯$/);
    expect(mine[1]).toMatch(/^│\S.*│$/);
  }
}

describe('composition: each pane on the screen is the pane rendered alone', () => {
  for (const [c, r] of SIZES) {
    it(`${c}x${r}: busy feeds, every pane`, async () => {
      const s = busyStore();
      await checkComposition(s, c, r);
      // In the tabs layout, each pane in turn.
      if (c < 120) {
        for (const p of ['offcpu', 'exec', 'proc', 'isolation'] as const) {
          s.getState().setFocus(p);
          await checkComposition(s, c, r);
        }
      }
    });
    it(`${c}x${r}: probes off, failed or unavailable hold their message`, async () => {
      await checkComposition(quietStore(), c, r);
    });
  }
  it('presets and hidden panes at 120x36 and 200x60', async () => {
    for (const [c, r] of [
      [120, 36],
      [200, 60],
    ] as const) {
      const s = busyStore();
      for (let i = 0; i < 4; i++) {
        s.getState().cyclePreset();
        await checkComposition(s, c, r);
      }
      s.getState().setShown('overview', false);
      s.getState().setShown('proc', false);
      await checkComposition(s, c, r);
    }
  });
  it('a message pane takes its title and message; the rows it does not need go to panes that have content', async () => {
    const s = quietStore();
    const st = s.getState();
    const layout = computeLayout(160, 48, st.focus, paneNeeds(st, 160, 48));
    if (layout.kind !== 'grid') throw new Error(layout.kind);
    const heights = Object.fromEntries(layout.columns.flat().map((c) => (isFold(c) ? ['fold', 1] : [c.pane, c.height])));
    for (const p of ['tcp', 'trace', 'profile', 'isolation', 'open']) expect(heights[p], p).toBe(4);
  });
});
