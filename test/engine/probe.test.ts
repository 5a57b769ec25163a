import test from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src-main/engine/backend.ts';
import { knnAccuracy, linearProbe, type FeatureSet } from '../../src-main/engine/probe.ts';
import { Rng } from '../../src-main/math/seeds.ts';

test.before(async () => {
  await initBackend('wasm');
});

/** n points of `classes` Gaussian clusters in `dim` dimensions (cluster spread `noise`). */
function clusters(n: number, classes: number, dim: number, noise: number, seed: number): FeatureSet {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, (_, c) => Array.from({ length: dim }, (_, k) => (k % classes === c ? 3 : 0)));
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % classes;
    for (let k = 0; k < dim; k++) x[i * dim + k] = centres[y[i]!]![k]! + noise * rng.normal();
  }
  return { x, y, n, dim };
}

test('the linear probe separates separable clusters and sits at chance on noise', async () => {
  const train = clusters(300, 3, 6, 0.5, 1);
  const test = clusters(150, 3, 6, 0.5, 2);
  const r = await linearProbe(train, test, 3, { epochs: 20, seed: 3 });
  assert.ok(r.testAcc > 0.95, `test accuracy ${r.testAcc}`);
  const noiseTrain = { ...clusters(300, 3, 6, 1, 4), x: Float32Array.from({ length: 1800 }, () => Math.random()) };
  const noiseTest = { ...clusters(300, 3, 6, 1, 5), x: Float32Array.from({ length: 1800 }, () => Math.random()) };
  const chance = await linearProbe(noiseTrain, noiseTest, 3, { epochs: 10, seed: 3 });
  assert.ok(chance.testAcc < 0.5, `noise accuracy ${chance.testAcc}`);
});

test("the probe selects its epoch on the dataset's validation split when one is given", async () => {
  const train = clusters(300, 3, 6, 1.5, 1);
  const test = clusters(150, 3, 6, 1.5, 2);
  // With the test set passed as validation, the reported validation accuracy is the test accuracy.
  const r = await linearProbe(train, test, 3, { epochs: 10, seed: 3, validation: test });
  assert.equal(r.valAcc, r.testAcc);
  // Without it a fifth of the train split is held out, a different set.
  const held = await linearProbe(train, test, 3, { epochs: 10, seed: 3 });
  assert.ok(held.valAcc >= 0 && held.bestEpoch >= 1);
});

test('kNN: neighbours vote for their class', async () => {
  const bank = clusters(300, 3, 6, 0.5, 1);
  const query = clusters(90, 3, 6, 0.5, 2);
  assert.ok(await knnAccuracy(bank, query, 3, 10) > 0.95);
});
