// The shipped JavaScript: src/cli/cli.ts and everything it imports, Ink, React and zustand included,
// bundled by rolldown into dist/perfscope.js and its chunks dist/perfscope-*.js, which
// bin/perfscope.js loads. Two chunks hold the code: perfscope-app.js (the CLI, the probes, the
// sinks, the store) and perfscope-ui.js (src/ui/ and every package of the screen), which only a
// drawn screen imports: --version, --json, --folded and --listen --no-screen never read it. The
// other .js files are one-line re-exports, one per dynamic import of the sources (a probe's
// implementation, a pane, the screen: perfscope-screen.js). React's development builds are in
// perfscope-react-dev.cjs, read only when NODE_ENV asks for them (see reactDevelopmentAside).
// An installed package needs no node_modules at all. dist/ is one level below the package root,
// as src/paths.ts expects. Why this shape: docs/architecture.md,
// "Decisions that differ from the sketch, and why".
import { rolldown } from 'rolldown';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = path.resolve(root, process.argv[2] ?? 'dist'); // another directory: for comparisons
const REACT_DEV_FILE = 'perfscope-react-dev.cjs';

const INK_DEVTOOLS = '\0ink-devtools';
const REACT_DEV = '\0react-dev:';

/** The screen's chunk (perfscope-ui.js): src/ui/ and the packages; zustand's vanilla store is the store's, not the screen's. */
const isScreen = (id) =>
  id === INK_DEVTOOLS ||
  id.startsWith(REACT_DEV) ||
  /[\\/]src[\\/]ui[\\/]/.test(id) ||
  (/[\\/]node_modules[\\/]/.test(id) &&
    !/[\\/]node_modules[\\/]zustand[\\/]esm[\\/]vanilla\.mjs$/.test(id) &&
    // --web-config's packages (YAML, bcrypt) serve the headless service too, --pprof's encoder a headless run.
    !/[\\/]node_modules[\\/](yaml|bcryptjs|pprof-format)[\\/]/.test(id));

// A warning fails the build (nothing is shipped half-understood), except the report of how long
// plugins took, which says nothing about the output.
const onLog = (level, log, handler) => handler(level === 'warn' && log.code !== 'PLUGIN_TIMINGS' ? 'error' : level, log);

// Ink imports its React DevTools bridge (ink/build/devtools.js, which imports the optional peer
// react-devtools-core and ws) only when DEV=true, and prints a hint when the peer is not
// installed. perfscope does not ship the peer: the bridge is replaced by a module that fails as
// the missing peer does, so DEV=true gives the same hint, and ws stays out of the bundle.
const inkDevtools = {
  name: 'ink-devtools-absent',
  resolveId: {
    filter: { id: /^\.\/devtools\.js$/ },
    handler: (_source, importer) => (importer && /[\\/]ink[\\/]build[\\/]/.test(importer) ? INK_DEVTOOLS : null),
  },
  load: {
    filter: { id: /^\0ink-devtools$/ },
    handler: () => `throw Object.assign(new Error("Cannot find package 'react-devtools-core' imported from ink"), { code: 'ERR_MODULE_NOT_FOUND' });`,
  },
};

// yoga-layout (Ink's layout engine) embeds its WebAssembly as a data: URL and, when a global
// fetch exists, reads it back through fetch(), which loads Node's whole HTTP client (undici) on
// the way to the first frame (~20 ms of CPU). Inside that one module `fetch` is undefined, so it
// takes its other path: it decodes the same bytes itself.
const yogaNoFetch = {
  name: 'yoga-no-fetch',
  transform: {
    filter: { id: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ },
    handler(code, id) {
      if (!code.includes('typeof fetch')) throw new Error(`${id}: no fetch test any more: review the yoga-no-fetch plugin`);
      return `const fetch = undefined;\n${code}`;
    },
  },
};

// Ink's output, widest-line and cli-truncate measure text with string-width, whose first grapheme
// outside ASCII compiles its emoji pattern and east-Asian table (~25 ms of every first frame) and
// which segments every line of box drawing at each frame. They get src/ui/text-width.ts instead:
// string-width itself, with a string of one-cell characters answered by its length. That module's
// own import (and wrap-ansi's, which has its own string-width) resolve as before.
const TEXT_WIDTH = path.join(root, 'src', 'ui', 'text-width.ts');
const widthUsers = new Set();
const oneCellStringWidth = {
  name: 'one-cell-string-width',
  resolveId: {
    filter: { id: /^string-width$/ },
    handler(_source, importer) {
      const m = importer && /[\\/]node_modules[\\/](ink|widest-line|cli-truncate)[\\/]/.exec(importer);
      if (!m) return null;
      widthUsers.add(m[1]);
      return TEXT_WIDTH;
    },
  },
};

// The first Intl.Segmenter made loads ICU's break rules (~12 ms). string-width (both copies),
// slice-ansi and ansi-tokenize each make theirs when their module loads, so every start paid it
// on the way to the first frame, though a screen of one-cell text segments nothing. In those
// modules the segmenter is made at its first segment() instead (they call nothing else on it).
const SEGMENTER_USERS = /[\\/]node_modules[\\/](string-width|wrap-ansi[\\/]node_modules[\\/]string-width|slice-ansi|@alcalzone[\\/]ansi-tokenize)[\\/]/;
const lazySegmenters = new Set();
const lazySegmenter = {
  name: 'lazy-segmenter',
  transform: {
    filter: { id: SEGMENTER_USERS, code: 'new Intl.Segmenter(' },
    handler(code, id) {
      lazySegmenters.add(id);
      return `const __lazySegmenter = (...a) => { let s; return { segment: (t) => (s ??= new Intl.Segmenter(...a)).segment(t) }; };\n${code.replaceAll('new Intl.Segmenter(', '__lazySegmenter(')}`;
    },
  },
};

