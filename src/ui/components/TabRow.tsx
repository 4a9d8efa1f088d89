// The tab row of the small layout: the overview and every probe of the catalogue, the shown one
// marked; each tab carries its probe's state when it is not running. When they do not all fit
// the width, the tabs of probes switched off lose their word "off" (they stay grey), and if that
// is not enough the tabs shown are a window of whole tabs that holds the focused one.
import type React from 'react';
import { Box, Text } from 'ink';
import { useAppStore } from '../store-context.js';
import { OVERVIEW } from '../../store/store.js';
import { STATE_WORD } from '../lines/status.js';
import { useTheme } from '../hooks/use-theme.js';

export function TabRow({ width }: { readonly width: number }): React.JSX.Element {
  const cat = useAppStore((s) => s.catalogue);
  const focus = useAppStore((s) => s.focus);
  const health = useAppStore((s) => s.health);
  const hidden = useAppStore((s) => s.hidden);
  const c = useTheme();
  const ov = hidden.includes(OVERVIEW) ? [] : [{ id: OVERVIEW as string, label: OVERVIEW as string, running: true }];
  const full = [...ov];
  const short = [...ov];
  for (const spec of cat) {
    if (hidden.includes(spec.name)) continue;
    const st = health[spec.name]?.state ?? 'off';
    full.push({ id: spec.name, label: `${spec.tab}${st === 'running' ? '' : ` ${STATE_WORD[st]}`}`, running: st === 'running' });
    short.push({ id: spec.name, label: `${spec.tab}${st === 'running' || st === 'off' ? '' : ` ${STATE_WORD[st]}`}`, running: st === 'running' });
  }
  const room = width - ' Tab ⇆'.length;
  const len = (ts: typeof full) => ts.reduce((a, t) => a + t.label.length + 2, 0);
  let tabs = len(full) <= room ? full : short;
  if (len(tabs) > room) {
    // A window of whole tabs around the focused one.
    const at = Math.max(
      0,
      tabs.findIndex((t) => t.id === focus),
    );
    let lo = at;
    let hi = at + 1;
    let used = tabs[at].label.length + 2;
    for (;;) {
      const next = hi < tabs.length ? tabs[hi].label.length + 2 : Infinity;
      const prev = lo > 0 ? tabs[lo - 1].label.length + 2 : Infinity;
      if (next <= prev && used + next <= room) {
        used += next;
        hi++;
      } else if (prev < Infinity && used + prev <= room) {
        used += prev;
        lo--;
      } else break;
    }
    tabs = tabs.slice(lo, hi);
  }
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
