// The screen: header, the panes laid out for the terminal size, the status line.
import React from 'react';
import { Box, Text, useStdout } from 'ink';
import { Header } from './Header.js';
import { StatusBar } from './StatusBar.js';
import { RunqlatPane } from './RunqlatPane.js';
import { useKeys } from '../hooks/use-keys.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';

export interface AppProps {
  readonly onQuit: () => void;
}

export function App({ onQuit }: AppProps): React.JSX.Element {
  useKeys(onQuit);
  const { columns, rows } = useTerminalSize();
  if (columns < 60 || rows < 16) {
    return <Text color="yellow">terminal too small ({columns}×{rows}): perfscope needs at least 60×16</Text>;
  }
  const bodyH = rows - 2;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header width={columns} />
      <RunqlatPane width={columns} height={bodyH} />
      <StatusBar width={columns} />
    </Box>
  );
}