// React, react-reconciler and scheduler each pick their production or development build by
// NODE_ENV when first required (perfscope sets production unless NODE_ENV is set). The
// development builds are half of the screen's code, compiled at every start for nothing: they
// go to a CommonJS file of their own, which their stand-ins here require() only when picked.
// There they share one module table, so React, the reconciler and the scheduler still see one
// another (one React, as unbundled). `devBuilds` collects them for that file: name → path.
const devBuilds = new Map();
const reactDevelopmentAside = {
  name: 'react-development-aside',
  resolveId: {
    filter: { id: /\.development\.js$/ },
    async handler(source, importer, opts) {
      const r = await this.resolve(source, importer, { ...opts, skipSelf: true });
      const m = r && /[\\/]node_modules[\\/]((react|react-reconciler|scheduler)[\\/]cjs[\\/][^\\/]+\.development\.js)$/.exec(r.id);
      if (!m) return null;
      const name = m[1].split(path.sep).join('/');
      devBuilds.set(name, r.id);
      return REACT_DEV + name;
    },
  },
  load: {
    filter: { id: /^\0react-dev:/ },
    handler: (id) => `module.exports = require(${JSON.stringify(`./${REACT_DEV_FILE}`)})[${JSON.stringify(id.slice(REACT_DEV.length))}];`,
  },
};
// The file itself is required at run time, beside the chunk that requires it.
const reactDevFileExternal = {
  name: 'react-dev-file-external',
  resolveId: { filter: { id: /^\.\/perfscope-react-dev\.cjs$/ }, handler: (source) => ({ id: source, external: true }) },
};

mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir, { withFileTypes: true }).filter((e) => e.isFile() && /^perfscope.*\.c?js$/.test(e.name))) rmSync(path.join(outDir, f.name));

const bundle = await rolldown({
  cwd: root,
  input: { perfscope: 'src/cli/cli.ts' },
  platform: 'node',
  // The chunks import from each other by name (the groups below take modules out of the entry).
  preserveEntrySignatures: 'allow-extension',
  plugins: [inkDevtools, yogaNoFetch, oneCellStringWidth, lazySegmenter, reactDevelopmentAside, reactDevFileExternal],
  logLevel: 'warn',
  onLog,
});
const { output } = await bundle.write({
  dir: outDir,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: 'perfscope-[name].js',
  sourcemap: false,
  // Each module runs when it is first imported, as it would unbundled (a probe's implementation
  // when the probe starts, Ink's DevTools bridge only under DEV=true), not when its chunk loads.
  strictExecutionOrder: true,
  codeSplitting: {
    groups: [
      { name: 'ui', test: isScreen, priority: 2, includeDependenciesRecursively: false },
      { name: 'app', test: (id) => !isScreen(id), priority: 1, includeDependenciesRecursively: false },
    ],
  },
});
await bundle.close();

// What a run without a screen loads: the entry and its static imports. The screen's chunk must
// not be among them (a package of the screen imported by a module outside src/ui/ would pull it in).
const chunks = new Map(output.filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
const loaded = new Set();
const visit = (name) => {
  if (loaded.has(name)) return;
  loaded.add(name);
  for (const i of chunks.get(name)?.imports ?? []) visit(i);
};
visit('perfscope.js');
if (loaded.has('perfscope-ui.js')) {
  const why = [...loaded].flatMap((n) => (chunks.get(n)?.imports.includes('perfscope-ui.js') ? [n] : []));
  throw new Error(`bundle: ${why.join(', ')} import(s) the screen's chunk statically: a module outside src/ui/ imports a package of the screen`);
}
if (lazySegmenters.size !== 4) throw new Error(`bundle: lazy segmenters: ${lazySegmenters.size} modules: review the lazy-segmenter plugin`);
if (widthUsers.size !== 3) throw new Error(`bundle: string-width users seen: ${[...widthUsers].join(', ') || 'none'}: review the one-cell-string-width plugin`);
if (devBuilds.size === 0) throw new Error('bundle: no React development build seen: review the react-development-aside plugin');

// The development builds, keyed by the names their stand-ins ask for.
const ENTRY = '\0react-dev-entry';
const dev = await rolldown({
  cwd: root,
  input: ENTRY,
  platform: 'node',
  plugins: [
    {
      name: 'react-dev-entry',
      resolveId: { filter: { id: /^\0react-dev-entry$/ }, handler: (id) => id },
      load: {
        filter: { id: /^\0react-dev-entry$/ },
        // Getters: each build runs when its stand-in first asks for it, as it would unbundled.
        handler: () =>
          `module.exports = {\n${[...devBuilds]
            .sort()
            .map(([n, file]) => `  get ${JSON.stringify(n)}() { return require(${JSON.stringify(file)}); },`)
            .join('\n')}\n};\n`,
      },
    },
  ],
  logLevel: 'warn',
  onLog,
});
await dev.write({ file: path.join(outDir, REACT_DEV_FILE), format: 'cjs', sourcemap: false });
await dev.close();
