// The overview pane as text lines: every probe of the catalogue contributes a heading (its name,
// state and cost) and its own one or two lines (ProbeSpec.overview), or why it is not running.
// Fitted to the height: all lines; else every heading, then as room allows the running probes'
// first lines, then why the others are not running, then the running probes' further lines
// (catalogue order in each step; a heading without its lines carries its summary). Pure.
import type { ProbeHealth } from '../../probes/types.js';
import type { ViewContext } from '../../views/view.js';
import type { Interval } from '../../catalogue/catalogue.js';
import type { ScreenCatalogue } from '../../views/view.js';
import { fromSpec, sampleOf } from '../../catalogue/catalogue.js';
import { fitFields, type Line } from './lines.js';
import { costInfo } from './cost.js';
import { STATE_WORD } from './status.js';

const INDENT = '  ';

interface Block {
  readonly heading: string;
  readonly lines: readonly Line[];
  readonly summary: string;
  readonly running: boolean;
}

function notRunning(h: ProbeHealth, key: string | null): Line {
  switch (h.state) {
    case 'starting':
      return { text: `${INDENT}starting…`, kind: 'dim' };
    case 'off':
      return { text: `${INDENT}switched off${key ? ` (press ${key} to switch it on)` : ''}`, kind: 'dim' };
    default:
      return { text: `${INDENT}${h.state}: ${h.reason ?? h.state}`, kind: 'dim' };
  }
}

export function overviewLines(
  cat: ScreenCatalogue,
  iv: Interval | null,
  health: Readonly<Record<string, ProbeHealth>>,
  view: ViewContext,
  height: number,
): Line[] {
  const tabW = Math.max(...cat.map((s) => s.tab.length));
  const inner: ViewContext = { ...view, width: Math.max(10, view.width - INDENT.length) };
  const blocks: Block[] = cat.map((spec) => {
    const h = health[spec.name] ?? { state: 'off' };
    const cost = costInfo(h, view.intervalS);
    const heading = `${spec.tab.padEnd(tabW)} ${STATE_WORD[h.state].padEnd(3)}${cost ? `  ${cost}` : ''}`;
    const sample = iv ? sampleOf(iv, spec.name) : null;
    if (h.state !== 'running') return { heading, lines: [notRunning(h, spec.key)], summary: '', running: false };
    if (sample === null) return { heading, lines: [{ text: `${INDENT}waiting for the first interval…`, kind: 'dim' }], summary: '', running: true };
    return {
      heading,
      // A line too long is cut at a field (fields are two spaces apart), keeping the separator.
      lines: fromSpec(() => spec.overview(sample, inner), ['(no summary for this sample)']).map((text) => ({
        text: INDENT + ([...text].length > inner.width ? fitFields(text.split('  '), inner.width) : text),
        kind: 'text' as const,
      })),
      summary: fromSpec(() => spec.summary(sample, inner), ''),
      running: true,
    };
  });
  const full = blocks.flatMap((b) => [{ text: b.heading, kind: 'heading' as const }, ...b.lines]);
  if (full.length <= height) return full;
  // How many of each block's lines are shown, grown step by step while they fit.
  const shown = blocks.map(() => 0);
  let room = height - blocks.length;
  const grow = (want: (b: Block, i: number) => boolean) => {
    for (let i = 0; i < blocks.length && room > 0; i++) {
      if (want(blocks[i], i) && shown[i] < blocks[i].lines.length) {
        shown[i]++;
        room--;
      }
    }
  };
  grow((b, i) => b.running && shown[i] === 0);
  grow((b, i) => !b.running && shown[i] === 0);
  for (let more = true; more && room > 0; ) {
    const before = room;
    grow((b) => b.running);
    more = room < before;
  }
  return blocks
    .flatMap((b, i) => [
      { text: shown[i] === 0 && b.summary ? fitFields([b.heading, b.summary], view.width) : b.heading, kind: 'heading' as const },
      ...b.lines.slice(0, shown[i]),
    ])
    .slice(0, Math.max(0, height));
}
