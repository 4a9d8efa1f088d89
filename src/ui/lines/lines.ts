// A line of text a pane shows, with how it is styled.
export type LineKind = 'heading' | 'text' | 'highlight' | 'dim';
export interface Line {
  readonly text: string;
  readonly kind: LineKind;
}

/** Code points of a string (the panes' text is cut by code point, as safe() leaves it). */
const len = (s: string) => [...s].length;

/**
 * A message shortened to `width` at a word, never mid-word: whole if it fits; else without its
 * asides in parentheses; else its words up to the last that fits, then "…" (a first word longer
 * than the width is cut, the only way it can be shown).
 */
export function shortMessage(text: string, width: number): string {
  if (width <= 0) return '';
  if (len(text) <= width) return text;
  const plain = text
    .replace(/\s*\([^()]*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain && len(plain) <= width) return plain;
  const words = (plain || text).split(' ');
  let out = '';
  for (const w of words) {
    const next = out ? `${out} ${w}` : w;
    if (len(next) + 1 > width) break;
    out = next;
  }
  if (!out) return `${[...text].slice(0, Math.max(0, width - 1)).join('')}…`;
  return `${out.replace(/[\s,;:]+$/, '')}…`;
}

/**
 * Fields joined by `sep`, as many whole fields as fit in `width` (the separator kept between
 * them, a field never cut); a first field longer than the width is cut with "…".
 */
export function fitFields(fields: readonly string[], width: number, sep = '  '): string {
  const parts = fields.filter((f) => f.length > 0);
  let out = '';
  for (const f of parts) {
    const next = out ? `${out}${sep}${f}` : f;
    if (len(next) > width) break;
    out = next;
  }
  if (!out && parts.length) return len(parts[0]) <= width ? parts[0] : `${[...parts[0]].slice(0, Math.max(0, width - 1)).join('')}…`;
  return out;
}
