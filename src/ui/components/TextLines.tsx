// Lines of plain text from the pane models, one <Text> per line (kinds: heading, highlight, dim).
import React from 'react';
import { Box, Text } from 'ink';
import type { Line } from '../model/lines.js';
import { safe } from '../safe.js';

export interface TextLinesProps {
  readonly lines: readonly Line[];
}

export function TextLines({ lines }: TextLinesProps): React.JSX.Element {
  return (
    <Box flexDirection="column">
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate" bold={l.kind === 'heading'} inverse={l.kind === 'highlight'} dimColor={l.kind === 'dim'}>
          {safe(l.text)}
        </Text>
      ))}
    </Box>
  );
}
