// The screen: header, the panes laid out for the terminal size (tabs when small, a grid when
// large, a one-line message when too small), the help overlay, the status line.
import React, { useContext } from 'react';
import { Box, Text } from 'ink';
import { Header } from './Header.js';
import { StatusBar } from './StatusBar.js';
import { TabRow } from './TabRow.js';
import { PaneView } from './PaneView.js';
import { HelpOverlay } from './HelpOverlay.js';
import { useKeys } from '../hooks/use-keys.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useAppStore } from '../store-context.js';
import { computeLayout, chromeRows } from '../layout.js';
import { ThemeContext } from '../theme.js';

export interface AppProps {
  readonly onQuit: () => void;
}

export function App({ onQuit }: AppProps): React.JSX.Element {
  useKeys(onQuit);
  const { columns, rows } = useTerminalSize();
  const focus = useAppStore((s) => s.focus);
  const help = useAppStore((s) => s.helpOpen);
  const theme = useContext(ThemeContext);
  const layout = computeLayout(columns, rows, focus);
  if (layout.kind === 'too-small') {
    return <Text wrap="truncate">{layout.message}</Text>;
  }
  const bodyH = rows - chromeRows(layout.kind);
  let body: React.JSX.Element;
  if (help) body = <HelpOverlay width={columns} height={layout.kind === 'tabs' ? bodyH + 1 : bodyH} />;
  else if (layout.kind === 'tabs') body = <PaneView rect={layout.pane} />;
  else
    body = (
      <ThemeContext.Provider value={{ ...theme, focusBorder: true }}>
      <Box flexDirection="row" height={bodyH}>
        {layout.columns.map((col, i) => (
          <Box key={i} flexDirection="column">
            {col.map((r) => (
              <PaneView key={r.pane} rect={r} />
            ))}
          </Box>
        ))}
      </Box>
      </ThemeContext.Provider>
    );
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header width={columns} />
      {layout.kind === 'tabs' && !help ? <TabRow width={columns} /> : null}
      {body}
      <StatusBar width={columns} />
    </Box>
  );
}
