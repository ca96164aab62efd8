// The layer rules of docs/ARCHITECTURE.md, enforced: `npm run lint` (in .ci/run after the typecheck).
//
// LAYERS (scripts/layers.cjs) lists src/'s folders bottom to top. A folder may import its own files and the folders of the
// layers below it, never a folder of its own layer or of one above. `src/errors.ts` belongs to the
// bottom layer. test/lint/layers.test.ts proves the rules bite (a src/onnx file importing src/runner
// fails) and that the list, the drawing in docs/ARCHITECTURE.md and the folders of src/ agree.
const { LAYERS } = require('./scripts/layers.cjs');

const folderRe = (folders) => `^src/(${folders.join('|')})/`;

/** One rule per folder: nothing from its own layer (but itself) or above. */
const layerRules = LAYERS.flatMap((layer, i) =>
  layer.flatMap((folder) => {
    const banned = [...layer.filter((f) => f !== folder), ...LAYERS.slice(i + 1).flat()];
    if (banned.length === 0) return [];
    return [
      {
        name: `layer-${folder}`,
        comment: `src/${folder} (layer ${i}) may import only src/${folder} and the layers below it (docs/ARCHITECTURE.md)`,
        severity: 'error',
        from: { path: `^src/${folder}/` },
        to: { path: folderRe(banned) },
      },
    ];
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-errors',
      comment: 'src/errors.ts is the bottom of the house: it imports no other workbench file',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'no-circular',
      comment:
        'no import cycles between files (type-only imports do not count: they vanish at run time); none is exempt ' +
        '(#17 cut the two that predated the rule: runtime/index.ts <-> native-check.ts and run-pipeline.ts <-> worker-pool.ts)',
      severity: 'error',
      from: {},
      to: {
        circular: true,
        viaOnly: {
          dependencyTypesNot: ['type-only'],
        },
      },
    },
    {
      name: 'onnxruntime-only-in-runtime',
      comment: 'only src/runtime talks to ONNX Runtime; everything else goes through src/runtime/index.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/runtime/' },
      to: { path: '(^|/)node_modules/onnxruntime-(node|common)/|^onnxruntime-(node|common)$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to nothing (a typo, a moved file)',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'no-src-to-test',
      comment: 'library code never imports test code',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies of the design too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    cache: false,
  },
};
