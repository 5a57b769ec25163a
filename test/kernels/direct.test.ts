// The direct SIMD kernels for small layers (kernels/direct.ts) on wasm against the cpu backend's
// stock kernels: a convolution's filter gradient (with its forward and input gradient, which
// share the padding and shapes) on the lab's shapes and on odd sizes, strides and paddings; the
// 2×2 max-pool and its gradient bit for bit against the kernels they replace (NaN apart); the global average pool's kernels bit for bit against tf.mean and its gradient on
// wasm; and a lab-scale run that gives the same results twice.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';
import { directKernelCalls, directKernelsCompiled } from '../../src-main/engine/kernels/direct.ts';
import { ALL_TRAINING_KERNEL_PARTS, installTrainingKernels, uninstallTrainingKernels } from '../../src-main/engine/kernels/index.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { globalAvgPool } from '../../src-main/engine/layers.ts';
import { SPATIAL_MEAN, SPATIAL_MEAN_GRAD } from '../../src-main/engine/kernels/spatial-mean.ts';
import { train } from '../../src-main/engine/trainer.ts';
import { values } from './values.ts';

before(async () => {
  const info = await initBackend('wasm', { threads: 1 });
  assert.equal(info.tfBackend, 'wasm');
});


function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(m, 1e-6);
}

type Case = { x: number[]; w: number[]; stride: [number, number]; pad: 'same' | 'valid' };
const cases: Case[] = [
  { x: [5, 28, 28, 1], w: [3, 3, 1, 8], stride: [1, 1], pad: 'same' }, // the lab's conv1 (chunks of 4 + 1)
  { x: [9, 14, 14, 8], w: [3, 3, 8, 16], stride: [1, 1], pad: 'same' }, // the lab's conv2, in two chunks of images (6 + 3)
  { x: [2, 13, 11, 3], w: [3, 3, 3, 4], stride: [2, 2], pad: 'same' },
  { x: [2, 9, 7, 5], w: [5, 5, 5, 12], stride: [1, 1], pad: 'same' },
  { x: [2, 10, 9, 2], w: [3, 3, 2, 8], stride: [2, 2], pad: 'valid' },
  { x: [1, 7, 7, 16], w: [1, 1, 16, 16], stride: [1, 1], pad: 'valid' },
  { x: [2, 8, 9, 4], w: [3, 3, 4, 16], stride: [1, 1], pad: 'valid' },
  { x: [2, 6, 5, 16], w: [3, 3, 16, 8], stride: [2, 1], pad: 'same' },
  { x: [1, 1, 1, 1], w: [3, 3, 1, 4], stride: [1, 1], pad: 'same' },
  { x: [2, 11, 9, 1], w: [3, 3, 1, 12], stride: [1, 2], pad: 'same' },
  { x: [2, 9, 9, 1], w: [3, 3, 1, 4], stride: [2, 2], pad: 'same' },
];

/** y, dW and dx of Σ y·r (r fixed) on one backend. */
async function convOn(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(values(c.x, 1), c.x as [number, number, number, number]);
  const w = tf.tensor4d(values(c.w, 2), c.w as [number, number, number, number]);
  const out = tf.tidy(() => {
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const r = tf.tensor(values(y.shape, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)))([x, w]);
    return [y, dw!, dx!].map((t) => t.dataSync().slice() as Float32Array);
  });
  tf.dispose([x, w]);
  await tf.setBackend('wasm');
  return out;
}

