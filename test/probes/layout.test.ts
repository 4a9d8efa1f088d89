// The decoders' struct layouts (src/probes/*.ts, written by hand) against the BTF of the objects
// they decode (build/bpf/*.bpf.o, from bpf/*.h): a member added, moved or resized in C fails
// here until the decoder follows. Reads object files only: no root, no BPF, never skipped.
import { describe, expect, it } from 'vitest';
import { bpfObjectPath } from '../../src/bpf/object.js';
import { EXEC_ARG_LEN, EXEC_COMM_LEN, EXEC_EVENT_BASE, EXEC_FILENAME_LEN, EXEC_LAYOUT, EXEC_MAX_ARGS } from '../../src/probes/exec.js';
import { OFFCPU_COMM_LEN, OFFCPU_KEY_BYTES, OFFCPU_LAYOUT, OFFCPU_VAL_BYTES } from '../../src/probes/offcpu.js';
import { OPEN_COMM_LEN, OPEN_EVENT_SIZE, OPEN_LAYOUT, OPEN_PATH_LEN } from '../../src/probes/open.js';
import { RUNQLAT_HIST_BYTES, RUNQLAT_LAYOUT, RUNQLAT_MAX_SLOTS } from '../../src/probes/runqlat.js';
import { TCP_COMM_LEN, TCP_EVENT_SIZE, TCP_LAYOUT } from '../../src/probes/tcp.js';
import { SCHED_CFG_LAYOUT } from '../../src/probes/sched.js';
import { TOP_COMM_LEN, TOP_CUR_LAYOUT, TOP_KEY_LAYOUT, TOP_VAL_LAYOUT } from '../../src/probes/proc/kernel-top.js';
import { ISO_COMM_LEN, ISO_LAYOUT } from '../../src/probes/isolation.js';
import { PRINT_COMM_LEN, PRINT_LAYOUT, PRINT_STR_LAYOUT } from '../../src/probes/print.js';
import { TRACE_COMM_LEN, TRACE_HIST_SLOTS, TRACE_KEY_LAYOUT, TRACE_SLOT_LAYOUT, TRACE_STAT_LAYOUT } from '../../src/probes/trace.js';
import { btfStruct } from '../helpers/btf.js';
import { STACK_COMM_LEN, STACK_KDEPTH, STACK_KEY_LAYOUT, STACK_PROC_LAYOUT, STACK_SAMPLE_LAYOUT, STACK_UDEPTH } from '../../src/stacks/layout.js';
import { PROFILE_STAT_LAYOUT } from '../../src/probes/profile.js';
import { OFFSTACK_STAT_LAYOUT, OFFSTACK_VAL_LAYOUT } from '../../src/probes/offcpu-stacks.js';
import { CGROUP_OFF_KEY_LAYOUT, CGROUP_OFF_LAYOUT, CGROUP_RQ_LAYOUT, CONTAINERS_COMM_LEN, CONTAINERS_MAX_SLOTS } from '../../src/probes/containers.js';

const u64s = (l: { fields: Readonly<Record<string, number>> }) => Object.fromEntries(Object.keys(l.fields).map((k) => [k, 8]));

interface Layout {
  struct: string;
  size: number | null;
  fields: Readonly<Record<string, number>>;
}

interface Case {
  name: string;
  object: string;
  layout: Layout;
  /** The struct size the decoder relies on (exec: the full record, EXEC_EVENT_BASE + every arg slot). */
  size: number;
  /** Bytes of each member as the decoder reads it: scalar widths (readUInt32LE: 4, u64: 8), arrays from the TS constants. */
  bytes: Record<string, number>;
  /** Array dimensions the decoder relies on, by member. */
  dims: Record<string, number[]>;
}

