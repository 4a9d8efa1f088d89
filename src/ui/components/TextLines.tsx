// Lines of plain text from the pane models, one line each (kinds: heading, highlight, dim).
// Given the width it has, each line is a FittedRow (cut here, Ink's text caches kept bounded).
import type React from 'react';
import { Box, Text } from 'ink';
import type { Line } from '../lines/lines.js';
import { safe } from '../safe.js';
import { FittedRow } from './FittedRow.js';

export interface TextLinesProps {
  readonly lines: readonly Line[];
  /** Columns the lines have (the pane's inside). Without it Ink lays out and cuts the text itself. */
  readonly width?: number;
}

export function TextLines({ lines, width }: TextLinesProps): React.JSX.Element {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) =>
        width !== undefined ? (
          <FittedRow
            key={i}
            width={width}
            segments={[{ text: safe(l.text), bold: l.kind === 'heading', inverse: l.kind === 'highlight', dimColor: l.kind === 'dim' }]}
          />
        ) : (
          <Text key={i} wrap="truncate" bold={l.kind === 'heading'} inverse={l.kind === 'highlight'} dimColor={l.kind === 'dim'}>
            {safe(l.text)}
          </Text>
        ),
      )}
    </Box>
  );
}
