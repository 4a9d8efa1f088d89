// The large layout: columns of panes, all shown at once; the focused pane's border is coloured.
// A column that had no room for some panes ends in one line naming them (Tab reaches them).
import type React from 'react';
import { useContext } from 'react';
import { Box } from 'ink';
import { isFold, type Cell } from '../layout.js';
import { ThemeContext } from '../theme.js';
import { PaneView } from './PaneView.js';
import { FittedRow } from './FittedRow.js';

export interface PaneGridProps {
  readonly columns: readonly (readonly Cell[])[];
  readonly height: number;
}

/** The fold line: the panes a column had no room for. */
export function foldText(panes: readonly string[]): string {
  return `+${panes.length} more: ${panes.join(', ')} (Tab)`;
}

export function PaneGrid({ columns, height }: PaneGridProps): React.JSX.Element {
  const theme = useContext(ThemeContext);
  return (
    <ThemeContext.Provider value={{ ...theme, focusBorder: true }}>
      <Box flexDirection="row" height={height}>
        {columns.map((col, i) => (
          <Box key={i} flexDirection="column" width={col[0]?.width ?? 0} flexShrink={0}>
            {col.map((c) =>
              isFold(c) ? (
                <Box key="fold" height={1} width={c.width} flexShrink={0}>
                  <FittedRow width={c.width} segments={[{ text: foldText(c.fold), dimColor: true }]} />
                </Box>
              ) : (
                <PaneView key={c.pane} rect={c} />
              ),
            )}
          </Box>
        ))}
      </Box>
    </ThemeContext.Provider>
  );
}
