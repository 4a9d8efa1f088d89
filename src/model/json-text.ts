// An object's JSON text, made once: a feed's events are measured by their JSON size when an
// interval is sampled (its byte cap, src/probes/feed.ts), and the same text is what the --json
// writer and the recorder write (src/catalogue/codec.ts). Kept beside the object, not in it (a
// WeakMap), so the object stays what it was and its text goes with it. Only for objects that are
// never changed once made (a decoded event): the writer takes a remembered text as it is.
const texts = new WeakMap<object, string>();

/** JSON.stringify(v), remembered for the object v (undefined, as JSON.stringify gives it, is not). */
export function rememberJson(v: object): string | undefined {
  const hit = texts.get(v);
  if (hit !== undefined) return hit;
  const t = JSON.stringify(v);
  if (t !== undefined) texts.set(v, t);
  return t;
}

/** The text rememberJson made for v, or undefined. */
export function rememberedJson(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? texts.get(v) : undefined;
}
