// Render a component with a store (and a theme) to ink-testing-library's fake stdout.
import type React from 'react';
import { render } from 'ink-testing-library';
import { StoreContext } from '../../src/ui/store-context.js';
import { ThemeContext, type Theme } from '../../src/ui/theme.js';
import type { AppStore } from '../../src/store/store.js';
import { loadPanes, PanesProvider } from '../../src/ui/panes.js';

import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import type { Panes } from '../../src/ui/panes.js';

/** The panes, loaded as the screen loads them before its first frame (a probe without one of its own gets the plain pane). */
const PANES: Panes = await loadPanes(SCREEN_CATALOGUE);

export function renderWith(store: AppStore, node: React.ReactElement, theme: Theme = { color: true }) {
  return render(
    <ThemeContext.Provider value={theme}>
      <StoreContext.Provider value={store}>
        <PanesProvider panes={PANES}>{node}</PanesProvider>
      </StoreContext.Provider>
    </ThemeContext.Provider>,
  );
}

/** Ink's own SGR styling removed (what is left must be the text itself). */
export function stripSgr(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the pattern is about terminal control characters
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

export const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
