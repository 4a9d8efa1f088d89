// --pprof FILE: the run's stacks merged over its intervals (as --folded merges them) and written
// at its end as a gzipped profile.proto (github.com/google/pprof/proto/profile.proto), which
// `go tool pprof`, Grafana Pyroscope and speedscope read. The protobuf encoding is pprof-format's
// (npm, DataDog's, no dependencies): no hand-written wire code here.
//
// Profile (the profile probe): sample types samples/count and cpu/nanoseconds (a sample is one
// period, 1e9/HZ ns), period type cpu/nanoseconds. Off-CPU stacks (--probes offcpu): sample
// types switches/count (absences) and offcpu/nanoseconds. Each sample carries the labels comm
// and pid (the thread id for off-CPU stacks, the process id for the profile). Locations are
// per distinct frame (address, module, function, with the functions inlined into it as more
// lines, innermost first); one mapping per module (its path; no address range: perfscope keeps
// none per frame), one function per name and module. Kernel frames are in the module [kernel].
import { gzipSync } from 'node:zlib';
import { Function as PFunction, Line, Location, Mapping, Profile, Sample, StringTable, ValueType, Label } from 'pprof-format';
import type { Interval } from '../catalogue/catalogue.js';
import { sampleOf } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import { frameLabel, stackId, type StackFrame, type StackRow } from '../stacks/frames.js';

export interface PprofSink extends Sink {
  readonly intervals: number;
  /** The gzipped profile.proto of everything so far. */
  encode(): Buffer;
}

interface Merged {
  row: StackRow;
  count: number;
  ns: number;
}

/** Distinct stacks held; the samples of further ones are counted and said in the profile's comment. */
const MAX_STACKS = 200_000;

export function pprofSink(probe: 'profile' | 'offcpu', onInterval?: (n: number) => void): PprofSink {
  const merged = new Map<string, Merged>();
  let intervals = 0;
  let periodNs = 0;
  let cut = 0;
  const started = Date.now();
  const add = (row: StackRow, count: number, ns: number) => {
    const id = stackId(row);
    const m = merged.get(id);
    if (m) {
      m.count += count;
      m.ns += ns;
    } else if (merged.size < MAX_STACKS) merged.set(id, { row, count, ns });
    else cut += count;
  };
  return {
    name: 'pprof',
    get intervals() {
      return intervals;
    },
    interval(iv: Interval) {
      intervals++;
      const s = sampleOf(iv, probe) as Record<string, unknown> | null;
      if (probe === 'profile' && s) {
        const hz = typeof s.hz === 'number' && s.hz > 0 ? s.hz : 49;
        periodNs = Math.round(1e9 / hz);
        for (const r of (s.stacks as (StackRow & { count: number })[] | undefined) ?? []) add(r, r.count, r.count * periodNs);
      } else if (probe === 'offcpu') {
        const st = (s?.stacks ?? null) as { rows?: (StackRow & { count: number; total_us: number })[] } | null;
        for (const r of st?.rows ?? []) add(r, r.count, Math.round(r.total_us * 1000));
      }
      onInterval?.(intervals);
    },
    encode() {
      return gzipSync(build(probe, [...merged.values()], periodNs, started, cut));
    },
  };
}

function build(probe: 'profile' | 'offcpu', rows: Merged[], periodNs: number, startedMs: number, cut: number): Uint8Array {
  const strings = new StringTable();
  const str = (s: string) => strings.dedup(s);
  const mappings = new Map<string, Mapping>();
  const functions = new Map<string, PFunction>();
  const locations = new Map<string, Location>();
  const mappingOf = (module: string) => {
    let m = mappings.get(module);
    if (!m) {
      m = new Mapping({ id: mappings.size + 1, filename: str(module), hasFunctions: true, hasInlineFrames: true });
      mappings.set(module, m);
    }
    return m;
  };
  const functionOf = (f: StackFrame) => {
    const name = frameLabel(f);
    const key = `${f.module}\u0000${name}`;
    let fn = functions.get(key);
    if (!fn) {
      fn = new PFunction({ id: functions.size + 1, name: str(name), systemName: str(name), filename: str(f.module) });
      functions.set(key, fn);
    }
    return fn;
  };
  /** A frame and the functions inlined into it (root first) as one location. */
  const locationOf = (group: StackFrame[]) => {
    const outer = group[0];
    const key = `${outer.addr}\u0000${outer.module}\u0000${group.map(frameLabel).join('\u0000')}`;
    let loc = locations.get(key);
    if (!loc) {
      const lines = group.map((f) => new Line({ functionId: functionOf(f).id })).reverse(); // innermost first
      loc = new Location({ id: locations.size + 1, mappingId: mappingOf(outer.module).id, address: BigInt(outer.addr), line: lines });
      locations.set(key, loc);
    }
    return loc;
  };
  const samples: Sample[] = [];
  for (const { row, count, ns } of rows) {
    // Root first, user frames then kernel frames; a frame marked inlined belongs to the one before.
    const groups: StackFrame[][] = [];
    row.frames.forEach((f, i) => {
      if (f.inlined && groups.length && i !== row.user_frames) groups[groups.length - 1].push(f);
      else groups.push([f]);
    });
    const ids = groups.map((g) => locationOf(g).id).reverse(); // leaf first
    samples.push(
      new Sample({
        locationId: ids,
        value: [count, ns],
        label: [new Label({ key: str('comm'), str: str(row.comm) }), new Label({ key: str('pid'), num: row.pid })],
      }),
    );
  }
  const profile = new Profile({
    sampleType:
      probe === 'profile'
        ? [new ValueType({ type: str('samples'), unit: str('count') }), new ValueType({ type: str('cpu'), unit: str('nanoseconds') })]
        : [new ValueType({ type: str('switches'), unit: str('count') }), new ValueType({ type: str('offcpu'), unit: str('nanoseconds') })],
    sample: samples,
    mapping: [...mappings.values()],
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    timeNanos: BigInt(startedMs) * 1_000_000n,
    durationNanos: BigInt(Math.max(0, Date.now() - startedMs)) * 1_000_000n,
    periodType: probe === 'profile' ? new ValueType({ type: str('cpu'), unit: str('nanoseconds') }) : undefined,
    period: probe === 'profile' ? periodNs : 0,
    comment: cut ? [str(`perfscope: ${cut} samples of stacks past ${MAX_STACKS} distinct ones left out`)] : [],
  });
  return profile.encode();
}
