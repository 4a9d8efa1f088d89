// The trace probe from the keyboard, against the real kernel, through the same store (the
// manager attached to it) and manager as the screen: + opens the prompt, Tab completes, Enter attaches; ↓ selects a row,
// - detaches it and leaves nothing of it loaded; bad input is one line in the status line.
import { afterEach, describe, expect, it } from 'vitest';
import { SCREEN_CATALOGUE } from '../../src/views/views.js';
import { ProbeManager } from '../../src/manager/manager.js';
import { createAppStore, type AppStore } from '../../src/store/store.js';
import { storeSink } from '../../src/store/store-sink.js';
import { handleKey, handleInput } from '../../src/ui/keys.js';
import { heldProgramIds, linkFds, noBpf, waitUnloaded } from '../helpers/bpf.js';
import { HOST } from './fixtures.js';

const until = async (ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return ok();
};

describe.skipIf(noBpf)('trace from the keyboard (real BPF)', () => {
  let m: ProbeManager | null = null;
  afterEach(() => {
    m?.stop();
    m = null;
  });

  async function setup(): Promise<AppStore> {
    const store = createAppStore({ catalogue: SCREEN_CATALOGUE, host: HOST, intervalS: 1, pinnedCpu: null, enabled: ['trace'] });
    m = new ProbeManager(SCREEN_CATALOGUE, { intervalS: 1, pid: null, comm: null, cpus: HOST.cpus, sinks: [storeSink(store)] });
    store.getState().attach(m);
    await m.start(['trace']);
    return store;
  }
  const press = (s: AppStore, input: string, key = {}) => handleKey(s.getState(), input, key);

  it('+ with Tab completion attaches; - on the selected row detaches it; the last one gone unloads the object', async () => {
    const s = await setup();
    const links = linkFds();
    expect(heldProgramIds()).toEqual([]); // nothing attached: nothing loaded
    press(s, '+');
    expect(s.getState().argsPrompt?.probe).toBe('trace');
    expect(s.getState().focus).toBe('trace');
    handleInput(() => s.getState(), 'sched:sched_process_fo', {});
    press(s, '', { tab: true });
    expect(s.getState().argsPrompt?.text).toBe('sched:sched_process_fork');
    press(s, '', { return: true });
    expect(s.getState().argsPrompt).toBeNull();
    expect(await until(() => m!.argsOf('trace').length === 1)).toBe(true);
    expect(s.getState().notice).toBe('--trace: added sched:sched_process_fork');
    // a second one, typed whole, Enter in the same chunk
    press(s, '+');
    handleInput(() => s.getState(), 'sched:sched_process_exec\r', {});
    expect(await until(() => m!.argsOf('trace').length === 2)).toBe(true);
    expect(linkFds() - links).toBe(2);
    const ids = heldProgramIds();
    // the trace object: trace_hit and the user-space probes' seven programs (loaded, not attached)
    expect(ids.length).toBe(8);
    m!.tick();
    const rows = s
      .getState()
      .latest!.data.trace!.tracepoints.map((r) => r.id)
      .sort();
    expect(rows).toEqual(['sched:sched_process_exec', 'sched:sched_process_fork']);
    // ↓ selects the second row of the pane's order, - removes it
    const order = SCREEN_CATALOGUE.find((p) => p.name === 'trace')!.args!.rowValues(s.getState().shown!.data.trace);
    press(s, '', { downArrow: true });
    press(s, '-');
    expect(await until(() => m!.argsOf('trace').length === 1)).toBe(true);
    expect(m!.argsOf('trace')).toEqual([order[0]]);
    expect(linkFds() - links).toBe(1);
    m!.tick();
    expect(s.getState().latest!.data.trace!.tracepoints.map((r) => r.id)).toEqual([order[0]]);
    press(s, '-');
    expect(await until(() => m!.argsOf('trace').length === 0)).toBe(true);
    expect(linkFds() - links).toBe(0);
    expect(heldProgramIds()).toEqual([]);
    expect(await waitUnloaded(ids)).toEqual([]);
  });

  it('bad input at the prompt: one line in the status line, nothing else changes', async () => {
    const s = await setup();
    for (const [text, msg] of [
      ['sched:nope', /^no tracepoint sched:nope; see /],
      ['sched:sched_switch:prev_comm', /^field 'prev_comm' of sched:sched_switch is not numeric/],
      ['nope:*', /matches no tracepoint/],
      ['syscalls:*', /^'syscalls:\*' matches \d+ tracepoints; at most 256 can be attached at once$/],
    ] as const) {
      press(s, '+');
      handleInput(() => s.getState(), `${text}\r`, {});
      expect(await until(() => (s.getState().notice ?? '') !== '' && !s.getState().notice!.startsWith('--trace'))).toBe(true);
      expect(s.getState().notice).toMatch(msg);
      s.getState().setNotice(null);
      expect(m!.argsOf('trace')).toEqual([]);
    }
    expect(heldProgramIds()).toEqual([]);
    // Esc closes the prompt and adds nothing
    press(s, '+');
    handleInput(() => s.getState(), 'sched:sched_switch', {});
    press(s, '', { escape: true });
    expect(s.getState().argsPrompt).toBeNull();
    await new Promise((r) => setTimeout(r, 100));
    expect(m!.argsOf('trace')).toEqual([]);
  });
});
