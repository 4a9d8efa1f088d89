// A struct's layout as a BPF object's BTF records it, read through bpftool's JSON dump
// (`bpftool -j btf dump file OBJ`). Reading an object file needs no root and no BPF.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface BtfMember {
  /** Byte offset in the struct. */
  offset: number;
  /** Byte size (arrays: element size × elements). */
  size: number;
  /** Array dimensions, outermost first (char a[20][128]: [20, 128]); [] for a non-array. */
  dims: number[];
}

export interface BtfStruct {
  size: number;
  /** In declaration order. */
  members: Map<string, BtfMember>;
}

interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
}

/** As the Makefile finds it: on PATH, else Debian's /usr/sbin/bpftool (not on a user's PATH). */
function bpftool(): string {
  if (process.env.BPFTOOL) return process.env.BPFTOOL;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(path.join(dir, 'bpftool'))) return 'bpftool';
  return '/usr/sbin/bpftool';
}

const cache = new Map<string, Map<number, BtfType>>();

function btfTypes(obj: string): Map<number, BtfType> {
  const tool = bpftool();
  const hit = cache.get(`${tool}\0${obj}`);
  if (hit) return hit;
  if (!existsSync(obj)) throw new Error(`${obj} not found: run \`make build\` first`);
  let out: string;
  try {
    out = execFileSync(tool, ['-j', 'btf', 'dump', 'file', obj, 'format', 'raw'], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`bpftool not found (${tool}): install it (Debian: apt-get install bpftool) or set BPFTOOL`);
    throw new Error(`${tool} btf dump file ${obj} failed: ${(err.stderr ?? '').trim() || err.message}`);
  }
  const types = new Map<number, BtfType>();
  for (const t of (JSON.parse(out) as { types: BtfType[] }).types) types.set(t.id, t);
  cache.set(`${tool}\0${obj}`, types);
  return types;
}

function typeOf(types: Map<number, BtfType>, id: number, obj: string): BtfType {
  const t = types.get(id);
  if (!t) throw new Error(`${obj}: BTF type id ${id} not in the dump`);
  return t;
}

const MODIFIERS = new Set(['TYPEDEF', 'CONST', 'VOLATILE', 'RESTRICT', 'TYPE_TAG']);

/** Through typedefs and qualifiers. */
function resolve(types: Map<number, BtfType>, id: number, obj: string): BtfType {
  let t = typeOf(types, id, obj);
  while (MODIFIERS.has(t.kind)) t = typeOf(types, t.type_id!, obj);
  return t;
}

function sizeOf(types: Map<number, BtfType>, id: number, obj: string): number {
  const t = resolve(types, id, obj);
  switch (t.kind) {
    case 'INT':
    case 'ENUM':
    case 'ENUM64':
    case 'FLOAT':
    case 'STRUCT':
    case 'UNION':
      return t.size!;
    case 'PTR':
      return 8; // BPF is a 64-bit target
    case 'ARRAY':
      return t.nr_elems! * sizeOf(types, t.type_id!, obj);
    default:
      throw new Error(`${obj}: no size for BTF ${t.kind} '${t.name}' (id ${t.id})`);
  }
}

function dimsOf(types: Map<number, BtfType>, id: number, obj: string): number[] {
  const t = resolve(types, id, obj);
  return t.kind === 'ARRAY' ? [t.nr_elems!, ...dimsOf(types, t.type_id!, obj)] : [];
}

/** struct `name` from the BTF of the object file `obj`; throws when bpftool, the object or the struct is missing. */
export function btfStruct(obj: string, name: string): BtfStruct {
  const types = btfTypes(obj);
  const st = [...types.values()].find((t) => t.kind === 'STRUCT' && t.name === name);
  if (!st) {
    throw new Error(
      `struct ${name} is not in the BTF of ${obj}: BTF only holds types reachable from maps, globals and ` +
        `functions (a ring-buffer record used only through a local pointer needs a BTF-only anchor, see bpf/open.bpf.c)`,
    );
  }
  const members = new Map<string, BtfMember>();
  for (const m of st.members ?? []) {
    if (m.bitfield_size || m.bits_offset % 8 !== 0) throw new Error(`${obj}: struct ${name}: member ${m.name} is a bitfield, not supported here`);
    members.set(m.name, { offset: m.bits_offset / 8, size: sizeOf(types, m.type_id, obj), dims: dimsOf(types, m.type_id, obj) });
  }
  return { size: st.size!, members };
}
