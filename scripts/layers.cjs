// src/'s folders as layers, bottom first: the one list behind .dependency-cruiser.cjs's layer rules and the
// drawing in docs/ARCHITECTURE.md (test/lint/layers.test.ts checks that the two and the tree agree).
// A folder may import its own files and the layers below it; folders of one layer do not import each other.
/** @type {string[][]} */
const LAYERS = [
  ['core'],
  ['onnx'],
  ['analysis', 'runtime', 'media'],
  ['models'],
  ['quantize'],
  ['runner'],
  ['profiler'],
  ['sweep'],
  ['report', 'projection', 'compare', 'gate'],
  ['cli'],
  ['fuzz'],
];
module.exports = { LAYERS };
