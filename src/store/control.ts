// What the store's control actions drive, declared here so the store knows the probe manager and
// the replay source only by these interfaces (src/manager/manager.ts's ProbeManager and
// src/replay/source.ts's ReplaySource satisfy them as they are). cli.ts attaches the manager
// (AppActions.attach), replay/run.ts the replay source (AppActions.attachReplay).
import type { ProbeName } from '../catalogue/catalogue.js';
import type { ArgsEdit, OptionValue } from '../probes/types.js';

/** What runs the probes: the toggles, the pinned CPU, a probe's own option and settings. */
export interface ProbeControl {
  /** Asynchronous: returns at once, the probe shows `starting` until it runs. */
  setEnabled(name: ProbeName, on: boolean): unknown;
  setPinnedCpu(cpu: number | null): void;
  /** A value added to or removed from a probe's own option: null, or the one line why not. */
  editArgs?(name: ProbeName, edit: ArgsEdit): Promise<string | null>;
  /** A probe's setting changed from the screen: null, or the one line why not. */
  setOption?(name: ProbeName, flag: string, value: OptionValue): Promise<string | null>;
  /** --cgroup changed from the screen (empty: every cgroup). */
  setCgroupFilter?(specs: readonly string[]): void;
}

/** What plays a recording back: the replay keys. */
export interface ReplayControl {
  step(n: number): void;
  togglePause(): void;
  /** Go to a time typed at the prompt; a one-line error for bad input, or null. */
  seekTime(text: string): string | null;
}
