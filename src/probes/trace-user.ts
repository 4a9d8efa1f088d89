// User-space targets of the trace probe: `u:LIB:FUNC[:argN]` (a uprobe on a function's entry),
// `ur:LIB:FUNC[:ret|:lat]` (a uretprobe: its return value, or the time from entry to return) and
// `usdt:PATH:PROVIDER:NAME[:argN]` (a USDT probe), turned into what to attach (a file, an offset
// in it, a USDT provider and name), or into one line saying why not.
//
// LIB is `c` (libc), a library's name (`pthread`, `libpthread.so.0`), a program's name on PATH,
// or a path. With -p PID it is looked up in that process's own maps, and a path is opened through
// /proc/PID/root (its mount namespace: a binary that exists only in a container is named as the
// container sees it). Function symbols and USDT notes are read with libelf in perfscope's process
// (native/uprobe.cc; docs/uprobes.md says why it is not the sandboxed parser).
//
// IFUNCs (glibc's strlen, memcpy, ...): the symbol is a resolver that runs once; the calls land in
// the implementation it chose for this CPU. A probe on the symbol counts (nearly) nothing. So an
// IFUNC is resolved as BCC's strlen example does: the same library, already loaded in
// perfscope's process (checked by device and inode), asked with dlsym(), which returns the
// implementation; its address is mapped back to a file offset (and a name, when the file has
// .symtab). The CPU is the host's, so the choice is the traced processes' too (unless one runs
// with GLIBC_TUNABLES that change it).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Native, NativeElfFunction, NativeElfFunctions } from '../bpf/addon.js';
import { escapeText } from './strings.js';

/** What reads ELF files here (native/uprobe.cc): the addon's functions. */
export type ElfReader = Pick<Native, 'elfFunctions' | 'usdtNotes' | 'ifuncTarget'>;
let reader: (() => ElfReader) | null = null;

/**
 * The ELF reader is handed in by the layers that load the addon (the probe implementations and
 * the command line), so that the specs, which the store and the screen import, never reach it.
 */
export function registerElfReader(r: () => ElfReader): void {
  reader = r;
}

