import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-run-'));
const tiny = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 6 } };

function dplab(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DPLAB_ARCHIVE: join(dir, 'archive.sqlite'), DPLAB_DATA_DIR: join(dir, 'data') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
  return p;
}

test('an invalid setup exits 2 naming every bad field', () => {
  const r = dplab(['run', file('bad.json', { ...tiny, predictor: { kind: 'directpred', rho: 3 }, optim: { lr: -1 } })]);
  assert.equal(r.code, 2);
  assert.match(r.err, /invalid setup: .*predictor\.rho.*optim\.lr/);
  assert.equal(r.err.trim().split('\n').length, 1, 'one-line error');
});

test('unreadable files and bad usage exit 2 with a clear message', () => {
  let r = dplab(['run', join(dir, 'missing.json')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot read setup file .*missing\.json/);
  r = dplab(['run', file('notjson.json', '{ nope')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /not valid JSON/);
  r = dplab(['run']);
  assert.equal(r.code, 2);
  r = dplab(['run', file('ok.json', tiny), '--backend', 'quantum']);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown backend 'quantum'/);
  r = dplab(['run', file('ok.json', tiny), '--threads', '0']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--threads: threads must be an integer from 1 to 8, got '0'/);
  r = dplab(['frobnicate']);
  assert.equal(r.code, 2);
});

test('a missing dataset exits 3 and says how to get it', () => {
  const r = dplab(['run', file('nodata.json', { ...tiny, data: { dataset: 'fashion-mnist', path: join(dir, 'nowhere') } }), '--no-archive']);
  assert.equal(r.code, 3);
  assert.match(r.err, /train-images-idx3-ubyte/);
});

test('a run completes, writes its JSON summary and is recorded in the archive', () => {
  const out = join(dir, 'summary.json');
  const r = dplab(['run', file('tiny.json', tiny), '--out', out, '--set', 'name="cli test"', '--threads', '2']);
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(s.outcome, 'completed');
  // The thread count is printed at the start and recorded in the summary and the run's record.
  assert.match(r.err, /training on wasm · 2 threads ·/);
  assert.equal(s.threads, 2);
  assert.equal(s.steps, 6);
  assert.equal(s.backend, 'wasm');
  assert.match(s.setupHash, /^[0-9a-f]{64}$/);
  for (const k of ['finalLoss', 'collapseStd', 'effectiveRank', 'probeAcc', 'knnAcc', 'imagesPerSec']) assert.equal(typeof s[k], 'number', k);
  assert.match(r.err, /step 6\/6/);
  const list = dplab(['runs', 'list']);
  assert.equal(list.code, 0);
  assert.match(list.out, /cli test/);
  const rows = JSON.parse(dplab(['runs', 'list', '--json']).out) as { uuid: string; name: string | null }[];
  const show = dplab(['runs', 'show', rows.find((row) => row.name === 'cli test')!.uuid]);
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, /wasm-threads 2/);
});

test('a diverging run exits 4 and names the step', () => {
  const r = dplab(['run', file('div.json', { ...tiny, loss: 'mse', predictor: { kind: 'linear' }, optim: { ...tiny.optim, lr: 9, momentum: 0.99, maxSteps: 40 } }), '--no-archive']);
  assert.equal(r.code, 4, r.err);
  assert.match(r.err, /diverged: loss became .* at step \d+/);
});
