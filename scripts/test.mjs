#!/usr/bin/env node
// The test command of the README: `npm run check`, then every test/**/*.test.ts file under node's
// test runner, through tsx (`npm test -- <substring>` runs only matching files, without the check).
// Files run as separate processes, two at a time (the machines have two cores).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
// The whole suite starts with the type checks (tsx strips types, so only these catch a type error):
// tsc over main, shell, tests and benches, and svelte-check over the renderer, 0 errors, 0 warnings.
if (filter.length === 0) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const c = spawnSync(npm, ['run', '--silent', 'check'], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (c.status !== 0) {
    console.error('npm run check failed: fix the type errors and warnings above first');
    process.exit(c.status ?? 1);
  }
}
let files = collect('test');
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
