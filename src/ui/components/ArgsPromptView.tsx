// The + prompt of a probe with values (--trace, --print): the text typed and, after Tab, its
// completions. Shown at the bottom of that probe's pane while open.
import type React from 'react';
import { Box, Text } from 'ink';
import type { ProbeArgs } from '../../probes/types.js';
import { safe } from '../safe.js';

export interface ArgsPromptState {
  readonly text: string;
  readonly choices: readonly string[];
}

/** Lines the prompt takes: its line, and up to 3 of completions. */
export function promptLines(prompt: ArgsPromptState | null): number {
  return prompt ? Math.min(4, 1 + (prompt.choices.length ? Math.min(3, prompt.choices.length) : 0)) : 0;
}

export function ArgsPromptView({ args, prompt }: { readonly args: ProbeArgs | undefined; readonly prompt: ArgsPromptState }): React.JSX.Element {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>
          add --{args?.flag ?? ''} {args?.metavar ?? ''} (Tab completes, Enter, Esc):{' '}
        </Text>
        {safe(prompt.text)}
        <Text inverse> </Text>
      </Text>
      {prompt.choices.length > 0 ? (
        <Text dimColor wrap="wrap">
          {safe(prompt.choices.slice(0, 40).join('  '))}
          {prompt.choices.length > 40 ? `  … ${prompt.choices.length} in all` : ''}
        </Text>
      ) : null}
    </Box>
  );
}
