// The addon's unwinder (native/symbolize.cc, Engine::Unwind) on stacks that are other processes'
// memory, so anything: random bytes, random registers, frame pointers that loop. It must end,
// within its depth bound, with as many `via` as addresses, and never read outside the copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Symbolizer } from '../../src/stacks/symbolizer.js';

/** The start of an executable file mapping of this process (real code, with CFI). */
function codeAddress(): bigint {
  const line = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .find((l) => / r-xp .*\/.*node/.test(l) || / r-xp .*libc\.so/.test(l));
  return BigInt(`0x${line!.split('-')[0]}`);
}

describe('unwinding a copied user stack', () => {
  let sym: Symbolizer;
  let handle: number;
  beforeAll(() => {
    sym = new Symbolizer();
    handle = sym.snapshot(process.pid);
  });
  afterAll(() => {
    sym.release(handle);
  });

  it('random stack bytes and registers: it ends within 127 frames, each with how it was found', () => {
    const code = codeAddress();
    for (let i = 0; i < 1000; i++) {
      const stack = randomBytes(Math.floor(Math.random() * 8192));
      const sp = 0x7ffd00000000n + BigInt(i * 64);
      // Half the time an instruction inside real code (its CFI rows are used), else anything.
      const ip = i % 2 ? code + BigInt(Math.floor(Math.random() * 0x100000)) : randomBytes(8).readBigUInt64LE();
      const bp = i % 3 ? sp + BigInt(Math.floor(Math.random() * stack.length)) : randomBytes(8).readBigUInt64LE();
      const u = sym.unwind(handle, { ip, sp, bp }, stack);
      expect(u.addrs.length).toBeLessThanOrEqual(127);
      expect(u.via.length).toBe(u.addrs.length);
      expect([0, 1, 2, 3]).toContain(u.end);
      if (ip !== 0n) expect(u.addrs[0]).toBe(ip);
    }
  });

  it('frame pointers that point at themselves: it stops at once, bad data', () => {
    const sp = 0x7ffd00001000n;
    const stack = Buffer.alloc(64);
    stack.writeBigUInt64LE(sp, 0); // [bp] = bp: a loop
    stack.writeBigUInt64LE(0x1234n, 8); // a return address in no mapping
    const u = sym.unwind(handle, { ip: 0x1000n, sp, bp: sp }, stack);
    expect(u.addrs.length).toBeLessThanOrEqual(3);
    expect(u.end).toBe(3);
  });

  it('a frame pointer outside the copy is never read', () => {
    const sp = 0x7ffd00002000n;
    const u = sym.unwind(handle, { ip: 0x1000n, sp, bp: sp - 16n }, Buffer.alloc(256, 0xff));
    expect([...u.addrs]).toEqual([0x1000n]);
    expect(u.end).toBe(3);
  });
});
