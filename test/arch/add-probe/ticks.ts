// The ticks probe's implementation (copied to src/probes/ticks.ts by test/arch/add-probe.test.ts).
import type { TicksSample } from './ticks-spec.js';
import type { Probe } from './types.js';

export class TicksProbe implements Probe<TicksSample> {
  readonly bpf = false;
  private n = 0;
  start(): void {}
  sample(): TicksSample {
    return { n: ++this.n };
  }
  stop(): void {}
}
