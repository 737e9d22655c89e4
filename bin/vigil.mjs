#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader; no separate compile step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2));
// `vigil server` keeps running; every other command exits with its code.
if (process.argv[2] !== 'server' || code !== 0) process.exit(code);
