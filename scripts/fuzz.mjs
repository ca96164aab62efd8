#!/usr/bin/env node
// `npm run fuzz -- --count N [--seed S]`: bundles bench/fuzz.ts (the CLI fuzz target) and runs it;
// results go to bench/results/fuzz.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('.bench', { recursive: true });
const b = spawnSync(process.execPath, ['scripts/bundle.mjs', 'bench/fuzz.ts', '.bench/fuzz.mjs'], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 2);
const r = spawnSync(process.execPath, ['.bench/fuzz.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 2);
