// Lines of plain text from the pane models, one line each (kinds: heading, highlight, dim).
//
// Ink measures every text it lays out and keeps each measure, and each truncation, in a cache
// that never empties (ink/build/measure-text.js, wrap-text.js): a pane's lines change every
// interval, so the screen's memory grew by ~10 KB per interval (~34 MiB an hour). Given the
// width it has, a line is cut to it here and laid out as blanks of its width (Ink's caches see
// one string per width and style, a bounded set); the text itself is put in place of the blanks,
// inside the escapes Ink styled them with, as Ink writes the row (Ink's <Transform>), where
// nothing is cached.
import React from 'react';
import { Box, Text, Transform } from 'ink';
import type { Line } from '../model/lines.js';
import { safe } from '../safe.js';
import { cachedWidth, fitWidth } from '../output-stage.js';

export interface TextLinesProps {
  readonly lines: readonly Line[];
  /** Columns the lines have (the pane's inside). Without it Ink lays out and cuts the text itself. */
  readonly width?: number;
}

const blanks: string[] = [];
const blank = (n: number) => (blanks[n] ??= ' '.repeat(n));

/** The line styled as Ink styled its blanks: Ink's own escapes (none when chalk has no colour) around the text. */
function restyle(styledBlanks: string, text: string): string {
  const first = styledBlanks.indexOf(' ');
  if (first < 0) return text;
  return styledBlanks.slice(0, first) + text + styledBlanks.slice(styledBlanks.lastIndexOf(' ') + 1);
}

function FittedLine({ line, width }: { readonly line: Line; readonly width: number }): React.JSX.Element {
  const text = fitWidth(safe(line.text), width);
  const w = cachedWidth(text);
  if (w === 0) return <Text>{text}</Text>; // as Ink lays out an empty line: no row
  return (
    <Transform transform={(styled, i) => (i === 0 ? restyle(styled, text) : '')}>
      <Text bold={line.kind === 'heading'} inverse={line.kind === 'highlight'} dimColor={line.kind === 'dim'}>
        {blank(w)}
      </Text>
    </Transform>
  );
}

export function TextLines({ lines, width }: TextLinesProps): React.JSX.Element {
  if (width !== undefined) {
    return (
      <Box flexDirection="column">
        {lines.map((l, i) => (
          <FittedLine key={i} line={l} width={Math.max(0, width)} />
        ))}
      </Box>
    );
  }
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
