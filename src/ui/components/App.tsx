// The screen: header, the panes laid out for the terminal size (tabs when small, a grid when
// large, a one-line message when too small), the help overlay, the pane chooser, the status line.
import type React from 'react';
import { useMemo } from 'react';
import { Box, Text } from 'ink';
import { Header } from './Header.js';
import { StatusBar } from './StatusBar.js';
import { TabRow } from './TabRow.js';
import { PaneView } from './PaneView.js';
import { PaneGrid } from './PaneGrid.js';
import { HelpOverlay } from './HelpOverlay.js';
import { PaneMenu } from './PaneMenu.js';
import { useKeys } from '../hooks/use-keys.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useAppStore } from '../store-context.js';
import { chromeRows, type Layout } from '../layout.js';
import { layoutSelector } from '../pane-needs.js';

export interface AppProps {
  readonly onQuit: () => void;
}

export function App({ onQuit }: AppProps): React.JSX.Element {
  useKeys(onQuit);
  const { columns, rows } = useTerminalSize();
  const help = useAppStore((s) => s.helpOpen);
  const menu = useAppStore((s) => s.paneMenu !== null);
  const select = useMemo(() => layoutSelector(columns, rows), [columns, rows]);
  const key = useAppStore(select);
  const layout = useMemo(() => JSON.parse(key) as Layout, [key]);
  if (layout.kind === 'too-small') {
    return <Text wrap="truncate">{layout.message}</Text>;
  }
  const bodyH = rows - chromeRows(layout.kind);
  const overlayH = layout.kind === 'tabs' ? bodyH + 1 : bodyH;
  let body: React.JSX.Element;
  if (help) body = <HelpOverlay width={columns} height={overlayH} />;
  else if (menu) body = <PaneMenu width={columns} height={overlayH} />;
  else if (layout.kind === 'tabs')
    body = (
      <Box flexDirection="column" height={bodyH}>
        {[layout.pane, ...layout.below].map((r) => (
          <PaneView key={r.pane} rect={r} />
        ))}
      </Box>
    );
  else body = <PaneGrid columns={layout.columns} height={bodyH} />;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header width={columns} />
      {layout.kind === 'tabs' && !help && !menu ? <TabRow width={columns} /> : null}
      {body}
      <StatusBar width={columns} />
    </Box>
  );
}
