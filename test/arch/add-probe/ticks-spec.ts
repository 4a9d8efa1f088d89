// A probe that counts its own intervals: the data spec of the probe test/arch/add-probe.test.ts
// adds to a copy of the tree (copied to src/probes/ticks-spec.ts there).
import type { JsonLine, ProbeSpec } from './types.js';
import type { PromExporter } from './prom.js';

export interface TicksSample {
  n: number;
}

function ticksExporter(): PromExporter<TicksSample> {
  let last: number | null = null;
  return {
    add: (s) => {
      if (s) last = s.n;
    },
    families: () =>
      last === null ? [] : [{ name: 'perfscope_ticks', type: 'gauge', help: 'Intervals the ticks probe has seen.', series: [{ labels: {}, value: last }] }],
  };
}

export const ticks: ProbeSpec<'ticks', TicksSample, never> = {
  name: 'ticks',
  kind: 'aggregate',
  bpf: false,
  toJson: (s) => ({ ticks: s }),
  fromJson: (line: JsonLine) => {
    const v = line.ticks as TicksSample | null | undefined;
    return v && typeof v.n === 'number' ? v : null;
  },
  prometheus: ticksExporter,
};
