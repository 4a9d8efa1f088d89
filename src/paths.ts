// Where perfscope's own files are. Every module that holds this code sits one level below the
// package root: src/paths.ts (tests, run from the sources), dist/paths.js (tsc's output, the
// bench) and dist/perfscope-app.js (the bundle, what bin/perfscope.js and the npm package run).
// Found from there: package.json, build/perfscope.node, build/bpf/<name>.bpf.o.
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));
