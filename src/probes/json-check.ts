// Schemas of the probes' --json parts, for what is read back (a replayed recording): each spec's
// fromJson checks the part it reads against its schema and throws a SchemaError that says where
// the part is not of its shape ("runqlat.all[3]: not a number"). Only the keys a schema lists
// are checked (a newer perfscope's extra keys pass); strings are checked to be strings — their
// escaping is the replay's (src/replay/validate.ts), done once for the whole record.
//
// Written by hand, and why: a dozen combinators are all it takes, the schema libraries on npm
// (zod, valibot) are not among the project's packages, and the checks must accept exactly what
// the probes' toJson writes — the types next to each spec say what that is.

export class SchemaError extends Error {}

export type Check = (v: unknown, at: string) => void;

function fail(at: string, what: string): never {
  throw new SchemaError(`${at}: ${what}`);
}

export const num: Check = (v, at) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(at, 'not a number');
};

export const str: Check = (v, at) => {
  if (typeof v !== 'string') fail(at, 'not a string');
};

export const bool: Check = (v, at) => {
  if (typeof v !== 'boolean') fail(at, 'not a boolean');
};

/** Where collectEnums is collecting the paths of the enumerations it passes, else null. */
let enumPaths: Set<string> | null = null;

/** One of these strings. */
export function oneOf(values: readonly string[]): Check {
  return (v, at) => {
    if (typeof v !== 'string' || !values.includes(v)) fail(at, `not one of ${values.join(', ')}`);
    enumPaths?.add(at);
  };
}

/**
 * The paths (`tcp[3].kind`, as a SchemaError says them) of every string that `f`'s checks passed
 * as one of an enumeration (oneOf): the strings a schema fixes, which an anonymized slice keeps
 * (src/replay/anonymize.ts) while every other string becomes a pseudonym. A SchemaError from `f`
 * is thrown on.
 */
export function collectEnums(f: () => void): Set<string> {
  const prev = enumPaths;
  const found = new Set<string>();
  enumPaths = found;
  try {
    f();
  } finally {
    enumPaths = prev;
  }
  return found;
}

export function nullable(c: Check): Check {
  return (v, at) => {
    if (v !== null) c(v, at);
  };
}

/** A key that may be absent (or null, as JSON has no undefined). */
export function optional(c: Check): Check {
  return (v, at) => {
    if (v !== undefined && v !== null) c(v, at);
  };
}

export function arrayOf(c: Check): Check {
  return (v, at) => {
    if (!Array.isArray(v)) fail(at, 'not an array');
    for (let i = 0; i < v.length; i++) c(v[i], `${at}[${i}]`);
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object with these keys (others are let through). */
export function obj(shape: Readonly<Record<string, Check>>): Check {
  const keys = Object.entries(shape);
  return (v, at) => {
    if (!isObject(v)) fail(at, 'not an object');
    for (const [k, c] of keys) c(v[k], `${at}.${k}`);
  };
}

/** An object whose every value is of one shape (keyed by CPU, device, interface). */
export function recordOf(c: Check): Check {
  return (v, at) => {
    if (!isObject(v)) fail(at, 'not an object');
    for (const k of Object.keys(v)) c(v[k], `${at}.${k}`);
  };
}

/** An object whose listed keys are all numbers. */
export function numbers(...keys: readonly string[]): Check {
  return obj(Object.fromEntries(keys.map((k) => [k, num])));
}

/**
 * A probe's part of a line for its fromJson: null when absent (the probe was not running), the
 * value as T when it passes `c`, a SchemaError (thrown) when it does not.
 */
export function checked<T>(v: unknown, c: Check, at: string): T | null {
  if (v === undefined || v === null) return null;
  c(v, at);
  return v as T;
}

/** A GNU build-id in lowercase hex (1 to 64 bytes), as StackFrame.build_id holds it. */
const buildId: Check = (v, at) => {
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2}){1,64}$/.test(v)) fail(at, 'not a build-id (hex)');
};

/** A stack row's shape (profile and off-CPU stacks). */
export const STACK_FRAME = obj({
  addr: str,
  sym: nullable(str),
  module: str,
  offset: num,
  inlined: optional(bool),
  via: optional(oneOf(['regs', 'cfi', 'fp', 'fp-corrupt-cfi', 'fp-pending'])),
  build_id: optional(buildId),
});
export const STACK_ROW_SHAPE = { pid: num, tgid: num, comm: str, frames: arrayOf(STACK_FRAME), user_frames: num, truncated: optional(bool) };
