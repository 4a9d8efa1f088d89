// The large layout: columns of panes, all shown at once; the focused pane's border is coloured.
import type React from 'react';
import { useContext } from 'react';
import { Box } from 'ink';
import type { Rect } from '../layout.js';
import { ThemeContext } from '../theme.js';
import { PaneView } from './PaneView.js';

export interface PaneGridProps {
  readonly columns: readonly (readonly Rect[])[];
  readonly height: number;
}

export function PaneGrid({ columns, height }: PaneGridProps): React.JSX.Element {
  const theme = useContext(ThemeContext);
  return (
    <ThemeContext.Provider value={{ ...theme, focusBorder: true }}>
      <Box flexDirection="row" height={height}>
        {columns.map((col, i) => (
          <Box key={i} flexDirection="column">
            {col.map((r) => (
              <PaneView key={r.pane} rect={r} />
            ))}
          </Box>
        ))}
      </Box>
    </ThemeContext.Provider>
  );
}
