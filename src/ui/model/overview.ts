// The overview pane as text lines: every probe of the catalogue contributes a heading (its name,
// state and cost) and its own one or two lines (ProbeSpec.overview), or why it is not running.
// Fitted to the height: all lines, else each probe's first line, else the headings with their
// summaries. Pure.
import type { ProbeHealth, ViewContext } from '../../probes/types.js';
import type { Catalogue, Interval } from '../../catalogue.js';
import { fromSpec, sampleOf } from '../../catalogue.js';
import type { Line } from './lines.js';
import { costInfo } from './cost.js';
import { STATE_WORD } from './status.js';

const INDENT = '  ';

interface Block {
  readonly heading: string;
  readonly lines: readonly Line[];
  readonly summary: string;
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

export function overviewLines(cat: Catalogue, iv: Interval | null, health: Readonly<Record<string, ProbeHealth>>, view: ViewContext, height: number): Line[] {
  const tabW = Math.max(...cat.map((s) => s.tab.length));
  const inner: ViewContext = { ...view, width: Math.max(10, view.width - INDENT.length) };
  const blocks: Block[] = cat.map((spec) => {
    const h = health[spec.name] ?? { state: 'off' };
    const cost = costInfo(h, view.intervalS);
    const heading = `${spec.tab.padEnd(tabW)} ${STATE_WORD[h.state].padEnd(3)}${cost ? `  ${cost}` : ''}`;
    const sample = iv ? sampleOf(iv, spec.name) : null;
    if (h.state !== 'running') return { heading, lines: [notRunning(h, spec.key)], summary: '' };
    if (sample === null) return { heading, lines: [{ text: `${INDENT}waiting for the first interval…`, kind: 'dim' }], summary: '' };
    return {
      heading,
      lines: fromSpec(() => spec.overview(sample, inner), ['(no summary for this sample)']).map((text) => ({ text: INDENT + text, kind: 'text' as const })),
      summary: fromSpec(() => spec.summary(sample, inner), ''),
    };
  });
  const full = blocks.flatMap((b) => [{ text: b.heading, kind: 'heading' as const }, ...b.lines]);
  if (full.length <= height) return full;
  const first = blocks.flatMap((b) => [{ text: b.heading, kind: 'heading' as const }, ...b.lines.slice(0, 1)]);
  if (first.length <= height) return first;
  return blocks.map((b) => ({ text: b.summary ? `${b.heading}  ${b.summary}` : b.heading, kind: 'heading' as const })).slice(0, Math.max(0, height));
}
