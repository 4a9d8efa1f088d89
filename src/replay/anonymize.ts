// Anonymized slices (perfscope replay --slice --anonymize): every string of every record becomes
// a pseudonym, except the strings the format itself fixes; every number stays as it is.
//
// The walk is default-deny and driven by the probes' schemas, so that a new probe's strings are
// covered without anyone remembering to list them:
//   - every string value anywhere in a record (comm, argv, file names, paths, cgroup paths and
//     container names, tcp addresses, stack symbols and modules, a probe's failure reason, ...)
//     is replaced by a pseudonym;
//   - kept are only the strings a schema fixes: the ones each spec's fromJson checked with
//     oneOf (an enumeration: tcp `kind`, open `syscall`, ...; collectEnums in
//     src/probes/json-check.ts records where they are), the line's `time`, each probe's and
//     sink's `state` (the codec's enumerations), and strings that are numbers in text form
//     (ISO 8601 times, hexadecimal addresses of stack frames): "keep every number";
//   - object keys stay: in the --json shape they are field names, CPU numbers, disk and
//     interface names and feed names, never a task's or a file's name (a probe that keyed a map
//     by one would have to be added here: test/replay/anonymize.test.ts walks a real line of every
//     probe and fails on any string it finds in a slice that is not of the kept kinds).
// A new probe whose strings are enumerations declares them with oneOf (which its fromJson needs
// anyway for replay to check them); all its other strings are pseudonymized.
//
// Pseudonyms come from a counter map, one per slice: the same string is the same pseudonym
// everywhere in the slice (a task's comm in every feed and table, a path in every event), and
// nothing of the original can be computed back from it (no hash to guess against). Shapes are
// kept where a reader relies on them: IPv4 addresses become addresses of 198.18.0.0/15 (RFC 2544,
// benchmarking), IPv6 ones of 2001:db8::/32 (RFC 3849, documentation), paths `/anon-N`, every
// other string `anon-N`. The empty string stays empty (it names nothing).
import type { Catalogue } from '../catalogue/catalogue.js';
import type { JsonLine } from '../probes/types.js';
import { collectEnums } from '../probes/json-check.js';
import type { RecordingHeader } from './format.js';

/** Numbers in text form: ISO 8601 times, hexadecimal addresses (stack frames). A decimal string (an argv `700`) is not kept: it may be anything. */
const NUMERIC = /^(?:0x[0-9a-f]{1,16}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))$/i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?::\d{1,3}(?:\.\d{1,3}){3})?$/i;
/** The codec's own enumerations (src/catalogue/codec.ts), outside any probe's schema. */
const CODEC_KEPT = /^(?:time|probes\.[^.]+\.state|sinks\.[^.]+\.state)$/;

export class Pseudonyms {
  private readonly map = new Map<string, string>();
  private n = 0;
  private v4 = 0;
  private v6 = 0;

  /** The pseudonym of `s` in this slice (the same one every time). */
  of(s: string): string {
    if (s === '') return s;
    let p = this.map.get(s);
    if (p !== undefined) return p;
    if (IPV4.test(s)) {
      const k = ++this.v4;
      p = `198.${18 + ((k >> 16) & 1)}.${(k >> 8) & 255}.${k & 255}`;
    } else if (IPV6.test(s) && s.includes(':')) p = `2001:db8::${(++this.v6).toString(16)}`;
    else if (s.startsWith('/')) p = `/anon-${++this.n}`;
    else p = `anon-${++this.n}`;
    this.map.set(s, p);
    return p;
  }

  get size(): number {
    return this.map.size;
  }
}

/** Is the string at `path` kept (an enumeration, the codec's, or a number in text)? */
function kept(path: string, s: string, enums: ReadonlySet<string>): boolean {
  return enums.has(path) || CODEC_KEPT.test(path) || NUMERIC.test(s);
}

function walk(v: unknown, path: string, enums: ReadonlySet<string>, names: Pseudonyms): unknown {
  if (typeof v === 'string') return kept(path, v, enums) ? v : names.of(v);
  if (v === null || typeof v !== 'object') return v; // numbers, booleans, null: unchanged
  if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, enums, names));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = walk(x, path ? `${path}.${k}` : k, enums, names);
  return out;
}

/**
 * A record's line (parsed and checked: checkRecord in src/replay/validate.ts) with every string
 * but the fixed ones replaced by its pseudonym. The enumerations are found by running every
 * spec's fromJson over the line (it passed them already, when the record was checked).
 */
export function anonymizeLine(cat: Catalogue, line: JsonLine, names: Pseudonyms): JsonLine {
  const enums = collectEnums(() => {
    for (const spec of cat) spec.fromJson(line);
  });
  return walk(line, '', enums, names) as JsonLine;
}

/** A slice's header: the host a pseudonym, the boot id dropped; the kernel release, CPUs and times stay. */
export function anonymizeHeader(h: RecordingHeader, names: Pseudonyms): RecordingHeader {
  return { ...h, host: names.of(h.host), boot_id: null };
}
