#!/usr/bin/env node
// Launcher: the program is the bundle whose entry is dist/perfscope.js (scripts/bundle.mjs,
// built by `make build` / ./dev start, and shipped as it is in the npm package).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/perfscope.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('perfscope: not built yet: run ./dev start (or make build) first\n');
  process.exit(1);
}
const { main } = await import(entry);
await main(process.argv.slice(2));
