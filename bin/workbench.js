#!/usr/bin/env node
// The CLI entry: runs the compiled TypeScript (npm install builds it through `prepare`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
