// One event feed (exec, open or tcp): one line per event, newest at the bottom, as many as fit,
// with the lost count and the text filter typed with '/'.
import React from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import type { FeedName } from '../../store/store.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { FEED_HEADERS, feedView } from '../model/feed-lines.js';
import { costInfo } from '../model/cost.js';
import { fmtCount } from '../format.js';
import { safe } from '../safe.js';
import { useTheme } from '../hooks/use-theme.js';

const TITLES: Readonly<Record<FeedName, string>> = { exec: 'exec', open: 'open', tcp: 'tcp connect/accept' };
const KEYS: Readonly<Record<FeedName, string>> = { exec: '3', open: '4', tcp: '5' };

export interface FeedPaneProps {
  readonly name: FeedName;
  readonly width: number;
  readonly height: number;
}

export function FeedPane({ name, width, height }: FeedPaneProps): React.JSX.Element {
  useAppStore((s) => s.feeds[name].seq); // re-render when events arrive (flushed at a bounded rate)
  const feed = useAppStore((s) => s.feeds[name]);
  const frozen = useAppStore((s) => s.shownFeeds?.[name] ?? null);
  const filter = useAppStore((s) => s.filters[name]);
  const editing = useAppStore((s) => s.filterEditing && s.focus === name);
  const focused = useAppStore((s) => s.focus === name);
  const health = useAppStore((s) => s.health[name]);
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const c = useTheme();
  const events = frozen ?? feed.lines.toArray();
  const showFilterLine = editing || filter !== '';
  const body = bodyRows(height);
  const rows = Math.max(0, body - 1 - (showFilterLine ? 1 : 0));
  const view = feedView(name, events, filter, rows, width - 2);
  const cost = costInfo(health, interval);
  const info = [cost, feed.lost ? `lost ${fmtCount(feed.lost)} total` : ''].filter(Boolean).join(' │ ');
  return (
    <PaneFrame title={TITLES[name]} info={info} width={width} height={height} focused={focused} health={health} toggleKey={KEYS[name]}>
      {showFilterLine ? (
        <Text wrap="truncate" color={c('cyan')}>
          filter /{safe(filter)}
          {editing ? '█ (Enter/Esc ends)' : ` (${view.matching} match)`}
        </Text>
      ) : null}
      <TextLines lines={[{ text: FEED_HEADERS[name], kind: 'heading' }, ...view.lines.map((text) => ({ text, kind: 'text' as const }))]} />
      {view.lines.length === 0 ? <Text dimColor>{filter ? 'no event matches the filter' : 'no event yet'}</Text> : null}
    </PaneFrame>
  );
}