test('direct filter gradient (and the convolution around it) matches the cpu backend', async () => {
  for (const c of cases) {
    const name = `x${c.x} w${c.w} s${c.stride} ${c.pad}`;
    const ours = await convOn('wasm', c);
    const ref = await convOn('cpu', c);
    ['y', 'dW', 'dx'].forEach((what, i) => {
      assert.ok(ref[i]!.some((v) => v !== 0), `${name} ${what}: the reference is all zeros`);
      const e = relErr(ours[i]!, ref[i]!);
      assert.ok(e < 2e-5, `${name} ${what}: relative error ${e.toExponential(2)}`);
    });
  }
  // Every case's filter gradient went through the direct kernel.
  const keys = directKernelsCompiled(tf.backend());
  for (const k of ['dw:1,8,28,28,3,3,1,1,30,30', 'dw:1,12,11,5,3,3,1,2,13,11', 'dw:1,4,5,5,3,3,2,2,11,11', 'dw:2,8,4,4,3,3,2,2,10,9',
    'dw:8,16,14,14,3,3,1,1,16,16', 'dw:16,16,7,7,1,1,1,1,7,7', 'dw:16,8,3,5,3,3,2,1,7,7', 'dw:5,12,9,7,5,5,1,1,13,11']) {
    assert.ok(keys.includes(k), `${k} not among the compiled kernels: ${keys.join(' ')}`);
  }
  assert.equal(keys.filter((k) => k.startsWith('dw:')).length, cases.length);
});

test('shapes outside the direct kernels keep the former path and still match', async () => {
  const before = directKernelsCompiled(tf.backend()).length;
  for (const c of [
    { x: [2, 6, 6, 3], w: [3, 3, 3, 6], stride: [1, 1], pad: 'same' }, // C_out not a multiple of 4
    { x: [1, 6, 6, 4], w: [3, 3, 4, 32], stride: [1, 1], pad: 'same' }, // C_out above 16
    { x: [1, 6, 6, 20], w: [3, 3, 20, 8], stride: [1, 1], pad: 'same' }, // C_in above 16
  ] as Case[]) {
    const ours = await convOn('wasm', c);
    const ref = await convOn('cpu', c);
    for (let i = 0; i < 3; i++) assert.ok(relErr(ours[i]!, ref[i]!) < 2e-5, `x${c.x} w${c.w}: output ${i}`);
  }
  // The 20→8 case's input gradient is a 8→20 forward conv: outside too. Nothing new compiled.
  assert.equal(directKernelsCompiled(tf.backend()).length, before);
});

/** dx of a 2×2/2 max-pool (gradient r) with the given kernel parts installed. */
function poolGrad(x: tf.Tensor4D, r: tf.Tensor): Float32Array {
  return tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), r)))(x).dataSync().slice() as Float32Array);
}

