// The control slice: what the user asks of the probes (toggles, the pinned CPU, a probe's own
// option, its settings) or of a replay (the replay keys). Each action updates the state, then
// calls the attached control itself: the manager (attach, from cli.ts) or the replay source
// (attachReplay, from replay/run.ts). With none attached (a replay has no manager, a test may
// have neither) an action changes the state only. The manager's answer to an option's edit or a
// setting is one line for the status line (the notice); so is a bad go-to time.
import type { ArgsEdit, OptionValue } from '../probes/types.js';
import { findProbe, type ProbeName } from '../catalogue/catalogue.js';
import type { ProbeControl, ReplayControl } from './control.js';
import { cursorOf, optionKey, optionShown, rowValues, stepCpu } from './selectors.js';
import type { AppState, ControlActions, ControlState, Slice, StoreInit } from './state.js';

export function controlSlice(init: StoreInit): Slice<ControlState & ControlActions> {
  const cat = init.catalogue;
  let probes: ProbeControl | null = null;
  let replayer: ReplayControl | null = null;
  return (set, get) => {
    /** The manager adds or removes a value of a probe's own option; its answer is the notice. */
    const editArgs = (probe: ProbeName, edit: ArgsEdit) => {
      if (!probes?.editArgs) return;
      const spec = findProbe(cat, probe);
      const what = 'add' in edit ? `added ${edit.add}` : `removed ${edit.remove}`;
      void probes.editArgs(probe, edit).then((err) => get().setNotice(err ?? `--${spec?.args?.flag ?? probe}: ${what}`));
    };
    /** The manager changes a probe's setting; its answer is the notice. */
    const setOption = (probe: ProbeName, flag: string, value: OptionValue) => {
      if (!probes?.setOption) return;
      const shown = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
      void probes.setOption(probe, flag, value).then((err) => get().setNotice(err ?? `--${flag} ${shown}`));
    };
    const pin = (cpu: number | null) => {
      const was = get().pinnedCpu;
      set(() => ({ pinnedCpu: cpu }));
      if (cpu !== was) probes?.setPinnedCpu(cpu);
    };
    const enable = (name: ProbeName, on: boolean) => {
      const was = get().enabled[name];
      set((s) => ({ enabled: { ...s.enabled, [name]: on } }));
      if (on !== was && findProbe(cat, name)) void probes?.setEnabled(name, on);
    };
    return {
      pinnedCpu: init.pinnedCpu,
      enabled: Object.fromEntries(cat.map((s) => [s.name, init.enabled.includes(s.name)])) as ControlState['enabled'],
      options: Object.fromEntries(Object.entries(init.options ?? {}).flatMap(([p, o]) => Object.entries(o).map(([f, v]) => [optionKey(p, f), v]))),
      replay: init.replay ?? null,
      cgroupFilter: init.cgroups ?? [],
      remote: init.remote ?? null,

      attach: (control) => {
        probes = control;
        return () => {
          if (probes === control) probes = null;
        };
      },
      attachReplay: (control) => {
        replayer = control;
        return () => {
          if (replayer === control) replayer = null;
        };
      },
      toggleProbe: (name) => enable(name, !get().enabled[name]),
      setEnabled: (name, on) => enable(name, on),
      pinCpu: (cpu) => pin(cpu),
      pinNext: (step) => pin(stepCpu(get().host.cpus, get().pinnedCpu, step)),
      submitArgsPrompt: () => {
        const p = get().argsPrompt;
        if (!p) return;
        const text = p.text.trim();
        set(() => ({ argsPrompt: null }));
        if (text) editArgs(p.probe, { add: text });
      },
      removeAtCursor: () => {
        const s = get();
        const values = rowValues(s, s.focus);
        if (values.length === 0 || s.replay) return;
        editArgs(s.focus as ProbeName, { remove: values[cursorOf(s, s.focus)] });
      },
      openDetail: () => {
        const s = get();
        const ids = rowValues(s, s.focus);
        const spec = findProbe(cat, s.focus);
        if (!spec?.rowIds || ids.length === 0) return;
        // A pane whose rows are cgroups: Enter filters every pane to the selected one (again: all).
        const cg = spec.cgroupOfRow?.(s.shown?.data[spec.name] ?? null, ids[cursorOf(s, s.focus)]);
        if (cg !== undefined && cg !== null) {
          get().setCgroupFilter(s.cgroupFilter.length === 1 && s.cgroupFilter[0] === cg ? [] : [cg]);
          return;
        }
        const patch: Partial<AppState> = { detail: { pane: s.focus, row: ids[cursorOf(s, s.focus)] } };
        // What the detail shows may need a setting the probe does not run with yet (offcpu's stacks).
        const need = spec.options?.find((o) => o.detail && o.kind === 'boolean');
        const ask = need && optionShown(s, spec.name, need.flag) !== true && !s.replay ? need.flag : null;
        if (ask) patch.options = { ...s.options, [optionKey(spec.name, ask)]: true };
        set(() => patch);
        if (ask) setOption(spec.name, ask, true);
      },
      cycleOption: (flag) => {
        const s = get();
        const spec = findProbe(cat, s.focus);
        const o = spec?.options?.find((x) => x.flag === flag);
        if (!spec || !o?.cycle?.length || s.replay) return;
        const cur = optionShown(s, spec.name, flag);
        const i = o.cycle.indexOf(cur as number);
        const value = o.cycle[(i + 1) % o.cycle.length];
        set(() => ({ options: { ...s.options, [optionKey(spec.name, flag)]: value } }));
        setOption(spec.name, flag, value);
      },
      setCgroupFilter: (specs) => {
        // A remote screen (--connect) changes nothing on the remote: its filter is the remote's own.
        if (get().remote) return get().setNotice("--cgroup filters the remote's probes: give it to the remote perfscope (this screen is read-only)");
        set(() => ({ cgroupFilter: [...specs] }));
        if (get().replay) return get().setNotice('--cgroup filters live probes only (a replay shows what was recorded)');
        probes?.setCgroupFilter?.(specs);
        get().setNotice(specs.length ? `--cgroup ${specs.join(' ')} (in the kernel; G: every cgroup)` : '--cgroup off: every cgroup');
      },
      setReplay: (r) => set(() => ({ replay: r })),
      setRemote: (r) => set(() => ({ remote: r })),
      replayStep: (n) => replayer?.step(n),
      replayTogglePause: () => replayer?.togglePause(),
      submitReplayPrompt: () => {
        const text = get().replayPrompt;
        if (text === null) return;
        set(() => ({ replayPrompt: null }));
        if (!replayer) return;
        const err = replayer.seekTime(text);
        get().setNotice(err === null ? null : `go to: ${err}`);
      },
    };
  };
}
