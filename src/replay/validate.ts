// A replayed record is untrusted input: the file may come from anyone, and its CRCs only say that
// it is what its writer wrote. Before a record reaches a sink (the screen, replay --json) it is
// parsed, made safe and checked here:
//   - it must be JSON (a parse error says so in a few words: V8's message quotes the record);
//   - it must be an object, nested at most MAX_DEPTH deep;
//   - every string in it (keys too) is escaped exactly as live strings are escaped where they
//     are decoded (escapeText, src/probes/strings.ts: C0, DEL, C1, bidi and format characters,
//     lone surrogates; text that is escaped already stays as it is), so that replay --json and
//     the screen see what live --json and the live screen would;
//   - every probe's part is checked against that probe's schema (its spec's fromJson, see
//     src/probes/json-check.ts): numbers are numbers, strings strings, arrays arrays.
// A record that fails is skipped, and counted (loadRecording says how many, in one line).
import type { Catalogue } from '../catalogue/catalogue.js';
import type { JsonLine } from '../probes/types.js';
import { escapeText } from '../probes/strings.js';

/** Deeper nesting than any probe's part has (profile frames: 5 levels) is not a record. */
export const MAX_DEPTH = 32;

export type Checked = { readonly ok: true; readonly line: JsonLine } | { readonly ok: false; readonly why: string };

class BadRecord extends Error {}

/** `v` with every string escaped (keys too), or a BadRecord (too deep, a number out of range). */
function sanitize(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return escapeText(v);
  if (typeof v === 'number') {
    // JSON.parse gives ±Infinity for a number beyond the double range (1e999).
    if (!Number.isFinite(v)) throw new BadRecord('a number out of range');
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) throw new BadRecord(`nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = sanitize(v[i], depth + 1);
    return v;
  }
  const o = v as Record<string, unknown>;
  let renamed = false;
  for (const k of Object.keys(o)) if (escapeText(k) !== k) renamed = true;
  if (!renamed) {
    for (const k of Object.keys(o)) o[k] = sanitize(o[k], depth + 1);
    return o;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[escapeText(k)] = sanitize(o[k], depth + 1);
  return out;
}

/** A record's line parsed, escaped and checked against every probe's schema. */
export function checkRecord(cat: Catalogue, text: string): Checked {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, why: 'not a JSON object' };
  let line: JsonLine;
  try {
    line = sanitize(v, 0) as JsonLine;
  } catch (e) {
    if (e instanceof BadRecord) return { ok: false, why: e.message };
    throw e;
  }
  for (const spec of cat) {
    try {
      spec.fromJson(line);
    } catch (e) {
      // A SchemaError says where ("runqlat.all[3]: not a number"); anything else a spec throws on
      // a part not of its shape is the same verdict, said more vaguely.
      const m = e instanceof Error ? e.message.split('\n')[0].slice(0, 200) : 'not of its shape';
      return { ok: false, why: escapeText(m) };
    }
  }
  return { ok: true, line };
}
