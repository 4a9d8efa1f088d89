// The ticks probe's view (copied to src/views/ticks.ts by test/arch/add-probe.test.ts).
import type { TicksSample } from '../probes/ticks-spec.js';
import type { ViewSpec } from './view.js';

export const ticksView: ViewSpec<TicksSample> = {
  title: 'Ticks',
  tab: 'ticks',
  key: null,
  grid: { column: 1, row: 9, weight: 1 },
  summary: (s) => `${s.n} ticks`,
  overview: (s) => [`ticked ${s.n} times`],
};
