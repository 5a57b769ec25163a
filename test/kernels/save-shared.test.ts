// What a gradient saves is kept as a shared reference on wasm (kernels/index.ts, part
// 'save-shared'): no Identity kernel call per saved tensor, the same gradients and training
// results bit for bit as tfjs's own clones, no tensor left behind, and a saved tensor that the
// forward code disposes still reads its values in backprop.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { installTrainingKernels, uninstallTrainingKernels } from '../../src-main/engine/kernels/index.ts';
import { train } from '../../src-main/engine/trainer.ts';
import { loadTiny, setupFrom, tinyBase } from '../engine/tiny.ts';
import type { Dataset } from '../../src-main/data/types.ts';
import type { RunSummary } from '../../src-main/common/events.ts';
import { values } from './values.ts';

const base = tinyBase();
let data: Dataset;

before(async () => {
  data = await loadTiny(base);
  assert.equal(tf.getBackend(), 'wasm');
});

/** The engine's saver in effect now: tfjs's prototype method, or the hook as an own property. */
const hooked = () => Object.prototype.hasOwnProperty.call(tf.engine(), 'saveTensorsForBackwardMode');

/** Reinstalls the kernels with or without the 'save-shared' part, so each side runs as shipped or as before. */
function withSaves<T>(shared: boolean, f: () => Promise<T>): Promise<T> {
  uninstallTrainingKernels('wasm');
  installTrainingKernels('wasm', shared ? undefined : ['conv-filter', 'conv-input', 'matmul', 'max-pool', 'batch-norm', 'identity', 'conv-small', 'pool-small', 'mean']);
  assert.equal(hooked(), shared);
  return f().finally(() => {
    uninstallTrainingKernels('wasm');
    installTrainingKernels('wasm');
  });
}

/** A conv → ReLU → pool → matmul → loss, the kinds of ops whose inputs a step's gradients save. */
function lossOf(x: tf.Tensor4D, w: tf.Variable, v: tf.Variable): () => tf.Scalar {
  return () =>
    tf.tidy(() => {
      const h = tf.relu(tf.conv2d(x, w as unknown as tf.Tensor4D, 1, 'same'));
      const p = tf.mean(tf.maxPool(h, 2, 2, 'valid'), [1, 2]) as tf.Tensor2D;
      return tf.matMul(p, v as unknown as tf.Tensor2D).square().mean() as tf.Scalar;
    });
}

/** The loss and its gradients, read back; then the Identity kernel calls of one more such computation. */
async function gradsOf(x: tf.Tensor4D, w: tf.Variable, v: tf.Variable) {
  const f = lossOf(x, w, v);
  const before = tf.memory().numTensors;
  let read = { loss: [] as number[], gw: [] as number[], gv: [] as number[] };
  for (let i = 0; i < 4; i++) {
    const { value, grads } = tf.variableGrads(f, [w, v]);
    read = { loss: Array.from(value.dataSync()), gw: Array.from(grads[w.name]!.dataSync()), gv: Array.from(grads[v.name]!.dataSync()) };
    tf.dispose([value, ...Object.values(grads)]);
  }
  const leftBehind = tf.memory().numTensors - before;
  const info = await tf.profile(() => {
    const g = tf.variableGrads(f, [w, v]);
    tf.dispose([g.value, ...Object.values(g.grads)]);
  });
  return { ...read, leftBehind, identityCalls: info.kernels.filter((k) => k.name === 'Identity').length };
}

test('saved tensors cost no Identity call, and gradients are bit for bit the clones\' ones', async () => {
  const x = tf.tensor4d(values([2, 8, 8, 3], 1), [2, 8, 8, 3]);
  const w = tf.variable(tf.tensor4d(values([3, 3, 3, 4], 2), [3, 3, 3, 4]));
  const v = tf.variable(tf.tensor2d(values([4, 5], 3), [4, 5]));
  const stock = await withSaves(false, () => gradsOf(x, w, v));
  const shared = await withSaves(true, () => gradsOf(x, w, v));
  assert.ok(stock.identityCalls >= 4, `tfjs's clones call Identity per saved tensor (${stock.identityCalls})`);
  assert.equal(shared.identityCalls, 0, 'shared saves call no Identity kernel');
  assert.equal(shared.leftBehind, 0, 'no tensor is left behind across gradient computations');
  for (const k of ['loss', 'gw', 'gv'] as const) assert.deepEqual(shared[k], stock[k], `${k} is bit for bit the same`);
  tf.dispose([x, w, v]);
});

test('a saved tensor the forward code disposes still reads its values in backprop', async () => {
  await withSaves(true, async () => {
    const x = tf.tensor2d(values([6, 4], 4), [6, 4]);
    const wv = tf.variable(tf.tensor2d(values([4, 3], 5), [4, 3]));
    const { grads } = tf.variableGrads(() => {
      // The product's input is saved for the square's gradient; its own handle dies with the tidy.
      const y = tf.tidy(() => tf.matMul(x, wv as unknown as tf.Tensor2D));
      const s = y.square().sum() as tf.Scalar;
      y.dispose();
      return s;
    }, [wv]);
    // d/dW Σ(xW)² = 2 xᵀ(xW), computed apart.
    const want = tf.tidy(() => tf.matMul(x, tf.matMul(x, wv as unknown as tf.Tensor2D), true, false).mul(2));
    const got = grads[wv.name]!;
    const [a, b] = [got.dataSync(), want.dataSync()];
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-5 * Math.max(1, Math.abs(b[i]!)), `dW[${i}] ${a[i]} against ${b[i]}`);
    tf.dispose([x, wv, got, want]);
  });
});

test('a short training run gives the same results with shared saves as with clones', async () => {
  const setup = setupFrom(base, { seed: 3, optim: { batchSize: 16, epochs: 3, maxSteps: 12 }, eval: { probeEpochs: 2, probeTrain: 64, probeTest: 32, spectraEvery: 4 } });
  const runOf = async (shared: boolean) => {
    const losses: number[] = [];
    const summary = await withSaves(shared, () =>
      train(setup, { backend: 'wasm', threads: 1, dataset: data, onEvent: (e) => void (e.type === 'scalars' && losses.push(e.values.loss!)) }),
    );
    return { losses, summary };
  };
  const pick = (s: RunSummary) => [s.outcome, s.finalLoss, s.probeAcc, s.knnAcc, s.collapseStd, s.effectiveRank];
  const a = await runOf(false);
  const b = await runOf(true);
  assert.equal(a.losses.length, 12);
  assert.deepEqual(b.losses, a.losses, 'every step\'s loss is the same');
  assert.deepEqual(pick(b.summary), pick(a.summary), 'the summary is the same');
});
