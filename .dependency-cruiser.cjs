// The module graph's plan, checked in ./dev test (npm run deps): folders are ranked, and no import
// points up a rank or closes a cycle, type-only and dynamic imports included. A rank may import
// from any rank below it; folders of one rank may import each other but never in a cycle.
// docs/architecture.md, "Layers", says what each rank holds and why it sits where it does.
const RANKS = [
  ['paths.ts', 'model'], // pure math and codecs; where perfscope's own files are
  ['bpf'], // the addon facade: objects, maps, ring buffers, stats
  ['probes', 'stacks'], // the data sources (each probe's implementation and data spec), stacks and symbols
  ['catalogue'], // the list of probes, the Interval type, its JSON codec, the Sink interface
  ['views'], // each probe's view (pure: title, key, overview, row ids, merge)
  ['manager', 'sinks', 'replay', 'store', 'fleet'], // what runs probes, what takes intervals; fleet's Prometheus client
  ['ui'], // Ink and React: panes, keys, layout
  ['cli'], // the command line: wires all of the above
];

const folder = (names) => `^src/(${names.map((n) => n.replace('.', '\\.')).join('|')})(/|$)`;

const upward = RANKS.slice(0, -1).map((rank, i) => ({
  name: `rank-${i}-points-up`,
  comment: `${rank.join(', ')} may import only from ranks below: ${RANKS.slice(0, i).flat().join(', ') || 'nothing of perfscope'} (and ${rank.join(', ')})`,
  severity: 'error',
  from: { path: folder(rank) },
  to: { path: folder(RANKS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'a cycle in the module graph, type-only and dynamic imports included', severity: 'error', from: {}, to: { circular: true } },
    ...upward,
    { name: 'src-reaches-out', comment: 'the product does not import development tools or tests', severity: 'error', from: { path: '^src/' }, to: { path: '^(bench|test|scripts)/' } },
    { name: 'not-resolvable', comment: 'an import that does not resolve', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    moduleSystems: ['es6'],
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'], exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },

};
