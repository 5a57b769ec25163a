// Every kernel of the training step on the webgpu backend (SwiftShader here) against the cpu
// backend: values and gradients within float32 tolerance. Shapes are tiny: SwiftShader compiles
// each shader once and runs it on the CPU.
import { before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { swiftShaderTest as test, SWIFTSHADER, useSwiftShader } from './swiftshader.ts';
import { batchNorm, conv2d, dense, globalAvgPool, maxPool2 } from '../../src-main/engine/layers.ts';
import { values } from '../kernels/values.ts';

type Spec = { shape: number[]; seed: number };
type GradFn = (...xs: tf.Tensor[]) => tf.Scalar;

before(async () => {
  if (SWIFTSHADER.skip) return;
  useSwiftShader();
  const { initBackend } = await import('../../src-main/engine/backend.ts');
  const info = await initBackend('webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.equal(info.adapter?.fallback, true, 'the test machine has no GPU: SwiftShader is a software adapter');
});


/** Value and gradients of f on one backend, read back asynchronously (never dataSync on webgpu). */
async function gradsOn(backend: string, f: GradFn, specs: Spec[]): Promise<{ value: number; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  const xs = specs.map((s) => tf.tensor(values(s.shape, s.seed), s.shape));
  const { value, grads } = tf.tidy(() => tf.valueAndGrads(f)(xs));
  const [v, ...gs] = await Promise.all([value.data(), ...grads.map((g) => g.data())]);
  tf.dispose([value, ...grads, ...xs]);
  return { value: v![0]!, grads: gs as Float32Array[] };
}

/** Max |a − b| relative to max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(m, 1e-6);
}

async function assertSameGrads(name: string, f: GradFn, specs: Spec[], tol = 1e-4): Promise<void> {
  const gpu = await gradsOn('webgpu', f, specs);
  const ref = await gradsOn('cpu', f, specs);
  assert.ok(Math.abs(gpu.value - ref.value) <= tol * Math.max(1, Math.abs(ref.value)), `${name}: value ${gpu.value} vs ${ref.value}`);
  ref.grads.forEach((g, i) => {
    assert.ok(g.some((v) => v !== 0), `${name}: reference gradient ${i} is all zeros (test would be vacuous)`);
    const e = relErr(gpu.grads[i]!, g);
    assert.ok(e < tol, `${name}: gradient ${i} relative error ${e.toExponential(2)} ≥ ${tol}`);
  });
}

/** A fixed random projection of the output, so every output element gets a distinct weight. */
function probe(y: tf.Tensor, seed = 99): tf.Scalar {
  return tf.sum(tf.mul(y, tf.tensor(values(y.shape, seed), y.shape)));
}

test('conv2d forward, dx and dW (stride 1 and 2, same and valid)', async () => {
  for (const c of [
    { x: [2, 6, 6, 3], w: [3, 3, 3, 4], stride: 1, pad: 'same' },
    { x: [2, 7, 7, 4], w: [3, 3, 4, 5], stride: 2, pad: 'same' },
    { x: [2, 6, 6, 2], w: [3, 3, 2, 3], stride: 1, pad: 'valid' },
  ] as const) {
    await assertSameGrads(`conv2d x${c.x} w${c.w} s${c.stride} ${c.pad}`,
      (x, w) => probe(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)),
      [{ shape: [...c.x], seed: 1 }, { shape: [...c.w], seed: 2 }]);
  }
});

test('matMul with every transpose flag', async () => {
  for (const tA of [false, true]) {
    for (const tB of [false, true]) {
      await assertSameGrads(`matMul ${tA} ${tB}`, (x, y) => probe(tf.matMul(x, y, tA, tB)),
        [{ shape: tA ? [7, 5] : [5, 7], seed: 3 }, { shape: tB ? [3, 7] : [7, 3], seed: 4 }]);
    }
  }
  await assertSameGrads('dense + bias', (x, w, b) => probe(dense(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D)),
    [{ shape: [6, 10], seed: 7 }, { shape: [10, 4], seed: 8 }, { shape: [4], seed: 9 }]);
});

test('max-pool 2×2 and its gradient; global average pool', async () => {
  await assertSameGrads('maxPool2', (x) => probe(maxPool2(x as tf.Tensor4D)), [{ shape: [2, 6, 4, 3], seed: 10 }]);
  await assertSameGrads('globalAvgPool', (x) => probe(globalAvgPool(x as tf.Tensor4D)), [{ shape: [2, 4, 4, 3], seed: 11 }]);
});

test('batch norm (training mode): dx, dγ, dβ', async () => {
  for (const shape of [[4, 4, 4, 3], [8, 6]]) {
    const ch = shape[shape.length - 1]!;
    await assertSameGrads(`batchNorm ${shape}`,
      (x, g, b) => probe(batchNorm(x.mul(3).add(0.5), g as tf.Tensor1D, b as tf.Tensor1D, null).y),
      [{ shape, seed: 12 }, { shape: [ch], seed: 13 }, { shape: [ch], seed: 14 }], 2e-4);
  }
});

test('the loss: symmetrised 2 − 2cos and the squared error, with their gradients', async () => {
  const cosine = (p: tf.Tensor, t: tf.Tensor) => {
    const pn = p.div(p.norm('euclidean', 1, true).add(1e-12));
    const tn = t.div(t.norm('euclidean', 1, true).add(1e-12));
    return tf.scalar(2).sub(pn.mul(tn).sum(1).mean().mul(2)) as tf.Scalar;
  };
  await assertSameGrads('cosine loss', (p, t) => cosine(p, t), [{ shape: [6, 8], seed: 15 }, { shape: [6, 8], seed: 16 }]);
  await assertSameGrads('mse loss', (p, t) => tf.sum(tf.square(p.sub(t)), 1).mean() as tf.Scalar,
    [{ shape: [6, 8], seed: 17 }, { shape: [6, 8], seed: 18 }]);
});

test('momentum SGD and the EMA update (variables assigned in place) match the cpu backend', async () => {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const w = tf.variable(tf.tensor(values([5, 4], 20), [5, 4]));
    const m = tf.variable(tf.zeros([5, 4]));
    const target = tf.variable(tf.tensor(values([5, 4], 21), [5, 4]));
    const g = tf.tensor(values([5, 4], 22), [5, 4]);
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const v = m.mul(0.9).add(g).add(w.mul(4e-4));
        m.assign(v);
        w.assign(w.sub(v.mul(0.05)));
        target.assign(target.mul(0.99).add(w.mul(0.01)));
      });
    }
    const out = await Promise.all([w.data(), m.data(), target.data()]);
    tf.dispose([w, m, target, g]);
    return out;
  };
  const gpu = await run('webgpu');
  const cpu = await run('cpu');
  for (let i = 0; i < 3; i++) assert.ok(relErr(gpu[i]!, cpu[i]!) < 1e-6, `tensor ${i}: ${relErr(gpu[i]!, cpu[i]!)}`);
});

test('a conv-bn-relu-pool-dense network: every gradient matches', async () => {
  const net: GradFn = (x, w1, g1, b1, w2, wd) => {
    let h = conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D);
    h = maxPool2(tf.relu(batchNorm(h, g1 as tf.Tensor1D, b1 as tf.Tensor1D, null).y) as tf.Tensor4D);
    h = tf.relu(conv2d(h, w2 as tf.Tensor4D));
    return tf.mean(tf.square(tf.sub(dense(globalAvgPool(h), wd as tf.Tensor2D), 0.3)));
  };
  await assertSameGrads('small net', net, [
    { shape: [4, 8, 8, 3], seed: 30 }, { shape: [3, 3, 3, 4], seed: 31 }, { shape: [4], seed: 32 },
    { shape: [4], seed: 33 }, { shape: [3, 3, 4, 6], seed: 34 }, { shape: [6, 5], seed: 35 },
  ], 5e-4);
});
