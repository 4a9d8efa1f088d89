// The tab row of the small layout: every pane, the shown one marked; each tab carries its
// probe's state when it is not running.
import React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { PANE_ORDER, type PaneId } from '../../store/store.js';
import type { ProbeName } from '../../probes/types.js';
import { STATE_WORD } from '../model/status.js';
import { useTheme } from '../hooks/use-theme.js';

const LABEL: Readonly<Record<PaneId, string>> = { offcpu: 'offcpu', runqlat: 'runqlat', exec: 'exec', open: 'open', tcp: 'tcp', counters: 'counters' };
const PROBE: Readonly<Record<PaneId, ProbeName>> = { offcpu: 'offcpu', runqlat: 'runqlat', exec: 'exec', open: 'open', tcp: 'tcp', counters: 'proc' };

export function TabRow({ width }: { readonly width: number }): React.JSX.Element {
  const focus = useAppStore((s) => s.focus);
  const health = useAppStore((s) => s.health);
  const c = useTheme();
  return (
    <Box width={width}>
      <Text wrap="truncate">
        {PANE_ORDER.map((p) => {
          const st = health[PROBE[p]].state;
          const label = `${LABEL[p]}${st === 'running' ? '' : ` ${STATE_WORD[st]}`}`;
          return p === focus ? (
            <Text key={p} inverse bold>
              {`[${label}]`}
            </Text>
          ) : (
            <Text key={p} color={st === 'running' ? undefined : c('gray')}>{` ${label} `}</Text>
          );
        })}
        <Text dimColor> Tab ⇆</Text>
      </Text>
    </Box>
  );
}
