// The screen: header, the panes laid out for the terminal size (tabs when small, a grid when
// large, a one-line message when too small), the help overlay, the status line.
import type React from 'react';
import { Box, Text } from 'ink';
import { Header } from './Header.js';
import { StatusBar } from './StatusBar.js';
import { TabRow } from './TabRow.js';
import { PaneView } from './PaneView.js';
import { PaneGrid } from './PaneGrid.js';
import { HelpOverlay } from './HelpOverlay.js';
import { useKeys } from '../hooks/use-keys.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useAppStore } from '../store-context.js';
import { computeLayout, chromeRows } from '../layout.js';

export interface AppProps {
  readonly onQuit: () => void;
}

export function App({ onQuit }: AppProps): React.JSX.Element {
  useKeys(onQuit);
  const { columns, rows } = useTerminalSize();
  const focus = useAppStore((s) => s.focus);
  const cat = useAppStore((s) => s.catalogue);
  const help = useAppStore((s) => s.helpOpen);
  const layout = computeLayout(columns, rows, focus, cat);
  if (layout.kind === 'too-small') {
    return <Text wrap="truncate">{layout.message}</Text>;
  }
  const bodyH = rows - chromeRows(layout.kind);
  let body: React.JSX.Element;
  if (help) body = <HelpOverlay width={columns} height={layout.kind === 'tabs' ? bodyH + 1 : bodyH} />;
  else if (layout.kind === 'tabs') body = <PaneView rect={layout.pane} />;
  else body = <PaneGrid columns={layout.columns} height={bodyH} />;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header width={columns} />
      {layout.kind === 'tabs' && !help ? <TabRow width={columns} /> : null}
      {body}
      <StatusBar width={columns} />
    </Box>
  );
}
