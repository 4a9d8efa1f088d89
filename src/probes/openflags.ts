// open(2) flags -> text, e.g. 'O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC'. Linux x86_64/arm64 values
// (include/uapi/asm-generic/fcntl.h). Bits with no name are shown as one hex number at the end.
const O_ACCMODE = 0o3;
const ACCESS = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'];
const __O_SYNC = 0o4000000;
const __O_TMPFILE = 0o20000000;
const O_DSYNC = 0o10000;
const O_DIRECTORY = 0o200000;

/** Named bits in the order strace prints them. O_SYNC and O_TMPFILE are composites (below). */
const BITS: readonly [number, string][] = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [O_DSYNC, 'O_DSYNC'],
  [0o20000, 'O_ASYNC'],
  [0o40000, 'O_DIRECT'],
  [0o100000, 'O_LARGEFILE'],
  [O_DIRECTORY, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'],
  [0o2000000, 'O_CLOEXEC'],
  [__O_SYNC, 'O_SYNC'],
  [0o10000000, 'O_PATH'],
  [__O_TMPFILE, 'O_TMPFILE'],
];

/** Flags as text. Accepts a number or a bigint (openat2's open_how.flags is 64-bit). */
export function openFlagsText(flags: number | bigint): string {
  const big = BigInt(flags);
  let f = Number(big & 0xffffffffn);
  const high = big >> 32n;
  const parts = [ACCESS[f & O_ACCMODE]];
  f &= ~O_ACCMODE;
  // O_SYNC is __O_SYNC|O_DSYNC, O_TMPFILE is __O_TMPFILE|O_DIRECTORY: print only the composite.
  if (f & __O_SYNC) f &= ~O_DSYNC;
  if (f & __O_TMPFILE) f &= ~O_DIRECTORY;
  for (const [bit, name] of BITS) {
    if (f & bit) {
      parts.push(name);
      f &= ~bit;
    }
  }
  const rest = BigInt(f >>> 0) | (high << 32n);
  if (rest) parts.push('0x' + rest.toString(16));
  return parts.join('|');
}
