import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDataset } from '../../src-main/data/index.ts';
import { train } from '../../src-main/engine/trainer.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { writeCifar10, writeCifar100, writeClassFolder, writeIdx, writeStl10, pngBytes } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'dplab-train-formats-'));
process.env.DPLAB_DATA_DIR = join(root, 'cache');

/** Imports a generated dataset and trains a few steps on it; returns the summary. */
async function importAndTrain(name: string, path: string, format: string, batch = 16) {
  const meta = await importDataset(path, { format, name, cacheDir: process.env.DPLAB_DATA_DIR });
  let datasetHash = '';
  const summary = await train(
    parseSetup({
      data: { dataset: name },
      encoder: { kind: 'convnet', widths: [8, 16] },
      projector: { hidden: 32, out: 16 },
      optim: { batchSize: batch, maxSteps: 3 },
      eval: { probeEpochs: 2, probeTrain: 200, probeTest: 100, spectraEvery: 3 },
    }),
    { backend: 'wasm', onEvent: (e) => e.type === 'started' && (datasetHash = e.dataset.hash) },
  );
  return { meta, summary, datasetHash };
}

const cases: [string, string, (dir: string) => void][] = [
  ['idx', 'idx', (d) => writeIdx(d, { n: 120, m: 40, h: 28, w: 28, gz: true })],
  ['cifar10', 'cifar10', (d) => writeCifar10(d, 60, 2, 40)],
  ['cifar100', 'cifar100', (d) => writeCifar100(d, 120, 40)],
  ['stl10', 'stl10', (d) => writeStl10(d, 40, 20, 40)],
  ['folder', 'folder', (d) => writeClassFolder(d, ['a', 'b', 'c'], 30, 20, 20)],
];

for (const [name, format, write] of cases) {
  test(`a short training run on an imported ${name} dataset records its hash`, async () => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    write(dir);
    const { meta, summary, datasetHash } = await importAndTrain(name, dir, format);
    assert.equal(summary.outcome, 'completed', summary.error);
    assert.equal(summary.steps, 3);
    assert.ok(Number.isFinite(summary.finalLoss));
    assert.equal(datasetHash, meta.hash, 'the run records the hash of the data it trained on');
  });
}

test('a folder with train/val/test splits trains and evaluates with its own validation split', async () => {
  const dir = join(root, 'splits');
  writeClassFolder(join(dir, 'train'), ['a', 'b'], 40, 16, 16);
  writeClassFolder(join(dir, 'val'), ['a', 'b'], 10, 16, 16);
  writeClassFolder(join(dir, 'test'), ['a', 'b'], 10, 16, 16);
  const { summary } = await importAndTrain('splits', dir, 'folder');
  assert.equal(summary.outcome, 'completed', summary.error);
  assert.equal(typeof summary.probeAcc, 'number');
});

test('an unlabelled image folder trains without evaluation', async () => {
  const dir = join(root, 'loose');
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(dir, `x${i}.png`), pngBytes(i, 16, 16, true));
  const { summary } = await importAndTrain('loose', dir, 'folder');
  assert.equal(summary.outcome, 'completed', summary.error);
  assert.equal(summary.probeAcc, null);
});