function addon(): ElfReader {
  if (!reader) throw new UserArgError('user-space probes need the native addon (not loaded in this process)');
  try {
    return reader();
  } catch (e) {
    throw new UserArgError(`user-space probes need the native addon: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** Functions one pattern may take (each is a slot of the trace probe: bpf/trace.h TRACE_MAX_SLOTS). */
export const UPROBE_MAX_FUNCS = 256;
/** x86-64: six arguments in registers (bpf/trace.bpf.c). */
export const UPROBE_MAX_ARG = 6;
/** USDT probes have at most 12 arguments (libbpf's BPF_USDT_MAX_ARG_CNT). */
export const USDT_MAX_ARG = 12;

export type UserKind = 'uprobe' | 'uretprobe' | 'usdt';

/** What to attach for one user-space target. */
export interface UserProbe {
  readonly kind: UserKind;
  /** The file, as opened (through /proc/PID/root with -p). */
  readonly path: string;
  /** uprobe/uretprobe: the file offset; the function's name (the IFUNC's implementation when resolved). */
  readonly offset: number;
  readonly func: string;
  /** usdt: provider and name. */
  readonly provider: string;
  readonly probe: string;
  /** 'arg' (index in argIndex), 'ret', 'lat', or null: a count only. */
  readonly value: 'arg' | 'ret' | 'lat' | null;
  /** 1-based (BCC's arg1 is the first argument). */
  readonly argIndex: number;
  /** Set when FUNC was an IFUNC: the implementation it resolved to. */
  readonly ifunc: string | null;
  /** The file's identity when resolved ("dev:ino"): a later stat that differs means replaced or deleted. */
  readonly fileId: string;
  /** --print's `:str`: the value (an argument, a return value) is a pointer to a string in the process, read (bounded). */
  readonly str?: boolean;
}

/** A file's identity ("dev:ino"), or null when it is gone. */
export function fileIdOf(file: string): string | null {
  try {
    const st = statSync(file);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

export class UserArgError extends Error {
  override readonly name = 'UserArgError';
}

/** What the user typed, for messages: escaped and at most 200 characters. */
function shown(s: string): string {
  const e = escapeText(s);
  return e.length > 200 ? `${e.slice(0, 200)}…` : e;
}

/** Printable ASCII but ':' (the separator) and space: a library's name or a path. */
const LIB_RE = /^[\x21-\x39\x3b-\x7e]{1,4096}$/;
const FUNC_GLOB_RE = /^[A-Za-z0-9_.$@*?]+$/;
/** Names from the file that a wildcard may take (and so show): nothing to escape. */
const SAFE_NAME_RE = /^[A-Za-z0-9_.$@]{1,256}$/;
const USDT_NAME_RE = /^[A-Za-z0-9_]+$/;
const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

/** Is this user-space syntax (u:, ur:, usdt:)? */
export function isUserSpec(text: string): boolean {
  return /^(u|ur|usdt):/.test(text.trim());
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The files a process maps (paths as it sees them), from /proc/PID/maps. */
function mappedFiles(pid: number, procRoot = '/proc'): string[] {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/maps`, 'utf8');
  } catch (e) {
    throw new UserArgError(`cannot read the maps of process ${pid}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\S+ \S+ \S+ \S+ \S+\s+(\/.*)$/.exec(line);
    if (m && !m[1].endsWith(' (deleted)')) out.add(m[1]);
  }
  return [...out];
}

/** Does a file name stand for LIB ("c" -> libc.so.6, "pthread" -> libpthread.so.0, or the name itself)? */
function namesLib(base: string, lib: string): boolean {
  return base === lib || base.startsWith(`lib${lib}.so`) || base.startsWith(`${lib}.so`) || base.startsWith(`lib${lib}-`);
}

/**
 * LIB as typed -> the file to open. With a pid: its maps and its root; else the library
 * directories, then PATH.
 */
export function resolveLib(lib: string, pid: number | null): string {
  if (!LIB_RE.test(lib)) throw new UserArgError(`bad library '${shown(lib)}': a name or a path, in printable ASCII without ':' or spaces`);
  if (pid !== null) {
    const root = `/proc/${pid}/root`;
    if (lib.includes('/')) {
      const p = root + path.resolve('/', lib);
      if (!isFile(p)) throw new UserArgError(`no file ${shown(lib)} in the mount namespace of process ${pid}`);
      return p;
    }
    const hits = mappedFiles(pid).filter((f) => namesLib(path.basename(f), lib));
    if (hits.length === 0) throw new UserArgError(`process ${pid} maps no library or program '${shown(lib)}'`);
    return root + hits[0];
  }
  if (lib.includes('/')) {
    if (!isFile(lib)) throw new UserArgError(`no file ${shown(lib)}`);
    return lib;
  }
  for (const d of LIB_DIRS) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    // libc.so.6 before libc.so (a linker script), the shortest soname first.
    const hit = names
      .filter((n) => namesLib(n, lib) && n.includes('.so'))
      .sort((a, b) => Number(/\.so\.\d/.test(b)) - Number(/\.so\.\d/.test(a)) || a.length - b.length)
      .find((n) => isFile(path.join(d, n)));
    if (hit) return path.join(d, hit);
  }
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (d && isFile(path.join(d, lib))) return path.join(d, lib);
  }
  throw new UserArgError(`no library or program '${shown(lib)}' (looked in ${LIB_DIRS.join(', ')} and PATH; give a path)`);
}

function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.$]/g, (c) => `\\${c}`).replace(/[*?]/g, (c) => (c === '*' ? '.*' : '.'))}$`);
}

/** Functions of a file, by name (one each: the last seen, .symtab after .dynsym), read once per (path, inode, mtime). */
const funcCache = new Map<string, { key: string; elf: NativeElfFunctions; byName: Map<string, NativeElfFunction> }>();

function functionsOf(file: string): { elf: NativeElfFunctions; byName: Map<string, NativeElfFunction> } {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch (e) {
    throw new UserArgError(`cannot read ${shown(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const key = `${st.dev}:${st.ino}:${st.mtimeMs}`;
  const c = funcCache.get(file);
  if (c && c.key === key) return c;
  let elf: NativeElfFunctions;
  try {
    elf = addon().elfFunctions(file);
  } catch (e) {
    throw new UserArgError(`cannot read the functions of ${shown(file)}: ${shown((e as Error).message)}`);
  }
  const byName = new Map<string, NativeElfFunction>();
  for (const f of elf.funcs) byName.set(f.name, f);
  const v = { key, elf, byName };
  if (funcCache.size > 32) funcCache.clear();
  funcCache.set(file, v);
  return v;
}

/** The path perfscope's own process maps the same file (device and inode) under, or null. */
function loadedHere(file: string): string | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    return null;
  }
  for (const p of mappedFiles(process.pid)) {
    try {
      const s = statSync(p);
      if (s.dev === st.dev && s.ino === st.ino) return p;
    } catch {
      // gone: not it
    }
  }
  return null;
}

/** An IFUNC -> the offset and name of the implementation it resolves to here. */
function resolveIfunc(file: string, f: NativeElfFunction, elf: NativeElfFunctions): { offset: number; name: string } {
  const here = loadedHere(file);
  const vaddr = here === null ? null : addon().ifuncTarget(here, f.name);
  if (vaddr === null) {
    throw new UserArgError(
      `${shown(f.name)} of ${shown(file)} is an IFUNC (a resolver: its calls run in the implementation it picks) and perfscope cannot resolve it (the library is not loaded in perfscope); name the implementation instead`,
    );
  }
  const seg = elf.segs.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  if (!seg) throw new UserArgError(`the IFUNC ${shown(f.name)} of ${shown(file)} resolves outside the file`);
  const impl = elf.funcs.find((g) => g.vaddr === vaddr && !g.ifunc);
  return { offset: vaddr - seg.vaddr + seg.offset, name: impl ? impl.name : `${f.name}@0x${vaddr.toString(16)}` };
}

function argIndex(text: string, max: number, what: string): number {
  const m = /^arg(\d{1,3})$/.exec(text);
  if (!m) throw new UserArgError(`bad value '${shown(text)}' for ${what}: expected arg1..arg${max}`);
  const n = Number(m[1]);
  if (n < 1 || n > max) throw new UserArgError(`argument index ${n} out of range for ${what}: arg1..arg${max}`);
  return n;
}

/** A resolved user-space target: its id (the key in --json and on screen) and what to attach. */
export interface UserTarget {
  readonly id: string;
  /** "u:c:malloc" (the id without its value part). */
  readonly event: string;
  readonly value: string | null;
  readonly user: UserProbe;
  readonly wild: boolean;
}

/**
 * One value as typed -> its targets (a wildcard gives one per function). Throws UserArgError with
 * the line the user sees.
 */
export function resolveUser(text: string, pid: number | null, strings = false): UserTarget[] {
  const t = text.trim();
  const parts = t.split(':');
  const kind = parts[0];
  // A trailing `:str` (--print): the value read as a string (BCC's "%s", bpftrace's str(arg0)).
  const str = parts.length >= 4 && parts[parts.length - 1] === 'str';
  if (str) {
    parts.pop();
    if (!strings) throw new UserArgError(`'${shown(t)}': ':str' (a string) is for --print only`);
    const need = kind === 'usdt' ? 5 : 4;
    if (parts.length !== need) {
      const form = kind === 'usdt' ? 'usdt:PATH:PROVIDER:NAME:argN:str' : kind === 'u' ? 'u:LIB:FUNC:argN:str' : 'ur:LIB:FUNC:ret:str';
      throw new UserArgError(`bad probe '${shown(t)}': ':str' reads a value as a string: expected ${form}`);
    }
    if (kind === 'ur' && parts[3] === 'lat') throw new UserArgError(`bad probe '${shown(t)}': a latency is not a string (ret:str reads the return value)`);
  }
  const withStr = (targets: UserTarget[]): UserTarget[] => (str ? targets.map((u) => ({ ...u, id: `${u.id}:str`, user: { ...u.user, str: true } })) : targets);
  if (kind === 'usdt') return withStr(resolveUsdt(t, parts, pid));
  if (parts.length < 3 || parts.length > 4) {
    throw new UserArgError(`bad probe '${shown(t)}': expected ${kind}:LIB:FUNC${kind === 'u' ? '[:argN]' : '[:ret|:lat]'}`);
  }
  const [, lib, func, val] = parts;
  if (!FUNC_GLOB_RE.test(func)) throw new UserArgError(`bad function '${shown(func)}': letters, digits, _ . $ @ and the wildcards * ?`);
  let value: UserProbe['value'] = null;
  let arg = 0;
  if (val !== undefined) {
    if (kind === 'u') {
      value = 'arg';
      arg = argIndex(val, UPROBE_MAX_ARG, `u:${lib}:${func}`);
    } else if (val === 'ret' || val === 'lat') value = val;
    else throw new UserArgError(`bad value '${shown(val)}' for ur:${shown(lib)}:${shown(func)}: expected ret or lat`);
  }
  const file = resolveLib(lib, pid);
  const { elf, byName } = functionsOf(file);
  const wild = /[*?]/.test(func);
  let names: string[];
  if (wild) {
    const re = globRe(func);
    names = [...byName.keys()].filter((n) => SAFE_NAME_RE.test(n) && re.test(n)).sort();
    if (names.length === 0) throw new UserArgError(`'${shown(t)}' matches no function of ${shown(file)}`);
    if (names.length > UPROBE_MAX_FUNCS) {
      throw new UserArgError(`'${shown(t)}' matches ${names.length} functions of ${shown(file)}; at most ${UPROBE_MAX_FUNCS} can be attached at once`);
    }
  } else {
    if (!byName.has(func)) {
      const how = elf.symtab ? '' : ' (it has no .symtab: only its exported functions are known)';
      throw new UserArgError(`no function ${shown(func)} in ${shown(file)}${how}`);
    }
    names = [func];
  }
  return withStr(
    names.map((name) => {
      const f = byName.get(name)!;
      const r = f.ifunc ? resolveIfunc(file, f, elf) : { offset: f.offset, name };
      const event = `${kind}:${lib}:${name}`;
      return {
        id: val === undefined ? event : `${event}:${val}`,
        event,
        value: val ?? null,
        wild,
        user: {
          kind: kind === 'u' ? 'uprobe' : 'uretprobe',
          path: file,
          offset: r.offset,
          func: r.name,
          provider: '',
          probe: '',
          value,
          argIndex: arg,
          ifunc: f.ifunc ? r.name : null,
          fileId: fileIdOf(file) ?? '',
        },
      };
    }),
  );
}

function resolveUsdt(t: string, parts: string[], pid: number | null): UserTarget[] {
  if (parts.length < 4 || parts.length > 5) throw new UserArgError(`bad probe '${shown(t)}': expected usdt:PATH:PROVIDER:NAME[:argN]`);
  const [, lib, provider, name, val] = parts;
  if (!USDT_NAME_RE.test(provider) || !USDT_NAME_RE.test(name))
    throw new UserArgError(`bad USDT probe '${shown(provider)}:${shown(name)}': letters, digits and _`);
  const file = resolveLib(lib, pid);
  const notes = usdtNotesOf(file);
  const note = notes.find((n) => n.provider === provider && n.name === name);
  if (!note) {
    const some = [...new Set(notes.map((n) => `${n.provider}:${n.name}`))].slice(0, 8);
    throw new UserArgError(
      `no USDT probe ${shown(provider)}:${shown(name)} in ${shown(file)}; ${some.length ? `it has ${some.map(shown).join(', ')}${notes.length > 8 ? ', ...' : ''}` : 'it has none'}`,
    );
  }
  let arg = 0;
  if (val !== undefined) {
    const nargs = note.args.trim() === '' ? 0 : note.args.trim().split(/\s+/).length;
    arg = argIndex(val, Math.min(nargs, USDT_MAX_ARG), `usdt:${lib}:${provider}:${name} (it has ${nargs} argument${nargs === 1 ? '' : 's'})`);
  }
  const event = `usdt:${lib}:${provider}:${name}`;
  return [
    {
      id: val === undefined ? event : `${event}:${val}`,
      event,
      value: val ?? null,
      wild: false,
      user: {
        kind: 'usdt',
        path: file,
        offset: 0,
        func: '',
        provider,
        probe: name,
        value: val === undefined ? null : 'arg',
        argIndex: arg,
        ifunc: null,
        fileId: fileIdOf(file) ?? '',
      },
    },
  ];
}

function usdtNotesOf(file: string) {
  try {
    return addon().usdtNotes(file);
  } catch (e) {
    throw new UserArgError(`cannot read the USDT notes of ${shown(file)}: ${shown((e as Error).message)}`);
  }
}

/** Completions at the prompt for user-space syntax: functions of LIB, USDT probes of PATH. Sorted, at most max. */
export function userCompletions(text: string, max = 200): string[] {
  const parts = text.split(':');
  try {
    if (parts[0] === 'usdt' && parts.length >= 3 && parts.length <= 4) {
      const [, lib] = parts;
      const file = resolveLib(lib, null);
      const all = [...new Set(usdtNotesOf(file).map((n) => `usdt:${lib}:${n.provider}:${n.name}`))];
      return all
        .filter((n) => n.startsWith(text))
        .sort()
        .slice(0, max)
        .map(escapeText);
    }
    if ((parts[0] === 'u' || parts[0] === 'ur') && parts.length === 3) {
      const [kind, lib, prefix] = parts;
      const { byName } = functionsOf(resolveLib(lib, null));
      const out: string[] = [];
      for (const n of byName.keys()) if (n.startsWith(prefix) && SAFE_NAME_RE.test(n)) out.push(`${kind}:${lib}:${n}`);
      return out.sort().slice(0, max);
    }
  } catch {
    return [];
  }
  return [];
}
