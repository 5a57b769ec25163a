#!/usr/bin/env node
// Entry point of the `dplab` command: runs the TypeScript CLI through tsx so that a checkout works
// without a build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