const CASES: Case[] = [
  {
    name: 'containers run-queue row',
    object: 'sched',
    layout: CGROUP_RQ_LAYOUT,
    size: CGROUP_RQ_LAYOUT.size,
    bytes: { slots: CONTAINERS_MAX_SLOTS * 8, total_ns: 8 },
    dims: { slots: [CONTAINERS_MAX_SLOTS] },
  },
  { name: 'containers off-CPU key', object: 'sched', layout: CGROUP_OFF_KEY_LAYOUT, size: 16, bytes: { cgroup: 8, gen: 4, _pad: 4 }, dims: {} },
  {
    name: 'containers off-CPU maximum',
    object: 'sched',
    layout: CGROUP_OFF_LAYOUT,
    size: 32,
    bytes: { max_ns: 8, pid: 4, _pad: 4, comm: CONTAINERS_COMM_LEN },
    dims: { comm: [CONTAINERS_COMM_LEN] },
  },
  {
    name: 'exec',
    object: 'exec',
    layout: EXEC_LAYOUT,
    size: EXEC_EVENT_BASE + EXEC_MAX_ARGS * EXEC_ARG_LEN,
    bytes: {
      ts_ns: 8,
      pid: 4,
      ppid: 4,
      uid: 4,
      ret: 4,
      argc: 4,
      flags: 4,
      cgroup: 8,
      comm: EXEC_COMM_LEN,
      filename: EXEC_FILENAME_LEN,
      args: EXEC_MAX_ARGS * EXEC_ARG_LEN,
    },
    dims: { comm: [EXEC_COMM_LEN], filename: [EXEC_FILENAME_LEN], args: [EXEC_MAX_ARGS, EXEC_ARG_LEN] },
  },
  {
    name: 'open',
    object: 'open',
    layout: OPEN_LAYOUT,
    size: OPEN_EVENT_SIZE,
    bytes: { ts_ns: 8, flags: 8, ret: 8, pid: 4, tid: 4, uid: 4, sys: 4, cgroup: 8, comm: OPEN_COMM_LEN, path: OPEN_PATH_LEN },
    dims: { comm: [OPEN_COMM_LEN], path: [OPEN_PATH_LEN] },
  },
  {
    name: 'tcp',
    object: 'tcp',
    layout: TCP_LAYOUT,
    size: TCP_EVENT_SIZE,
    // saddr/daddr: 16 bytes, as ipv6Text reads them (IPv4 uses the first 4).
    bytes: { ts_ns: 8, pid: 4, tid: 4, uid: 4, kind: 4, family: 4, sport: 4, dport: 4, pad: 4, cgroup: 8, saddr: 16, daddr: 16, comm: TCP_COMM_LEN },
    dims: { saddr: [16], daddr: [16], comm: [TCP_COMM_LEN] },
  },
  {
    name: 'offcpu key',
    object: 'sched',
    layout: OFFCPU_LAYOUT.key,
    size: OFFCPU_KEY_BYTES,
    bytes: { cpu: 4, pid: 4 },
    dims: {},
  },
  {
    name: 'offcpu value',
    object: 'sched',
    layout: OFFCPU_LAYOUT.val,
    size: OFFCPU_VAL_BYTES,
    bytes: { max_ns: 8, total_ns: 8, returns: 8, preempted: 4, tgid: 4, comm: OFFCPU_COMM_LEN, preempted_by: OFFCPU_COMM_LEN, cgroup: 8 },
    dims: { comm: [OFFCPU_COMM_LEN], preempted_by: [OFFCPU_COMM_LEN] },
  },
  {
    name: 'runqlat hist',
    object: 'sched',
    layout: RUNQLAT_LAYOUT,
    size: RUNQLAT_HIST_BYTES,
    bytes: { slots: RUNQLAT_MAX_SLOTS * 8, total_ns: 8 },
    dims: { slots: [RUNQLAT_MAX_SLOTS] },
  },
  {
    name: 'top row',
    object: 'sched',
    layout: TOP_VAL_LAYOUT,
    size: TOP_VAL_LAYOUT.size,
    bytes: { run_ns: 8, usr_ns: 8, sys_ns: 8, leader_sum: 8, runs: 4, _pad: 4, comm: TOP_COMM_LEN, cgroup: 8 },
    dims: { comm: [TOP_COMM_LEN] },
  },
  { name: 'top key', object: 'sched', layout: TOP_KEY_LAYOUT, size: 8, bytes: { tgid: 4, cpu: 4 }, dims: {} },
  {
    name: 'top per-CPU record',
    object: 'sched',
    layout: TOP_CUR_LAYOUT,
    size: TOP_CUR_LAYOUT.size,
    bytes: { seq_begin: 4, epoch: 4, pid: 4, tgid: 4, in_sum: 8, in_usr: 8, in_sys: 8, gen: 4, gen_seq: 4, epoch_seq: 4, seq_end: 4 },
    dims: {},
  },
  {
    name: 'sched config word',
    object: 'sched',
    layout: SCHED_CFG_LAYOUT,
    size: SCHED_CFG_LAYOUT.size,
    bytes: {
      parts: 4,
      watch: 4,
      off_epoch: 4,
      rq_epoch: 4,
      count_totals: 4,
      iso_cpu: 4,
      rq_since: 8,
      iso_epoch: 4,
      iso_resident: 4,
      iso_cut: 8,
      off_self: 4,
      cg_gen: 4,
      top_epoch: 4,
      top_gen: 4,
    },
    dims: {},
  },
  {
    name: 'isolation key',
    object: 'sched',
    layout: ISO_LAYOUT.key,
    size: ISO_LAYOUT.key.size,
    bytes: { pid: 4, _pad: 4, comm: ISO_COMM_LEN },
    dims: { comm: [ISO_COMM_LEN] },
  },
  {
    name: 'isolation value',
    object: 'sched',
    layout: ISO_LAYOUT.val,
    size: ISO_LAYOUT.val.size,
    bytes: {
      on_ns: 8,
      runs: 8,
      max_run_ns: 8,
      tgid: 4,
      vote: 4,
      disp_pid: 4,
      off_count: 4,
      disp_comm: ISO_COMM_LEN,
      off_max_ns: 8,
      off_total_ns: 8,
      off_by_pid: 4,
      off_preempted: 4,
      off_by_comm: ISO_COMM_LEN,
      cgroup: 8,
    },
    dims: { disp_comm: [ISO_COMM_LEN], off_by_comm: [ISO_COMM_LEN] },
  },
  {
    name: 'isolation CPU state',
    object: 'sched',
    layout: ISO_LAYOUT.state,
    size: ISO_LAYOUT.state.size,
    bytes: {
      in_ns: 8,
      seq: 8,
      pid: 4,
      epoch: 4,
      tgid: 4,
      disp_pid: 4,
      comm: ISO_COMM_LEN,
      disp_comm: ISO_COMM_LEN,
      r_out_ns: 8,
      r_top_ns: 8,
      r_pid: 4,
      r_top_pid: 4,
      r_preempted: 4,
      s_pid: 4,
      r_top_comm: ISO_COMM_LEN,
      s_cut: 8,
      s_in: 8,
      s_tgid: 4,
      _pad: 4,
      s_comm: ISO_COMM_LEN,
    },
    dims: { comm: [ISO_COMM_LEN], disp_comm: [ISO_COMM_LEN], r_top_comm: [ISO_COMM_LEN], s_comm: [ISO_COMM_LEN] },
  },
  {
    name: 'trace slot counters',
    object: 'trace',
    layout: TRACE_STAT_LAYOUT,
    size: TRACE_STAT_LAYOUT.size,
    bytes: { runs: 8, hits: 8, negative: 8, task_lost: 8, timed_runs: 8, timed_ns: 8, hist: TRACE_HIST_SLOTS * 8 },
    dims: { hist: [TRACE_HIST_SLOTS] },
  },
  {
    name: 'trace task key',
    object: 'trace',
    layout: TRACE_KEY_LAYOUT,
    size: TRACE_KEY_LAYOUT.size,
    bytes: { slot: 4, pid: 4, comm: TRACE_COMM_LEN, cgroup: 8 },
    dims: { comm: [TRACE_COMM_LEN] },
  },
  {
    name: 'trace slot config',
    object: 'trace',
    layout: TRACE_SLOT_LAYOUT,
    size: TRACE_SLOT_LAYOUT.size,
    bytes: { field_off: 4, field_size: 4, field_signed: 4, mode: 4, str: 4 },
    dims: {},
  },
  {
    name: 'print event',
    object: 'print',
    layout: PRINT_LAYOUT,
    size: PRINT_LAYOUT.size,
    bytes: { ts_ns: 8, pid: 4, tid: 4, slot: 4, flags: 4, value: 8, cgroup: 8, comm: PRINT_COMM_LEN },
    dims: { comm: [PRINT_COMM_LEN] },
  },
  {
    name: 'print string event',
    object: 'print',
    layout: PRINT_STR_LAYOUT,
    size: PRINT_STR_LAYOUT.size,
    bytes: { e: PRINT_LAYOUT.size, str_len: 4, pad: 4, str: PRINT_STR_LAYOUT.strBuf },
    dims: { str: [PRINT_STR_LAYOUT.strBuf] },
  },
  ...['profile', 'offstacks'].map((object) => ({
    name: `${object} stack key`,
    object,
    layout: STACK_KEY_LAYOUT,
    size: STACK_KEY_LAYOUT.size,
    bytes: { pid: 4, tgid: 4, mmid: 4, kframes: 2, uframes: 2, comm: STACK_COMM_LEN, cgroup: 8, kstack: 8 * STACK_KDEPTH, ustack: 8 * STACK_UDEPTH },
    dims: { comm: [STACK_COMM_LEN], kstack: [STACK_KDEPTH], ustack: [STACK_UDEPTH] },
  })),
  ...['profile', 'offstacks'].map((object) => ({
    name: `${object} copied stack sample`,
    object,
    layout: STACK_SAMPLE_LAYOUT,
    size: STACK_SAMPLE_LAYOUT.size,
    bytes: { key: STACK_KEY_LAYOUT.size, delta_ns: 8, preempted: 4, gen: 4, by: STACK_COMM_LEN, ip: 8, sp: 8, bp: 8, stack_len: 4, _pad: 4, stack: 0 },
    dims: { by: [STACK_COMM_LEN], stack: [0] },
  })),
  { name: 'stack announcement', object: 'profile', layout: STACK_PROC_LAYOUT, size: STACK_PROC_LAYOUT.size, bytes: { tgid: 4, mmid: 4 }, dims: {} },
  { name: 'profile counters', object: 'profile', layout: PROFILE_STAT_LAYOUT, size: PROFILE_STAT_LAYOUT.size, bytes: u64s(PROFILE_STAT_LAYOUT), dims: {} },
  {
    name: 'off-CPU stack counters',
    object: 'offstacks',
    layout: OFFSTACK_STAT_LAYOUT,
    size: OFFSTACK_STAT_LAYOUT.size,
    bytes: u64s(OFFSTACK_STAT_LAYOUT),
    dims: {},
  },
  {
    name: 'off-CPU stack row',
    object: 'offstacks',
    layout: OFFSTACK_VAL_LAYOUT,
    size: OFFSTACK_VAL_LAYOUT.size,
    bytes: { total_ns: 8, max_ns: 8, count: 8, preempted: 8, by: STACK_COMM_LEN },
    dims: { by: [STACK_COMM_LEN] },
  },
];

