#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS PERFSCOPE_NODE_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} MALLOC_ARENA_MAX=1 node --single-threaded-gc
// Launcher: the program is the bundle whose entry is dist/perfscope.js (scripts/bundle.mjs,
// built by `make build` / ./dev start, and shipped as it is in the npm package).
//
// The first line starts Node with what must be set before it starts, in the same process (env
// sets the variable and execs node: no second start): MALLOC_ARENA_MAX=1 (glibc reads it at its
// first malloc; one arena instead of one per thread: ~30 MiB less RSS at rest) and V8's
// --single-threaded-gc (no background GC threads: ~12 % less CPU at rest; Node refuses it in
// NODE_OPTIONS, and setting it from JavaScript after V8 has started does not remove the threads).
// It also moves NODE_EXTRA_CA_CERTS aside (to PERFSCOPE_NODE_EXTRA_CA_CERTS): Node loads that file
// at every start, 60–80 ms with Debian's whole bundle, and only --connect and fleet's TLS clients
// need it; they add it to Node's roots when they connect (src/cli/cli.ts, extraCa).
// `env -S` is GNU coreutils 8.30+ and busybox; `node bin/perfscope.js` works too, without them.
// See docs/performance.md, "The launcher".
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/perfscope.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('perfscope: not built yet: run ./dev start (or make build) first\n');
  process.exit(1);
}
const { main } = await import(entry);
await main(process.argv.slice(2));
