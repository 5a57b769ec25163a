/**
 * Setups the schema accepts but the machine cannot run (issue 15, item 9), through the real
 * `dplab run`: a training step larger than the wasm heap and a dataset larger than the process may
 * hold are refused before anything is loaded or recorded, naming the field, exit 2; a batch larger
 * than the data → exit 2 with `optim.batchSize` and no run left in the archive; a damaged cached
 * dataset (truncated or changed after import) → exit 3 naming the file, no run left either.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, statSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { writeIdx } from '../data/fixtures.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dplab-feasible-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const QUICK = {
  seed: 1,
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train: 512, test: 64 } },
  encoder: { kind: 'convnet', widths: [8, 16], residual: false },
  projector: { hidden: 32, out: 16 },
  optim: { batchSize: 32, epochs: 1, maxSteps: 1 },
  eval: { probeEpochs: 1, probeTrain: 64, probeTest: 32, spectraEvery: 1 },
};

let n = 0;
function run(setup: unknown, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, `setup-${++n}.json`);
  writeFileSync(file, JSON.stringify(setup));
  const archive = join(dir, `a-${n}.sqlite`);
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'run', file, '--quiet', '--archive', archive, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DPLAB_DATA_DIR: join(dir, 'data'), ...env },
  });
  const runs = existsSync(archive) ? openArchive(archive, { readonly: true }).listRuns({}) : [];
  return { code: r.status, stderr: r.stderr, runs };
}

test('a training step beyond the wasm heap is refused with the field, exit 2, no run recorded', () => {
  const r = run({ ...QUICK, data: { dataset: 'synthetic', synthetic: { size: 32, channels: 3, classes: 4, train: 4200, test: 64 } }, encoder: { kind: 'convnet', widths: [32, 64, 128, 256], residual: false }, optim: { batchSize: 4096, epochs: 1, maxSteps: 1 } }, ['--backend', 'wasm']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /invalid setup: optim\.batchSize: a training step needs about \d+(\.\d)? GiB, more than the wasm backend's heap \(at most 4\.0 GiB\)/);
  assert.equal(r.runs.length, 0);
});

test('a dataset larger than the process may hold is refused before it is generated, exit 2', () => {
  const r = run({ ...QUICK, data: { dataset: 'synthetic', synthetic: { size: 96, channels: 3, classes: 4, train: 20000, test: 64 } } }, [], { DPLAB_MEMORY_BYTES: String(200e6) });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /invalid setup: data\.synthetic\.train: the dataset needs about 0\.52 GiB \(20064 images of 96×96×3 in memory\), more than half of the 0\.19 GiB this process may use/);
  assert.equal(r.runs.length, 0);
  // Every generated dataset is checked the same way, naming its own field.
  const inv = run({ ...QUICK, data: { dataset: 'invariance', invariance: { size: 96, channels: 3, train: 20000, test: 64 } } }, [], { DPLAB_MEMORY_BYTES: String(200e6) });
  assert.equal(inv.code, 2, inv.stderr);
  assert.match(inv.stderr, /invalid setup: data\.invariance\.train: the dataset needs about 0\.52 GiB \(20064 images of 96×96×3 in memory\)/);
  assert.equal(inv.runs.length, 0);
});

test('a batch larger than the data: exit 2 with optim.batchSize, and no failed run left behind', () => {
  const r = run({ ...QUICK, data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train: 64, test: 32 } }, optim: { batchSize: 128, epochs: 1, maxSteps: 1 } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /invalid setup: optim\.batchSize: 128 is larger than the 64 pre-training images of 'synthetic'/);
  assert.deepEqual(r.runs, []);
  // The same through data.trainSize names it too.
  const t = run({ ...QUICK, data: { ...QUICK.data, trainSize: 20 } });
  assert.equal(t.code, 2, t.stderr);
  assert.match(t.stderr, /optim\.batchSize: 32 is larger than the 20 pre-training images .*\(data\.trainSize 20\)/);
  assert.deepEqual(t.runs, []);
});

test('a damaged cached dataset: exit 3 naming the file, no run recorded; a sound one trains', () => {
  const src = join(dir, 'idx');
  writeIdx(src, { n: 96, m: 32, h: 16, w: 16 });
  const imp = spawnSync(process.execPath, ['bin/dplab.mjs', 'data', 'import', src, '--name', 'tiny'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DPLAB_DATA_DIR: join(dir, 'data') } });
  assert.equal(imp.status, 0, imp.stderr);
  const setup = { ...QUICK, data: { dataset: 'tiny' } };
  const ok = run(setup);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.runs.length, 1);

  const folder = join(dir, 'data', readdirSync(join(dir, 'data')).find((f) => f === 'tiny' || f.startsWith('tiny'))!);
  const images = join(folder, readdirSync(folder).find((f) => /train.*images|images.*train/.test(f))!);
  // Changed after import (same size): only the content hash notices.
  const fd = openSync(images, 'r+');
  writeSync(fd, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 0, 8, 100);
  closeSync(fd);
  const changed = run(setup);
  assert.equal(changed.code, 3, changed.stderr);
  assert.match(changed.stderr, /dataset 'tiny': .*content hash .* differs from the recorded/);
  assert.deepEqual(changed.runs, []);
  // Truncated.
  truncateSync(images, statSync(images).size - 100);
  const cut = run(setup);
  assert.equal(cut.code, 3, cut.stderr);
  assert.ok(cut.stderr.includes(images), cut.stderr);
  assert.deepEqual(cut.runs, []);
});

test('dplab sweep (local) refuses a member whose training step cannot fit, naming it, exit 2, nothing recorded', () => {
  const file = join(dir, 'sweep-too-big.json');
  const base = { ...QUICK, data: { dataset: 'synthetic', synthetic: { size: 32, channels: 3, classes: 4, train: 4200, test: 64 } }, encoder: { kind: 'convnet', widths: [32, 64, 128, 256], residual: false } };
  writeFileSync(file, JSON.stringify({ name: 'too big', base, axes: { 'optim.batchSize': [32, 4096] } }));
  const archive = join(dir, 'sweep-too-big.sqlite');
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'sweep', file, '--backend', 'wasm', '--quiet', '--archive', archive], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DPLAB_DATA_DIR: join(dir, 'data') } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /has 1 member\(s\) this machine cannot run; nothing was started:\n {2}run 1 \(optim\.batchSize=4096, seed=\d+\): optim\.batchSize: a training step needs about \d+(\.\d)? GiB, more than the wasm backend's heap/);
  const runs = existsSync(archive) ? openArchive(archive, { readonly: true }).listRuns({}) : [];
  assert.deepEqual(runs, []);
});
