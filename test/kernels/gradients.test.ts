// Gradients on the wasm backend with our training kernels against the cpu backend's stock kernels
// and tfjs's stock gradients (layers.ts falls back to plain tf ops on cpu).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';
import { trainingKernelsActive } from '../../src-main/engine/kernels/index.ts';
import { batchNorm, conv2d, dense, globalAvgPool, maxPool2 } from '../../src-main/engine/layers.ts';
import { values } from './values.ts';

type Spec = { shape: number[]; seed: number };
type GradFn = (...xs: tf.Tensor[]) => tf.Scalar;

before(async () => {
  const info = await initBackend('wasm');
  assert.equal(info.tfBackend, 'wasm');
  assert.ok(trainingKernelsActive('wasm'));
  assert.ok(!trainingKernelsActive('cpu'));
});


/** Value and gradients of f at the inputs on one backend, as plain arrays. */
async function gradsOn(backend: string, f: GradFn, specs: Spec[]): Promise<{ value: number; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  const xs = specs.map((s) => tf.tensor(values(s.shape, s.seed), s.shape));
  const { value, grads } = tf.tidy(() => {
    const r = tf.valueAndGrads(f)(xs);
    return { value: r.value, grads: r.grads };
  });
  const out = { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync().slice() as Float32Array) };
  tf.dispose([value, ...grads, ...xs]);
  await tf.setBackend('wasm');
  return out;
}

/** Max |a − b| relative to max |b| (plus a floor, for gradients that are all tiny). */
function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, 1e-6);
}

async function assertSameGrads(name: string, f: GradFn, specs: Spec[], tol = 1e-4): Promise<void> {
  const ours = await gradsOn('wasm', f, specs);
  const ref = await gradsOn('cpu', f, specs);
  assert.ok(Math.abs(ours.value - ref.value) <= tol * Math.max(1, Math.abs(ref.value)), `${name}: value ${ours.value} vs ${ref.value}`);
  ref.grads.forEach((g, i) => {
    assert.ok(g.some((v) => v !== 0), `${name}: reference gradient ${i} is all zeros (test would be vacuous)`);
    const e = relErr(ours.grads[i], g);
    assert.ok(e < tol, `${name}: gradient ${i} relative error ${e.toExponential(2)} ≥ ${tol}`);
  });
}

/** A fixed random projection of the output, so every output element gets a distinct weight. */
function probe(y: tf.Tensor, seed = 99): tf.Scalar {
  return tf.sum(tf.mul(y, tf.tensor(values(y.shape, seed), y.shape)));
}

const convCases: { x: number[]; w: number[]; stride: 1 | 2; pad: 'same' | 'valid' }[] = [
  { x: [2, 8, 8, 1], w: [3, 3, 1, 4], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], w: [3, 3, 3, 8], stride: 1, pad: 'same' },
  { x: [3, 6, 6, 8], w: [3, 3, 8, 16], stride: 1, pad: 'same' },
  { x: [2, 5, 7, 16], w: [3, 3, 16, 5], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], w: [3, 3, 3, 8], stride: 2, pad: 'same' },
  { x: [2, 7, 7, 4], w: [3, 3, 4, 6], stride: 2, pad: 'same' },
  { x: [2, 9, 9, 1], w: [3, 3, 1, 4], stride: 2, pad: 'same' },
  { x: [2, 9, 8, 4], w: [5, 5, 4, 3], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 4], w: [3, 3, 4, 3], stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], w: [3, 3, 4, 3], stride: 1, pad: 'valid' },
];

test('conv2d: dx and dW match the cpu backend (strides 1 and 2, same/valid, 1-16 channels)', async () => {
  for (const c of convCases) {
    await assertSameGrads(`conv2d x${c.x} w${c.w} s${c.stride} ${c.pad}`,
      (x, w) => probe(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)),
      [{ shape: c.x, seed: 1 }, { shape: c.w, seed: 2 }]);
  }
});

test('conv2d of the first layer: only dW is asked for (the input is a constant)', async () => {
  const x = values([2, 8, 8, 3], 5);
  const f = (w: tf.Tensor) => probe(conv2d(tf.tensor4d(x, [2, 8, 8, 3]), w as tf.Tensor4D));
  await assertSameGrads('conv2d dW only', f, [{ shape: [3, 3, 3, 8], seed: 6 }]);
});

test('matMul: all transpose flags, rank 2 and batched rank 3', async () => {
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      const a = tA ? [7, 5] : [5, 7];
      const b = tB ? [3, 7] : [7, 3];
      await assertSameGrads(`matMul ${tA} ${tB}`, (x, y) => probe(tf.matMul(x, y, tA, tB)),
        [{ shape: a, seed: 3 }, { shape: b, seed: 4 }]);
      await assertSameGrads(`batched matMul ${tA} ${tB}`, (x, y) => probe(tf.matMul(x, y, tA, tB)),
        [{ shape: [2, ...a], seed: 3 }, { shape: [2, ...b], seed: 4 }]);
    }
  }
});