test('direct 2×2 max-pool and its gradient: the former kernels\' values (ties, ±Infinity; the gradient bit for bit, ±0 included); a NaN window pools to NaN', () => {
  const shape = [3, 8, 6, 8];
  const v = values(shape, 7);
  // Ties within windows (equal maxima), ±Infinity, a window of −0 and +0, and one of −0 alone.
  for (let i = 0; i < v.length; i += 37) v[i + 1] = v[i]!;
  v[100] = Infinity;
  v[201] = -Infinity;
  v[300] = -0;
  const window = (n: number, y: number, x: number, c: number) => ((n * 8 + y) * 6 + x) * 8 + c;
  [[0, 0], [0, 1], [1, 0], [1, 1]].forEach(([dy, dx], k) => {
    v[window(1, 2 + dy, 2 + dx, 3)] = k % 2 ? 0 : -0;
    v[window(2, 4 + dy, 0 + dx, 5)] = -0;
  });
  const x = tf.tensor4d(v, shape as [number, number, number, number]);
  const r = tf.tensor(values([3, 4, 3, 8], 9), [3, 4, 3, 8]);
  const count = (prefix: string) => [...directKernelCalls()].filter(([k]) => k.startsWith(prefix)).reduce((s, [, n]) => s + n, 0);
  const [mp, mpg] = [count('mp:8,6,8'), count('mpg:8,6,8')];
  const ours = [tf.tidy(() => tf.maxPool(x, 2, 2, 'valid').dataSync().slice() as Float32Array), poolGrad(x, r)];
  assert.ok(count('mp:8,6,8') > mp && count('mpg:8,6,8') > mpg, 'the direct kernels did not run');
  uninstallTrainingKernels('wasm');
  installTrainingKernels('wasm', ALL_TRAINING_KERNEL_PARTS.filter((p) => p !== 'pool-small'));
  const former = [tf.tidy(() => tf.maxPool(x, 2, 2, 'valid').dataSync().slice() as Float32Array), poolGrad(x, r)];
  uninstallTrainingKernels('wasm');
  installTrainingKernels('wasm');
  // The pooled sign of a window of −0 and +0 follows wasm's max (+0) where XNNPACK's order of pmax
  // gave −0: a ReLU's output holds no −0. The gradient is the same either way (y − x is ±0, not > 0).
  for (let i = 0; i < ours[0]!.length; i++) assert.ok(ours[0]![i] === former[0]![i], `max-pool [${i}]: ${ours[0]![i]} vs ${former[0]![i]}`);
  for (let i = 0; i < ours[1]!.length; i++) assert.ok(Object.is(ours[1]![i], former[1]![i]), `gradient [${i}]: ${ours[1]![i]} vs ${former[1]![i]}`);
  const nonzero = ours[1]!.filter((g) => g !== 0).length;
  assert.ok(nonzero > ours[1]!.length / 5, 'too few gradients reached the input: the case is vacuous');
  // NaN propagates (PyTorch's rule; XNNPACK's pool gave −Infinity for this window, the cpu backend the others' max).
  v[5] = NaN;
  const withNaN = tf.tensor4d(v, shape as [number, number, number, number]);
  assert.ok(Number.isNaN(tf.tidy(() => tf.maxPool(withNaN, 2, 2, 'valid').dataSync()[5]!)));
  tf.dispose([x, r, withNaN]);
});

const same = (a: Float32Array, b: Float32Array, what: string) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]) || (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)), `${what} [${i}]: ${a[i]} vs ${b[i]}`);
};

test('global average pool kernels: bit for bit tf.mean over [1, 2] and its gradient on wasm', async () => {
  // The lab's shape, channels in two register chunks (40), and channels the SIMD loop cannot take (5).
  for (const shape of [[32, 14, 14, 16], [3, 5, 7, 40], [2, 3, 3, 5], [1, 1, 1, 4]] as [number, number, number, number][]) {
    const v = values(shape, 21);
    v[3] = -0;
    v[7] = 1e-38;
    const x = tf.tensor4d(v, shape);
    const r = tf.tensor(values([shape[0], shape[3]], 22), [shape[0], shape[3]]);
    const info = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(globalAvgPool(a as tf.Tensor4D), r)))(x));
    assert.ok(info.kernelNames.includes(SPATIAL_MEAN) && info.kernelNames.includes(SPATIAL_MEAN_GRAD), `${shape}: ${info.kernelNames.join(', ')}`);
    assert.ok(!info.kernelNames.includes('Mean'), `${shape}: tf.mean ran`);
    const ours = tf.tidy(() => [globalAvgPool(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(globalAvgPool(a as tf.Tensor4D), r)))(x)].map((t) => t.dataSync().slice() as Float32Array));
    const stock = tf.tidy(() => [tf.mean(x, [1, 2]), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, [1, 2]), r)))(x)].map((t) => t.dataSync().slice() as Float32Array));
    same(ours[0]!, stock[0]!, `${shape} mean`);
    same(ours[1]!, stock[1]!, `${shape} gradient`);
    assert.ok(stock[1]!.some((g) => g !== 0), `${shape}: the gradient is all zeros`);
    tf.dispose([x, r]);
  }
  assert.ok([...directKernelCalls().keys()].includes('mean:196,16') && [...directKernelCalls().keys()].includes('meangrad:35,40'));
});

