#!/usr/bin/env node
// Runs the benchmarks from their TypeScript sources through tsx's loader, like bin/kizuna.js.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/run.ts');
process.exitCode = await main(process.argv.slice(2));
