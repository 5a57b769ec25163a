/**
 * Prototype keys in a sweep file, through the real `dplab sweep` (issue 21, item 7): a `__proto__`
 * key of `base` was dropped silently (zod's record left it out, and `base.seed` was then read
 * through the prototype it set) while `dplab run` refused the same key in a setup file. Every
 * prototype key anywhere in the file — base, axes, slurm — is now refused with its path, exit 2,
 * and nothing is recorded. A local sweep that would pass the archive's bound on queued runs
 * (issue 21, item 6) is refused whole too.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openArchive } from '../../src-main/archive/archive.ts';
import { thisProcess } from '../../src-main/runs/process.ts';
import { ROOT, TINY_SETUP } from '../server/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-sweepfile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Runs `dplab sweep` on the sweep file whose JSON text is `text` (so `__proto__` stays an own key). */
function sweep(text: string, args: string[] = []) {
  const file = join(dir, `sweep-${++n}.json`);
  writeFileSync(file, text);
  const archive = join(dir, `a-${n}.sqlite`);
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'sweep', file, '--quiet', '--archive', archive, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DPLAB_DATA_DIR: join(dir, 'data') },
    timeout: 90_000,
  });
  const runs = existsSync(archive) ? openArchive(archive, { readonly: true }).listRuns({}) : [];
  return { code: r.status, stderr: r.stderr, stdout: r.stdout, runs };
}

const base = JSON.stringify(TINY_SETUP).slice(1, -1);

test('a prototype key in a sweep base is refused like in dplab run, naming its path; nothing recorded', () => {
  // The setup file that dplab run refuses …
  const setupFile = join(dir, 'setup.json');
  writeFileSync(setupFile, `{"__proto__": {"seed": 5}, ${base}}`);
  const run = spawnSync(process.execPath, ['bin/dplab.mjs', 'run', setupFile, '--quiet', '--archive', join(dir, 'run.sqlite')], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /__proto__/);
  // … is refused as a sweep's base too (it used to expand and train with the key dropped).
  const r = sweep(`{"name": "p", "base": {"__proto__": {"seed": 5}, ${base}}, "axes": {"optim.lr": [0.05]}, "seeds": 2}`);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /base\.__proto__: '__proto__' may not be a key of a sweep/);
  assert.equal(r.runs.length, 0);
  const dry = sweep(`{"base": {"optim": {"__proto__": {"lr": 9}}}, "axes": {"optim.momentum": [0.9]}}`, ['--dry-run']);
  assert.equal(dry.code, 2, dry.stderr);
  assert.match(dry.stderr, /base\.optim\.__proto__: '__proto__' may not be a key of a sweep/);
  assert.equal(dry.stdout, '');
});

test('constructor and prototype keys, and prototype keys in axes and slurm, are refused with their path', () => {
  const cases: [string, RegExp][] = [
    [`{"base": {"constructor": {"prototype": {"x": 1}}}, "axes": {"optim.lr": [0.05]}}`, /base\.constructor: 'constructor' may not be a key of a sweep/],
    [`{"base": {}, "axes": {"__proto__": [1, 2], "optim.lr": [0.05]}}`, /axes\.__proto__: '__proto__'/],
    [`{"base": {}, "axes": [{"path": "optim.lr", "values": [{"__proto__": 1}]}]}`, /axes\.0\.values\.0\.__proto__: '__proto__' may not be a key of a sweep/],
    [`{"base": {}, "axes": {"optim.lr": [0.05]}, "slurm": {"__proto__": {"partition": "x"}}}`, /slurm\.__proto__: '__proto__' may not be a key of a sweep/],
    [`{"base": {}, "axes": {"optim.lr": [0.05]}, "__proto__": {"seeds": 3}}`, /__proto__: '__proto__' may not be a key of a sweep/],
  ];
  for (const [text, want] of cases) {
    const r = sweep(text, ['--dry-run']);
    assert.equal(r.code, 2, `${text}: ${r.stderr}${r.stdout}`);
    assert.match(r.stderr, want, text);
    assert.equal(r.stdout, '', text);
  }
});

test('dplab sweep (local) is refused whole when it would pass --max-queued queued runs in the archive', () => {
  const archive = join(dir, 'full.sqlite');
  // Two runs queued by a live process (this one) already wait in the archive.
  const a = openArchive(archive, { create: true });
  for (let i = 0; i < 2; i++) a.createRun({ name: `waiting ${i}`, setup: TINY_SETUP, setupHash: `h${i}`, seed: 0, owner: thisProcess() });
  a.close();
  const file = join(dir, 'two.json');
  writeFileSync(file, JSON.stringify({ name: 'two', base: TINY_SETUP, axes: { 'optim.lr': [0.01, 0.02] } }));
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'sweep', file, '--quiet', '--archive', archive, '--max-queued', '3'], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /dplab sweep: 2 more runs would pass the limit of 3 queued or running runs in the archive .*\(it has 2\); nothing was queued/);
  const after = openArchive(archive, { readonly: true });
  assert.equal(after.listRuns({}).length, 2);
  assert.equal(after.listSweeps().length, 0);
  after.close();
  const bad = spawnSync(process.execPath, ['bin/dplab.mjs', 'sweep', file, '--archive', archive, '--max-queued', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--max-queued must be a positive integer, got '0'/);
});
