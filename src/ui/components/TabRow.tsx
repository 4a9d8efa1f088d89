// The tab row of the small layout: the overview and every probe of the catalogue, the shown one
// marked; each tab carries its probe's state when it is not running.
import React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { OVERVIEW } from '../../store/store.js';
import { STATE_WORD } from '../model/status.js';
import { useTheme } from '../hooks/use-theme.js';

export function TabRow({ width }: { readonly width: number }): React.JSX.Element {
  const cat = useAppStore((s) => s.catalogue);
  const focus = useAppStore((s) => s.focus);
  const health = useAppStore((s) => s.health);
  const c = useTheme();
  const row = (words: boolean) => {
    const tabs = [{ id: OVERVIEW, label: OVERVIEW, running: true }];
    for (const spec of cat) {
      const st = health[spec.name]?.state ?? 'off';
      tabs.push({ id: spec.name, label: `${spec.tab}${st === 'running' || !words ? '' : ` ${STATE_WORD[st]}`}`, running: st === 'running' });
    }
    return tabs;
  };
  // Each tab says its probe's state when that fits; else the grey of a tab not running says it.
  const wide = row(true);
  const len = wide.reduce((a, t) => a + t.label.length + 2, 0) + 6;
  const tabs = len <= width ? wide : row(false);
  return (
    <Box width={width}>
      <Text wrap="truncate">
        {tabs.map((t) =>
          t.id === focus ? (
            <Text key={t.id} inverse bold>
              {`[${t.label}]`}
            </Text>
          ) : (
            <Text key={t.id} color={t.running ? undefined : c('gray')}>{` ${t.label} `}</Text>
          ),
        )}
        <Text dimColor> Tab ⇆</Text>
      </Text>
    </Box>
  );
}