test('a lab-scale run (ConvNet 8-16, 28×28, B = 32) gives identical results twice', async () => {
  const setup = parseSetup({
    seed: 3,
    method: 'byol',
    predictor: { kind: 'directpred', rho: 0.3, eps: 0.1, freq: 1, bias: false },
    data: { dataset: 'invariance', invariance: { size: 28, channels: 1, classes: 4, train: 256, test: 128, signal: 1, clutter: 3, nuisance: 1 } },
    encoder: { kind: 'convnet', widths: [8, 16], residual: false },
    projector: { hidden: 32, out: 16 },
    optim: { batchSize: 32, epochs: 100, maxSteps: 12 },
    eval: { probeEpochs: 2, probeTrain: 128, probeTest: 128, spectraEvery: 6 },
  });
  const run = async () => {
    const losses: number[] = [];
    const s = await train(setup, { backend: 'wasm', threads: 1, onEvent: (e) => { if (e.type === 'scalars') losses.push(e.values.loss!); } });
    assert.equal(s.outcome, 'completed', String(s.error));
    return { losses, probe: s.probeAcc, knn: s.knnAcc, final: s.finalLoss };
  };
  const used = (prefix: string) => [...directKernelCalls()].filter(([k]) => k.startsWith(prefix)).reduce((s, [, n]) => s + n, 0);
  const [dw1, dw2, mp, mpg] = [used('dw:1,8,28,28,'), used('dw:8,16,14,14,'), used('mp:28,28,8'), used('mpg:28,28,8')];
  const a = await run();
  // Per step: 2 views, each a filter gradient of both convs and a pooling gradient; a pool per view and network.
  assert.ok(used('dw:1,8,28,28,') >= dw1 + 12 * 2, 'conv1 did not run the direct filter gradient');
  assert.ok(used('dw:8,16,14,14,') >= dw2 + 12 * 2, 'conv2 did not run the direct filter gradient');
  assert.ok(used('mpg:28,28,8') >= mpg + 12 * 2, 'the max-pool gradient did not run the direct kernel');
  assert.ok(used('mp:28,28,8') >= mp + 12 * 4, 'the max-pool did not run the direct kernel');
  const b = await run();
  assert.equal(a.losses.length, 12);
  assert.deepEqual(b, a);
});

test('on the threaded build (shared memory) the direct kernels run and still match the cpu backend', async () => {
  await initBackend('wasm', { threads: 2 });
  const memory = (tf.backend() as unknown as { wasm: { wasmMemory?: { buffer: ArrayBufferLike } } }).wasm.wasmMemory;
  assert.ok(memory && memory.buffer instanceof SharedArrayBuffer, 'the 2-thread backend has no shared memory: the case is vacuous');
  const c: Case = { x: [9, 14, 14, 8], w: [3, 3, 8, 16], stride: [1, 1], pad: 'same' };
  const ours = await convOn('wasm', c);
  const ref = await convOn('cpu', c);
  for (let i = 0; i < 3; i++) assert.ok(relErr(ours[i]!, ref[i]!) < 2e-5, `output ${i}`);
  const x = tf.tensor4d(values([4, 8, 8, 8], 41), [4, 8, 8, 8]);
  const pooled = tf.tidy(() => globalAvgPool(tf.maxPool(x, 2, 2, 'valid')).dataSync().slice() as Float32Array);
  const stock = tf.tidy(() => tf.mean(tf.maxPool(x, 2, 2, 'valid'), [1, 2]).dataSync().slice() as Float32Array);
  same(pooled, stock, 'pool then mean');
  const keys = directKernelsCompiled(tf.backend());
  for (const k of ['dw:8,16,14,14,3,3,1,1,16,16', 'pad:14,14,8,16,16,1,1', 'mp:8,8,8', 'mean:16,8']) assert.ok(keys.includes(k), `${k}: ${keys.join(' ')}`);
  tf.dispose(x);
  await initBackend('wasm', { threads: 1 });
});
