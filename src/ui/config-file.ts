// The saved configuration (as htop's htoprc and btop's btop.conf): the interval, the probes, the
// layout preset, the panes shown, each table's sort and the mouse setting, read on start and
// written on quit. $XDG_CONFIG_HOME/perfscope/perfscope.conf (~/.config/... without it) or
// --config FILE. YAML, read and written by the `yaml` package (a well-kept parser: quoting and
// escaping are its, not hand-written), then checked field by field here.
// - Missing: the defaults; it is created on quit.
// - Malformed, or written by a newer perfscope (`version` above CONFIG_VERSION): one line on the
//   screen's status line, the defaults are used, and the file is left exactly as it was (not
//   written on quit).
// - Read-only (no write bit, or a read-only file system), or --no-save: read, never written.
// The command line wins over the file (-i, --probes, --no-mouse).
// It lives with the screen (src/ui/) because only the screen uses it, and the `yaml` package
// then loads with the screen's chunk (cli.ts imports this module dynamically): a --json run
// never loads it.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { SortKey } from '../views/view.js';

export const CONFIG_VERSION = 1;
/** A configuration larger than this is not one perfscope wrote: refused (bounded read). */
export const CONFIG_MAX_BYTES = 64 * 1024;

export interface Config {
  readonly intervalS?: number;
  readonly probes?: readonly string[];
  readonly preset?: string;
  readonly hidden?: readonly string[];
  readonly sort?: Readonly<Record<string, SortKey>>;
  readonly mouse?: boolean;
}

export type ConfigRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly config: Config; readonly readOnly: boolean }
  /** Malformed or newer: `message` is the one line to show; the file is not to be written. */
  | { readonly kind: 'bad'; readonly message: string };

/** The configuration file's path: --config, else $XDG_CONFIG_HOME (absolute only, as the spec says), else ~/.config. */
export function configPath(flag: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg?.startsWith('/') ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'perfscope', 'perfscope.conf');
}

const isName = (x: unknown): x is string => typeof x === 'string' && /^[A-Za-z0-9_%.\- ]{1,32}$/.test(x);

/** A configuration's text checked field by field: the config, or why not (one line). */
export function parseConfig(text: string): { config: Config } | { error: string } {
  let doc: unknown;
  try {
    doc = parse(text, { strict: true, uniqueKeys: true, maxAliasCount: 0, prettyErrors: false });
  } catch (e) {
    return { error: `not valid YAML (${(e as Error).message.split('\n')[0]})` };
  }
  if (doc === null || doc === undefined) return { config: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { error: 'not a set of "key: value" lines' };
  const d = doc as Record<string, unknown>;
  const version = d.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return { error: 'no valid "version:" line' };
  if (version > CONFIG_VERSION) return { error: `written by a newer perfscope (version ${version}; this one reads ${CONFIG_VERSION})` };
  const out: { -readonly [K in keyof Config]: Config[K] } = {};
  for (const [k, v] of Object.entries(d)) {
    switch (k) {
      case 'version':
        break;
      case 'interval':
        if (typeof v !== 'number' || !(v >= 0.1 && v <= 3600)) return { error: 'interval: a number of seconds between 0.1 and 3600' };
        out.intervalS = v;
        break;
      case 'probes':
        if (!Array.isArray(v) || !v.every(isName) || v.length > 64) return { error: 'probes: a list of probe names' };
        out.probes = v;
        break;
      case 'preset':
        if (!isName(v)) return { error: 'preset: a layout name' };
        out.preset = v;
        break;
      case 'hidden':
        if (!Array.isArray(v) || !v.every(isName) || v.length > 64) return { error: 'hidden: a list of pane names' };
        out.hidden = v;
        break;
      case 'sort': {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: 'sort: pane: { column: NAME, descending: true|false }' };
        const sort: Record<string, SortKey> = {};
        for (const [pane, key] of Object.entries(v as Record<string, unknown>)) {
          const kk = key as Record<string, unknown> | null;
          if (!isName(pane) || typeof kk !== 'object' || kk === null || !isName(kk.column) || typeof kk.descending !== 'boolean')
            return { error: `sort: ${isName(pane) ? pane : 'a pane'}: { column: NAME, descending: true|false }` };
          sort[pane] = { column: kk.column, descending: kk.descending };
        }
        out.sort = sort;
        break;
      }
      case 'mouse':
        if (typeof v !== 'boolean') return { error: 'mouse: true or false' };
        out.mouse = v;
        break;
      default:
        return { error: `unknown setting "${isName(k) ? k : '?'}"` };
    }
  }
  return { config: out };
}

/** Read the configuration file (bounded), never throwing. */
export function readConfig(path: string): ConfigRead {
  let text: string;
  let readOnly = false;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { kind: 'bad', message: `${path}: not a regular file; using the defaults` };
    if (st.size > CONFIG_MAX_BYTES)
      return { kind: 'bad', message: `${path}: larger than ${CONFIG_MAX_BYTES / 1024} KiB; using the defaults, file left as it is` };
    // No write bit for anyone: read-only, as the user meant it (root could write it all the same).
    readOnly = (st.mode & 0o222) === 0;
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'bad', message: `${path}: cannot read (${code ?? (e as Error).message}); using the defaults` };
  }
  const r = parseConfig(text);
  if ('error' in r) return { kind: 'bad', message: `${path}: ${r.error}; using the defaults, file left as it is` };
  return { kind: 'ok', config: r.config, readOnly };
}

/** The file's text for a configuration. */
export function configText(c: Config): string {
  const doc: Record<string, unknown> = { version: CONFIG_VERSION };
  if (c.intervalS !== undefined) doc.interval = c.intervalS;
  if (c.probes) doc.probes = [...c.probes];
  if (c.preset) doc.preset = c.preset;
  if (c.hidden) doc.hidden = [...c.hidden];
  if (c.sort) doc.sort = Object.fromEntries(Object.entries(c.sort).map(([k, v]) => [k, { column: v.column, descending: v.descending }]));
  if (c.mouse !== undefined) doc.mouse = c.mouse;
  return `# perfscope configuration, written when perfscope quits (perfscope --no-save leaves it alone).\n${stringify(doc)}`;
}

/**
 * Write the configuration (a temporary file renamed over it, mode 0600, the directory made):
 * null when written, else why not (one line; EROFS and EACCES are a read-only place).
 */
export function writeConfig(path: string, c: Config): string | null {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, configText(c), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
    return null;
  } catch (e) {
    rmSync(tmp, { force: true });
    return `${path}: not saved (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}
