// --pprof FILE: the run's stacks merged over its intervals (as --folded merges them) and written
// at its end as a gzipped profile.proto (github.com/google/pprof/proto/profile.proto), which
// `go tool pprof`, Grafana Pyroscope and speedscope read. The protobuf encoding is pprof-format's
// (npm, DataDog's, no dependencies): no hand-written wire code here.
//
// What a sample's two values are comes from the probe's spec (FoldedSpec.pprof): for on-CPU
// samples, samples/count and cpu/nanoseconds (one sample = one period) with period type
// cpu/nanoseconds; for off-CPU stacks, switches/count and offcpu/nanoseconds. Each sample carries
// the labels comm and pid (the thread id for off-CPU stacks, the process id for on-CPU samples).
// Locations are per distinct frame (address, module, function, with the functions inlined into
// it as more lines, innermost first); one mapping per module and build-id (its path, and the
// GNU build-id the symbolizer read from the file, StackFrame.build_id; no address range:
// perfscope keeps none per frame, and one module is mapped at other addresses in other
// processes), one function per name and module. Kernel frames are in the module [kernel].
import { gzipSync } from 'node:zlib';
import { Function as PFunction, Line, Location, Mapping, Profile, Sample, StringTable, ValueType, Label } from 'pprof-format';
import type { Catalogue, Interval } from '../catalogue/catalogue.js';
import { fromSpec, sampleOf } from '../catalogue/catalogue.js';
import type { Sink } from '../catalogue/sink.js';
import type { PprofSpec } from '../probes/types.js';
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

/** `probe`: a probe of the catalogue with stacks (FoldedSpec.pprof); throws if it has none. */
export function pprofSink(cat: Catalogue, probe: string, onInterval?: (n: number) => void): PprofSink {
  const spec = cat.find((s) => s.name === probe)?.folded?.pprof as PprofSpec<unknown> | undefined;
  if (!spec) throw new Error(`${probe} has no stacks for --pprof`);
  const merged = new Map<string, Merged>();
  let intervals = 0;
  let periodNs: number | null = null;
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
      const sample = sampleOf(iv, probe);
      if (sample !== null) {
        periodNs = fromSpec(() => spec.periodNs?.(sample) ?? periodNs, periodNs);
        for (const r of fromSpec(() => spec.rows(sample), [])) if (r.count > 0 || r.ns > 0) add(r.row, r.count, r.ns);
      }
      onInterval?.(intervals);
    },
    encode() {
      return gzipSync(build(spec, [...merged.values()], periodNs, started, cut));
    },
  };
}

function build(spec: PprofSpec<unknown>, rows: Merged[], periodNs: number | null, startedMs: number, cut: number): Uint8Array {
  const strings = new StringTable();
  const str = (s: string) => strings.dedup(s);
  const mappings = new Map<string, Mapping>();
  const functions = new Map<string, PFunction>();
  const locations = new Map<string, Location>();
  // Two files at one path (two containers' copies of a library) are two mappings, told apart by their build-ids.
  const mappingOf = (module: string, buildId: string | undefined) => {
    const key = `${module}\u0000${buildId ?? ''}`;
    let m = mappings.get(key);
    if (!m) {
      m = new Mapping({ id: mappings.size + 1, filename: str(module), buildId: buildId ? str(buildId) : 0, hasFunctions: true, hasInlineFrames: true });
      mappings.set(key, m);
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
    const key = `${outer.addr}\u0000${outer.module}\u0000${outer.build_id ?? ''}\u0000${group.map(frameLabel).join('\u0000')}`;
    let loc = locations.get(key);
    if (!loc) {
      const lines = group.map((f) => new Line({ functionId: functionOf(f).id })).reverse(); // innermost first
      loc = new Location({ id: locations.size + 1, mappingId: mappingOf(outer.module, outer.build_id).id, address: BigInt(outer.addr), line: lines });
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
    sampleType: spec.types.map(([type, unit]) => new ValueType({ type: str(type), unit: str(unit) })),
    sample: samples,
    mapping: [...mappings.values()],
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    timeNanos: BigInt(startedMs) * 1_000_000n,
    durationNanos: BigInt(Math.max(0, Date.now() - startedMs)) * 1_000_000n,
    periodType: periodNs !== null ? new ValueType({ type: str(spec.types[1][0]), unit: str(spec.types[1][1]) }) : undefined,
    period: periodNs ?? 0,
    comment: cut ? [str(`perfscope: ${cut} samples of stacks past ${MAX_STACKS} distinct ones left out`)] : [],
  });
  return profile.encode();
}
