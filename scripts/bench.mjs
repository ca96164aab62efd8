#!/usr/bin/env node
// `npm run bench`: bundles bench/run.ts and runs it; results go to bench/results/*.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

mkdirSync('.bench', { recursive: true });
const b = spawnSync(process.execPath, ['scripts/bundle.mjs', 'bench/run.ts', '.bench/run.mjs'], { stdio: 'inherit' });
if (b.status !== 0) process.exit(b.status ?? 2);
const r = spawnSync(process.execPath, ['--expose-gc', '.bench/run.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 2);
