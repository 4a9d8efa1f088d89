import { render } from 'ink';
import { App } from './components/App.js';
import { StoreContext } from './store-context.js';
import { ThemeContext, themeFromEnv } from './theme.js';
import { frameDiffingStdout } from './frame-writer.js';
import { installOutputStage } from './output-stage.js';
import { guardTerminal } from '../sinks/terminal.js';
import type { AppStore } from '../store/store.js';
import { loadPanes, PanesProvider } from './panes.js';
import { MOUSE_OFF, MOUSE_ON } from './mouse.js';
import { feedPanesShown, onFeedPanes } from './feeds-shown.js';

const ENTER_ALT = '\x1b[?1049h\x1b[H';
// Mouse reporting is switched off on the way out whether or not it was on (every exit path
// comes here: q, signals, hang-up, errors; see src/cli/cli.ts).
const LEAVE_ALT = `${MOUSE_OFF}\x1b[?25h\x1b[?1049l`;

/**
 * The probes' panes are imported first (the catalogue's loaders), and the screen's output stage is put in front of Ink's (output-stage.ts). `onError` is called when rendering throws (Ink unmounts the app): the caller stops the probes
 * and restores the terminal as for any other exit.
 */
export async function startScreen(
  store: AppStore,
  onQuit: () => void,
  onError: (e: unknown) => void = () => onQuit(),
  feedsShown?: (on: boolean) => void,
): Promise<() => void> {
  const [panes] = await Promise.all([loadPanes(store.getState().catalogue), installOutputStage()]);
  const out = process.stdout;
  // Every byte to the terminal passes the allowlist of perfscope's own sequences (src/sinks/terminal.ts).
  guardTerminal(out);
  guardTerminal(process.stderr);
  out.write(ENTER_ALT);
  // The mouse (SGR reports) only on a terminal, unless --no-mouse (or the saved configuration) said no.
  if (store.getState().mouse && out.isTTY) out.write(MOUSE_ON);
  const ink = render(
    <ThemeContext.Provider value={themeFromEnv(process.env)}>
      <StoreContext.Provider value={store}>
        <PanesProvider panes={panes}>
          <App onQuit={onQuit} />
        </PanesProvider>
      </StoreContext.Provider>
    </ThemeContext.Provider>,
    { stdout: frameDiffingStdout(out), exitOnCtrlC: false, patchConsole: false, maxFps: 4, incrementalRendering: true },
  );
  // Tell the manager whether a feed's lines are on screen (feeds-shown.ts): a feed pane mounted, not paused.
  let shown: boolean | null = null;
  const follow = () => {
    const on = feedPanesShown() > 0 && !store.getState().paused;
    if (on !== shown) {
      shown = on;
      feedsShown?.(on);
    }
  };
  let unsubscribe = () => {};
  if (feedsShown) {
    onFeedPanes(follow);
    unsubscribe = store.subscribe((s, prev) => {
      if (s.paused !== prev.paused) follow();
    });
    follow();
  }
  let done = false;
  ink.waitUntilExit().then(
    () => {
      if (!done) onQuit();
    },
    (e: unknown) => onError(e),
  );
  return () => {
    if (done) return;
    done = true;
    unsubscribe();
    onFeedPanes(null);
    try {
      ink.unmount();
    } catch {
      /* restoring anyway */
    }
    try {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
    } catch {
      /* not a TTY any more (hang-up) */
    }
    try {
      out.write(LEAVE_ALT);
    } catch {
      /* hang-up: nothing to restore */
    }
  };
}
