/**
 * The layer rules of src/ (docs/architecture.md), checked by `npm run check:layers`.
 * Rooms are ranked bottom to top; an import may go to the same rank or below, never above.
 * src/tests/ is outside the ranks. Production code never imports the kernels' CPU references
 * (src/kernels/reference/), which exist for the tests.
 */
const { RANKS } = require('./tools/layer-ranks.cjs');
const room = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '\\.')}$` : `^src/${name}/`);
const any = (names) => names.map(room).join('|');

const upward = RANKS.flatMap((names, r) => {
  const above = RANKS.slice(r + 1).flat();
  if (!above.length) return [];
  return [{
    name: `no-upward-from-${names.join('-').replace(/\.ts/g, '')}`,
    comment: `${names.join(', ')} (rank ${r}) may not import ${above.join(', ')}: imports go down the layers only`,
    severity: 'error',
    from: { path: any(names) },
    to: { path: any(above) },
  }];
});

module.exports = {

  forbidden: [
    ...upward,
    {
      name: 'no-tests-in-production',
      comment: 'production code may not import test code: src/tests/ or the kernels\' CPU references (src/kernels/reference/)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(tests|kernels/reference)/' },
      to: { path: '^src/(tests|kernels/reference)/' },
    },
    {
      name: 'no-readback-in-models',
      comment: 'model families only schedule GPU work; the engine\'s drivers run it through a backend and read results back',
      severity: 'error',
      from: { path: '^src/models/' },
      to: { path: '^src/gpu/readback\\.ts$' },
    },
    {
      name: 'no-module-cycles',
      comment: 'no import cycles between modules',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.gen\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
