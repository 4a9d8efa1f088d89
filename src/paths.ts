// Where perfscope's own files are: the package root, the nearest folder above this module that
// holds perfscope's package.json. This module runs from several depths: src/paths.ts (tests, run
// from the sources), dist/paths.js (tsc's output), build/tsc-bench/src/paths.js (the bench's) and
// dist/perfscope-app.js (the bundle, what bin/perfscope.js and the npm package run).
// Found from there: package.json, build/perfscope.node, build/bpf/<name>.bpf.o.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir + path.sep;
    if (path.dirname(dir) === dir) return path.dirname(here) + path.sep;
  }
}

export const PACKAGE_ROOT = packageRoot();
