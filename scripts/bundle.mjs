#!/usr/bin/env node
// Bundles a TypeScript entry into one ESM file with esbuild (onnxruntime-node stays external: its native
// binding is linked in place on the GPU machine). Usage: node scripts/bundle.mjs <entry.ts> <out.mjs>
import { build } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: node scripts/bundle.mjs <entry.ts> <out.mjs>');
  process.exit(2);
}
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['onnxruntime-node'],
  sourcemap: false,
  logLevel: 'warning',
  // commander and other CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
});
