// A probe on a kernel without one of its hooks: it reports itself unavailable, naming the
// missing tracepoint (the kernel's BTF, asked through the addon), and the others run. The
// selftest object's ps_st_nohook program stands for such a probe: its tp_btf hook exists on no
// kernel.
import { describe, expect, it } from 'vitest';
import { BpfProbe } from '../../src/probes/bpf-probe.js';
import { BpfObject, bpfObjectPath } from '../../src/bpf/object.js';
import { ProbeManager } from '../../src/manager/manager.js';
import { ProbeUnavailable, type ProbeConfig } from '../../src/probes/types.js';
import { CATALOGUE, type Catalogue } from '../../src/catalogue/catalogue.js';
import { heldProgramIds, noBpf } from '../helpers/bpf.js';

const CONFIG: ProbeConfig = { pinnedCpu: null, pid: null, comm: null, intervalS: 1, procRoot: '/proc', cpus: [0] };

class NoHookProbe extends BpfProbe<null> {
  readonly name = 'selftest';
  protected override configure(obj: BpfObject): void {
    obj.setAutoload('ps_st_nohook', true);
  }
  sample(): null {
    return null;
  }
}

describe.skipIf(noBpf)('a probe whose hook this kernel lacks', () => {
  it('the object names the missing hook, and only that one', () => {
    const obj = BpfObject.open(bpfObjectPath('selftest'));
    try {
      expect(obj.missingTpBtf()).toEqual([]); // tp_btf/sched_switch exists
      obj.setAutoload('ps_st_nohook', true);
      expect(obj.missingTpBtf()).toEqual(['perfscope_no_such_tracepoint']);
    } finally {
      obj.close();
    }
  });

  it('start() and startAsync() fail as unavailable, with the hook, and leave nothing loaded', async () => {
    expect(() => new NoHookProbe().start(CONFIG)).toThrow(ProbeUnavailable);
    const e = await new NoHookProbe().startAsync(CONFIG).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ProbeUnavailable);
    expect((e as Error).message).toBe('this kernel has no tracepoint perfscope_no_such_tracepoint (tp_btf/perfscope_no_such_tracepoint)');
    expect(heldProgramIds(process.pid)).toEqual([]);
  });

  it('the manager marks it unavailable with that reason; the others run', async () => {
    const cat = CATALOGUE.map((s) => (s.name === 'offcpu' ? { ...s, create: async () => new NoHookProbe() } : s)) as Catalogue;
    const m = new ProbeManager(cat, { intervalS: 1, pid: null, comm: null, cpus: [0], bpfReason: null });
    await m.start(['offcpu', 'proc']);
    const iv = m.tick();
    expect(iv.probes.offcpu).toEqual({
      state: 'unavailable',
      reason: 'this kernel has no tracepoint perfscope_no_such_tracepoint (tp_btf/perfscope_no_such_tracepoint)',
    });
    expect(iv.probes.proc.state).toBe('running');
    m.stop();
    expect(heldProgramIds(process.pid)).toEqual([]);
  });
});
