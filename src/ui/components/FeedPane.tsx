// One event feed: one line per event, newest at the bottom, as many as fit, with the lost count
// and the text filter typed with '/'. Each feed's pane (ExecPane, ...) gives it its lines.
import type React from 'react';
import { useEffect } from 'react';
import { Text } from 'ink';
import { useAppStore } from '../store-context.js';
import type { EventOf, FeedName } from '../../catalogue/catalogue.js';
import type { PaneProps } from '../pane.js';
import { PaneFrame, bodyRows } from './PaneFrame.js';
import { TextLines } from './TextLines.js';
import { feedView, type FeedLines } from '../lines/feed-lines.js';
import { costInfo } from '../lines/cost.js';
import { fmtCount } from '../../model/format.js';
import { safe } from '../safe.js';
import { useTheme } from '../hooks/use-theme.js';
import { ArgsPromptView, promptLines } from './ArgsPromptView.js';
import { feedPaneMounted } from '../feeds-shown.js';

export interface FeedPaneProps<N extends FeedName> extends PaneProps {
  readonly name: N;
  readonly lines: FeedLines<EventOf<N>>;
}

export function FeedPane<N extends FeedName>({ spec, name, lines, width, height }: FeedPaneProps<N>): React.JSX.Element {
  useEffect(feedPaneMounted, []); // the manager drains feeds between ticks only while one is shown
  useAppStore((s) => s.feeds[name].seq); // re-render when events arrive (flushed at a bounded rate)
  const feed = useAppStore((s) => s.feeds[name]);
  const frozen = useAppStore((s) => s.shownFeeds?.[name] ?? null);
  const filter = useAppStore((s) => s.filters[name] ?? '');
  const editing = useAppStore((s) => s.filterEditing && s.focus === name);
  const focused = useAppStore((s) => s.focus === name);
  const health = useAppStore((s) => s.health[name]);
  const interval = useAppStore((s) => s.shown?.interval_s ?? s.intervalS);
  const back = useAppStore((s) => s.scrollBack[name]);
  // A feed with values of its own (print's --print): its + prompt at the bottom.
  const prompt = useAppStore((s) => (s.argsPrompt?.probe === name ? s.argsPrompt : null));
  const c = useTheme();
  const all: readonly EventOf<N>[] = frozen ?? feed.lines.toArray();
  // Scrolled back: the view stays on the events up to its anchor (Ring.total when it was
  // anchored) while new ones arrive; the title says how far back; End returns to the live edge.
  const total = feed.lines.total;
  const newer = back === undefined || frozen ? 0 : Math.max(0, Math.min(all.length - 1, total - back));
  const events = newer ? all.slice(0, all.length - newer) : all;
  const showFilterLine = editing || filter !== '';
  const body = bodyRows(height);
  const rows = Math.max(0, body - 1 - (showFilterLine ? 1 : 0) - promptLines(prompt));
  const view = feedView(lines, events, filter, rows, width - 2);
  const cost = costInfo(health, interval);
  const info = [cost, feed.lost ? `lost ${fmtCount(feed.lost)} total` : ''].filter(Boolean).join(' │ ');
  const title = newer ? `${spec.title} (${fmtCount(newer)} back, End: live)` : spec.title;
  return (
    <PaneFrame title={title} info={info} width={width} height={height} focused={focused} health={health} toggleKey={spec.key ?? undefined}>
      {showFilterLine ? (
        <Text wrap="truncate" color={c('cyan')}>
          filter /{safe(filter)}
          {editing ? '█ (Enter/Esc ends)' : ` (${view.matching} match)`}
        </Text>
      ) : null}
      <TextLines width={width - 2} lines={[{ text: lines.header, kind: 'heading' }, ...view.lines.map((text) => ({ text, kind: 'text' as const }))]} />
      {view.lines.length === 0 ? (
        <Text dimColor>{filter ? 'no event matches the filter' : spec.args ? `no event yet (+ adds a --${spec.args.flag} value)` : 'no event yet'}</Text>
      ) : null}
      {prompt ? <ArgsPromptView args={spec.args} prompt={prompt} /> : null}
    </PaneFrame>
  );
}
