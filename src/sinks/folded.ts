// --folded: the run's stacks merged over its intervals and printed at its end as folded lines
// (`comm;frame;…;frame count`, flamegraph.pl / inferno / speedscope), one probe's (the one spec
// with `folded` that --probes names), heaviest first.
import type { Catalogue, Interval } from '../catalogue/catalogue.js';
import { fromSpec, sampleOf } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import type { FoldedRow } from '../probes/types.js';
import { foldedLine, stackId, type StackRow } from '../stacks/frames.js';

export interface FoldedSink extends Sink {
  /** Intervals seen so far. */
  readonly intervals: number;
  /** The folded lines of everything so far, heaviest first, each ending in a newline. */
  text(): string;
}

export function foldedSink(cat: Catalogue, probe: string, onInterval?: (n: number) => void): FoldedSink {
  const spec = cat.find((s) => s.name === probe);
  const merged = new Map<string, { row: StackRow; count: number }>();
  let intervals = 0;
  return {
    name: 'folded',
    get intervals() {
      return intervals;
    },
    interval(iv: Interval) {
      intervals++;
      const sample = sampleOf(iv, probe);
      if (spec?.folded && sample !== null) {
        const rows = fromSpec<readonly FoldedRow[]>(() => spec.folded!.rows(sample), []);
        for (const { row, count } of rows) {
          if (count <= 0) continue;
          const id = stackId(row);
          const m = merged.get(id);
          if (m) m.count += count;
          else merged.set(id, { row, count });
        }
      }
      onInterval?.(intervals);
    },
    text() {
      const all = [...merged.values()].sort((a, b) => b.count - a.count);
      return all.map((m) => `${foldedLine(m.row, m.count)}\n`).join('');
    },
  };
}