describe("decoder layouts match the BPF objects' BTF", () => {
  it.each(CASES)('$name: struct $layout.struct', ({ object, layout, size, bytes, dims }) => {
    const file = bpfObjectPath(object);
    const btf = btfStruct(file, layout.struct);
    const where = `struct ${layout.struct} (${file})`;
    const fields = Object.keys(layout.fields);

    // This test's own tables cover exactly the layout's fields.
    expect(Object.keys(bytes).sort(), 'bytes table of this test vs the TS layout').toEqual([...fields].sort());

    // Every member of the C struct is known to the decoder (a deliberately unread one is listed too).
    const unknown = [...btf.members.keys()].filter((m) => !(m in layout.fields));
    expect(unknown, `${where}: members missing from the TS layout`).toEqual([]);
    const absent = fields.filter((f) => !btf.members.has(f));
    expect(absent, `${where}: TS layout fields that are not members`).toEqual([]);

    for (const f of fields) {
      const m = btf.members.get(f)!;
      expect(m.offset, `${where}: offset of ${f} (BTF, expected: TS layout)`).toBe(layout.fields[f]);
      expect(m.size, `${where}: bytes of ${f} (BTF, expected: TS)`).toBe(bytes[f]);
      expect(m.dims, `${where}: array dimensions of ${f} (BTF, expected: TS)`).toEqual(dims[f] ?? []);
    }

    expect(btf.size, `${where}: struct size (BTF, expected: TS)`).toBe(size);
    if (layout.size !== null) expect(layout.size, `${where}: the layout's size`).toBe(size);
  });

  it('exec: the variable-length record ends with its argument slots', () => {
    // bpf/exec.bpf.c sends EXEC_EVENT_BASE + argc * EXEC_ARG_LEN bytes: args must be last.
    const btf = btfStruct(bpfObjectPath('exec'), EXEC_LAYOUT.struct);
    const last = [...btf.members.keys()].at(-1);
    expect(last).toBe('args');
    expect(btf.members.get('args')!.offset).toBe(EXEC_EVENT_BASE);
  });
});

describe('btfStruct errors', () => {
  it('says to run make build when the object is missing', () => {
    expect(() => btfStruct('/nonexistent/x.bpf.o', 'exec_event')).toThrow(/not found: run `make build`/);
  });
  it('names the struct when it is not in the BTF', () => {
    expect(() => btfStruct(bpfObjectPath('exec'), 'no_such_struct')).toThrow(/struct no_such_struct is not in the BTF/);
  });
  it('says bpftool is missing', () => {
    const saved = process.env.BPFTOOL;
    process.env.BPFTOOL = '/nonexistent/bpftool';
    try {
      expect(() => btfStruct(bpfObjectPath('exec'), 'exec_event')).toThrow(/bpftool not found/);
    } finally {
      if (saved === undefined) delete process.env.BPFTOOL;
      else process.env.BPFTOOL = saved;
    }
  });
});