test('dense with bias matches', async () => {
  await assertSameGrads('dense', (x, w, b) => probe(dense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D)),
    [{ shape: [6, 10], seed: 7 }, { shape: [10, 4], seed: 8 }, { shape: [4], seed: 9 }]);
});

test('maxPool: 2×2 stride 2 (fast path) and other geometries (generic path)', async () => {
  await assertSameGrads('maxPool2', (x) => probe(maxPool2(x as tf.Tensor4D)), [{ shape: [2, 8, 6, 5], seed: 10 }]);
  // wasm's stock MaxPoolGrad gets some of these wrong (2×2/2 'same' on odd sizes).
  for (const [k, s, pad] of [[3, 2, 'same'], [2, 2, 'same'], [3, 1, 'same'], [3, 2, 'valid']] as const) {
    await assertSameGrads(`maxPool ${k}x${k} s${s} ${pad}`, (x) => probe(tf.maxPool(x as tf.Tensor4D, k, s, pad)),
      [{ shape: [2, 7, 7, 3], seed: 11 }]);
  }
});

test('batch norm (training mode): dx, dγ, dβ and the batch statistics, 4-D and 2-D, small and large mean', async () => {
  // The last case has a mean ~7 standard deviations from zero: a one-pass variance in float32
  // would lose most of its digits there.
  for (const [shape, shift] of [[[4, 6, 6, 5], 0.5], [[8, 12], 0.5], [[6, 3, 3, 7], 0.5], [[16, 8, 8, 16], 20]] as [number[], number][]) {
    const ch = shape[shape.length - 1]!;
    // Shift and scale the input so the statistics are non-trivial.
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      probe(batchNorm(x.mul(3).add(shift), g as tf.Tensor1D, b as tf.Tensor1D, null).y);
    await assertSameGrads(`batchNorm ${shape}`, f,
      [{ shape, seed: 12 }, { shape: [ch], seed: 13 }, { shape: [ch], seed: 14 }], 2e-4);
    // Statistics for the running averages.
    const stats = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor(values(shape, 12), shape).mul(3).add(shift);
      const o = batchNorm(x, tf.ones([ch]) as tf.Tensor1D, tf.zeros([ch]) as tf.Tensor1D, null);
      const r = [o.mean.dataSync().slice(), o.variance.dataSync().slice()];
      tf.dispose([x, o.y, o.mean, o.variance]);
      await tf.setBackend('wasm');
      return r as Float32Array[];
    };
    const [m1, v1] = await stats('wasm');
    const [m2, v2] = await stats('cpu');
    assert.ok(relErr(m1, m2) < 1e-5 && relErr(v1, v2) < 1e-5, `batchNorm ${shape}: batch statistics differ`);
  }
});

/** conv-bn-relu-pool ×2, global average pool, dense, squared loss: every parameter's gradient. */
const smallNet = (x: tf.Tensor, w1: tf.Tensor, g1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, g2: tf.Tensor, b2: tf.Tensor, wd: tf.Tensor): tf.Scalar => {
  let h = conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D);
  h = tf.relu(batchNorm(h, g1 as tf.Tensor1D, b1 as tf.Tensor1D, null).y) as tf.Tensor4D;
  h = maxPool2(h);
  h = conv2d(h, w2 as tf.Tensor4D);
  h = tf.relu(batchNorm(h, g2 as tf.Tensor1D, b2 as tf.Tensor1D, null).y) as tf.Tensor4D;
  h = maxPool2(h);
  const out = dense(globalAvgPool(h), wd as tf.Tensor2D);
  return tf.mean(tf.square(tf.sub(out, 0.3)));
};
const netSpecs: Spec[] = [
  { shape: [4, 8, 8, 3], seed: 30 },
  { shape: [3, 3, 3, 8], seed: 31 },
  { shape: [8], seed: 32 },
  { shape: [8], seed: 33 },
  { shape: [3, 3, 8, 16], seed: 34 },
  { shape: [16], seed: 35 },
  { shape: [16], seed: 36 },
  { shape: [16, 5], seed: 37 },
];

test('small network conv-bn-relu-pool-dense: every gradient matches', async () => {
  await assertSameGrads('small net', smallNet as GradFn, netSpecs, 5e-4);
});

test('repeated gradient steps on wasm do not leak tensors', async () => {
  await tf.setBackend('wasm');
  const xs = netSpecs.map((s) => tf.variable(tf.tensor(values(s.shape, s.seed), s.shape)));
  const opt = tf.train.momentum(0.01, 0.9);
  const step = () => {
    const cost = opt.minimize(() => (smallNet as GradFn)(...xs), true, xs.slice(1));
    cost?.dispose();
  };
  step();
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) step();
  assert.equal(tf.memory().numTensors, before);
  opt.dispose();
  tf.dispose(xs);
});
