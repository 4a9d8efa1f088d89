// Attaching the targets of the trace syntax (tracepoints, u:, ur:, usdt:) to the programs of one
// object, one slot each (the BPF cookie): shared by the trace probe (bpf/trace.bpf.c: counts and
// histograms) and the print probe (bpf/print.bpf.c: one line per hit). Both objects have the same
// five programs under their own prefix, and a `slots` map of struct trace_slot (bpf/trace.h).
import { BpfError, describeError } from '../bpf/error.js';
import { u32 } from '../bpf/map.js';
import type { BpfObject } from '../bpf/object.js';
import type { TraceTarget } from './trace-events.js';
import { ProbeArgError } from './types.js';

/** struct trace_slot (test/probes/layout.test.ts checks it against BTF). */
export const TRACE_SLOT_LAYOUT = { struct: 'trace_slot', size: 20, fields: { field_off: 0, field_size: 4, field_signed: 8, mode: 12, str: 16 } } as const;
/** bpf/trace.h TRACE_MODE_*. */
const MODE = { field: 0, arg: 1, ret: 2, lat: 3, usdt: 4 } as const;
/** bpf/trace.h TRACE_STR_* (--print's strings). */
const STR = { user: 1, kptr: 2, uptr: 3, array: 4, loc: 5 } as const;

/** The programs of an object, by role: `${prefix}_hit` etc. */
export interface SlotPrograms {
  readonly tracepoint: string;
  readonly uprobe: string;
  readonly uretprobe: string;
  readonly uentry: string;
  readonly usdt: string;
}

/** A slot's config: where its value comes from. */
export function slotConfig(t: TraceTarget): Buffer {
  const cfg = Buffer.alloc(TRACE_SLOT_LAYOUT.size);
  const f = TRACE_SLOT_LAYOUT.fields;
  const u = t.user;
  if (u) {
    if (u.value === null) return cfg;
    const mode = u.kind === 'usdt' ? MODE.usdt : u.value === 'arg' ? MODE.arg : u.value === 'ret' ? MODE.ret : MODE.lat;
    // USDT arguments are 0-based in libbpf (bpf_usdt_arg), 1-based here as in BCC.
    cfg.writeUInt32LE(u.kind === 'usdt' ? u.argIndex - 1 : u.argIndex, f.field_off);
    cfg.writeUInt32LE(8, f.field_size);
    cfg.writeUInt32LE(u.value === 'ret' || u.kind === 'usdt' ? 1 : 0, f.field_signed);
    cfg.writeUInt32LE(mode, f.mode);
  } else if (t.field) {
    cfg.writeUInt32LE(t.field.offset, f.field_off);
    cfg.writeUInt32LE(t.field.size, f.field_size);
    cfg.writeUInt32LE(t.field.signed ? 1 : 0, f.field_signed);
  }
  if (t.str) cfg.writeUInt32LE(STR[t.str], f.str);
  return cfg;
}

/** Why an attach failed, in one line (ENOTSUPP, which Node has no name for, said in words). */
export function attachWhy(e: unknown): string {
  if (!(e instanceof BpfError)) return describeError(e);
  if (e.errno === 524) return 'ENOTSUPP: the kernel cannot place a uprobe on its first instruction (e.g. a VEX-encoded AVX instruction)';
  const tail = e.message.replace(/^cannot attach [^:]*: ?/, '').split('\n')[0];
  return `${e.code}: ${tail.length > 300 ? `${tail.slice(0, 300)}…` : tail}`;
}

/**
 * Write the slot's config and attach the target there (-p: a uprobe for that process only).
 * Throws the BpfError of the attach; what it attached before failing stays for detachSlot.
 */
export function attachSlot(obj: BpfObject, p: SlotPrograms, t: TraceTarget, slot: number, pid: number | null): void {
  obj.map('slots').update(u32(slot), slotConfig(t));
  const u = t.user;
  const who = pid ?? -1;
  if (!u) obj.attachTracepoint(p.tracepoint, t.category, t.name, slot);
  else if (u.kind === 'usdt') obj.attachUsdt(p.usdt, slot, u.path, u.provider, u.probe, who);
  else if (u.kind === 'uprobe') obj.attachUprobe(p.uprobe, slot, u.path, u.offset, false, who);
  else {
    // The entry's stamp first: a return is a hit only with its entry seen.
    if (u.value === 'lat') obj.attachUprobe(p.uentry, slot, u.path, u.offset, false, who);
    obj.attachUprobe(p.uretprobe, slot, u.path, u.offset, true, who);
  }
}

/** The one-line error of a failed attach. */
export function refusedError(t: TraceTarget, e: unknown): ProbeArgError {
  return new ProbeArgError(`the kernel refused to attach ${t.user ? t.id : `${t.category}:${t.name}`} (${attachWhy(e)})`);
}

/** Detach these slots' targets, all at once (each tracepoint's detach waits for a grace period). */
export function detachSlots(obj: BpfObject, p: SlotPrograms, list: readonly { target: TraceTarget; slot: number }[]): void {
  const tps: [string, string, number][] = [];
  const slots: number[] = [];
  for (const { target, slot } of list) {
    if (target.user) slots.push(slot);
    else tps.push([target.category, target.name, slot]);
  }
  if (tps.length) obj.detachTracepoints(p.tracepoint, tps);
  if (slots.length) for (const prog of [p.uprobe, p.uretprobe, p.uentry, p.usdt]) obj.detachSlots(prog, slots);
}
