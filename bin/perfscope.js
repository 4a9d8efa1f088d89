#!/usr/bin/env node
// Launcher: the compiled entry lives in dist/ (built by `make build` / ./dev start).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(entry)) {
  process.stderr.write('perfscope: not built yet: run ./dev start (or make build) first\n');
  process.exit(1);
}
const { main } = await import(entry);
await main(process.argv.slice(2));
