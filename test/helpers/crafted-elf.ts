// Crafted copies of a real shared library, for the symbolizer's parser tests: a 1 GiB build-id
// note (sparse), a million sections by extended numbering (sparse), random bytes over every
// .debug_ section, and a stripped copy without build-id whose .gnu_debuglink names a sparse file
// of the largest size the file system takes. Each still loads (dlopen reads no section).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Section {
  name: string;
  /** File offset of its header. */
  hdr: number;
  type: number;
  off: number;
  size: number;
}

/** The section headers of an ELF64 little-endian file. */
export function sections(buf: Buffer): Section[] {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const entsize = buf.readUInt16LE(0x3a);
  const n = buf.readUInt16LE(0x3c);
  const strndx = buf.readUInt16LE(0x3e);
  const hdr = (i: number) => shoff + i * entsize;
  const strOff = Number(buf.readBigUInt64LE(hdr(strndx) + 0x18));
  const out: Section[] = [];
  for (let i = 0; i < n; i++) {
    const h = hdr(i);
    const nameOff = strOff + buf.readUInt32LE(h);
    const name = buf.toString('latin1', nameOff, buf.indexOf(0, nameOff));
    out.push({ name, hdr: h, type: buf.readUInt32LE(h + 4), off: Number(buf.readBigUInt64LE(h + 0x18)), size: Number(buf.readBigUInt64LE(h + 0x20)) });
  }
  return out;
}

/** A sparse file of the largest size this file system takes, at most 8 EiB. */
export function sparseHuge(file: string): number {
  const fd = openSync(file, 'w');
  try {
    for (const size of [2 ** 63 - 2 ** 12, 2 ** 60, 2 ** 50, 2 ** 44 - 2 ** 12, 2 ** 40, 2 ** 36]) {
      try {
        ftruncateSync(fd, size);
        return size;
      } catch {
        // too large for this file system: a smaller one
      }
    }
  } finally {
    closeSync(fd);
  }
  throw new Error('no sparse file');
}

function extend(file: string, size: number): void {
  const fd = openSync(file, 'r+');
  ftruncateSync(fd, size);
  closeSync(fd);
}

/** The four crafted copies of LIB (built from LIB_SRC with -g) in DIR. */
export function craftLibs(dir: string, lib: string, libSrc: string) {
  const image = readFileSync(lib);
  const secs = sections(image);
  const out = { notes: path.join(dir, 'notes.so'), shnum: path.join(dir, 'shnum.so'), dwarf: path.join(dir, 'dwarf.so'), debuglink: '' };
  {
    const b = Buffer.from(image);
    const note = secs.find((s) => s.name === '.note.gnu.build-id')!;
    b.writeBigUInt64LE(0x40000000n, note.hdr + 0x20);
    writeFileSync(out.notes, b);
    extend(out.notes, 0x40000000 + note.off + 4096);
  }
  {
    const b = Buffer.from(image);
    b.writeUInt16LE(0, 0x3c);
    b.writeBigUInt64LE(1_000_000n, Number(b.readBigUInt64LE(0x28)) + 0x20);
    writeFileSync(out.shnum, b);
    extend(out.shnum, Number(b.readBigUInt64LE(0x28)) + 64 * 1_000_001);
  }
  {
    const b = Buffer.from(image);
    for (const s of secs) if (s.name.startsWith('.debug_')) randomBytes(s.size).copy(b, s.off);
    writeFileSync(out.dwarf, b);
  }
  {
    const d = path.join(dir, 'dl');
    mkdirSync(d, { recursive: true });
    out.debuglink = path.join(d, 'libdl.so');
    const nobid = path.join(d, 'nobid.so');
    execFileSync('cc', ['-shared', '-fPIC', '-O0', '-g', '-fno-omit-frame-pointer', '-Wl,--build-id=none', '-o', nobid, libSrc]);
    execFileSync('strip', ['-o', out.debuglink, nobid]);
    const huge = path.join(d, 'huge.debug');
    writeFileSync(huge, 'x'); // objcopy reads it for its CRC: made huge only after
    execFileSync('objcopy', [`--add-gnu-debuglink=${huge}`, out.debuglink], { cwd: d });
    sparseHuge(huge);
  }
  return out;
}
