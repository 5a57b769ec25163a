// Batch norm's training kernels on wasm (kernels/batch-norm.ts: SIMD loops on the backend's own
// memory when channels are a multiple of 4, JS loops otherwise) against the cpu backend's tf ops,
// on the single-threaded build (exported memory) and the threaded one (shared memory).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';
import { batchNorm } from '../../src-main/engine/layers.ts';
import { simdLoopsFor } from '../../src-main/engine/kernels/simd.ts';

/** y, mean, variance and dx, dγ, dβ of Σ(y·probe) for x = 3·N(0, 1) + shift, on the current backend. */
function bnAll(shape: number[], shift: number): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[shape.length - 1]!;
    const x = tf.randomNormal(shape, shift, 3, 'float32', 1);
    const g = tf.randomUniform([c], 0.5, 1.5, 'float32', 2);
    const b = tf.randomNormal([c], 0, 1, 'float32', 3);
    const probe = tf.randomNormal(shape, 0, 1, 'float32', 4);
    const out = batchNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, null);
    const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(batchNorm(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, null).y, probe)))([x, g, b]);
    return [out.y, out.mean, out.variance, ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });
}

/** Max |a − b| over max |b|. */
function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(m, 1e-6);
}

const NAMES = ['y', 'mean', 'variance', 'dx', 'dγ', 'dβ'];
// 4-D and 2-D, SIMD (c % 4 = 0, more rows than one float32 block of 256) and JS (c = 7) paths;
// a mean 7 standard deviations from zero, where a plain one-pass variance in float32 loses its digits.
const CASES: [number[], number][] = [[[16, 8, 8, 32], 0.5], [[16, 8, 8, 32], 20], [[64, 512], 1], [[6, 5, 5, 7], 20]];

for (const threads of [1, 2]) {
  test(`batch norm kernels on wasm with ${threads} thread(s) match the cpu backend (forward, statistics, gradients)`, async () => {
    await tf.setBackend('cpu');
    const ref = CASES.map(([shape, shift]) => bnAll(shape, shift));
    await initBackend('wasm', { threads });
    assert.ok(simdLoopsFor(tf.backend()), 'the SIMD loops found the wasm backend\'s memory');
    const before = tf.memory().numTensors;
    CASES.forEach(([shape, shift], i) => {
      const ours = bnAll(shape, shift);
      ours.forEach((a, k) => {
        const e = relErr(a, ref[i]![k]!);
        assert.ok(e < 2e-5, `${shape} shift ${shift}: ${NAMES[k]} differs from cpu by ${e}`);
      });
    });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  });
}

/** y and dx, dγ, dβ of Σ(relu(BN(x))·probe), the ReLU fused into the kernel (`fused`) or a tf.relu after it. */
function bnRelu(shape: number[], fused: boolean, nanAt = -1): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[shape.length - 1]!;
    const x0 = tf.randomNormal(shape, 0.3, 3, 'float32', 5);
    // A NaN in one element (a diverging run): its channel's statistics, output and gradients are NaN.
    const x = nanAt < 0 ? x0 : tf.where(tf.equal(tf.range(0, x0.size).reshape(shape), nanAt), tf.fill(shape, NaN), x0);
    const g = tf.randomUniform([c], -1.5, 1.5, 'float32', 6); // negative γ too: a ReLU then blocks other signs
    const b = tf.randomNormal([c], 0, 1, 'float32', 7);
    const probe = tf.randomNormal(shape, 0, 1, 'float32', 8);
    const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => (fused
      ? batchNorm(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, null, 1e-5, true).y
      : tf.relu(batchNorm(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, null).y));
    const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, gg, bb), probe)))([x, g, b]);
    return [f(x, g, b), ...grads].map((t) => t.dataSync().slice() as Float32Array);
  });
}

test('batch norm with the ReLU fused: bit for bit BN then tf.relu on wasm (SIMD and JS paths), and the cpu backend within 2e-5', async () => {
  const shapes = [[16, 8, 8, 32], [32, 32], [6, 5, 5, 7]];
  await tf.setBackend('cpu');
  const ref = shapes.map((s) => bnRelu(s, true));
  await initBackend('wasm', { threads: 1 });
  for (const [i, shape] of shapes.entries()) {
    const info = await tf.profile(() => bnRelu(shape, true));
    assert.ok(!info.kernelNames.includes('Relu') && !info.kernelNames.includes('DplabReluGrad'), `${shape}: ${info.kernelNames.join(', ')}`);
    const fused = bnRelu(shape, true);
    const apart = bnRelu(shape, false);
    ['y', 'dx', 'dγ', 'dβ'].forEach((what, k) => {
      const [a, b] = [fused[k]!, apart[k]!];
      for (let j = 0; j < a.length; j++) assert.ok(Object.is(a[j], b[j]), `${shape} ${what} [${j}]: fused ${a[j]} vs apart ${b[j]}`);
      assert.ok(relErr(a, ref[i]![k]!) < 2e-5, `${shape} ${what}: differs from cpu`);
    });
    assert.ok(fused[0]!.some((v) => v === 0) && fused[0]!.some((v) => v > 0), `${shape}: the ReLU neither blocked nor passed anything`);
  }
});

test('batch norm with the ReLU fused: a NaN in one channel stays NaN there (a diverging run shows), and the other channels are bit for bit BN then tf.relu', async () => {
  await initBackend('wasm', { threads: 1 });
  // tf.relu on wasm turns NaN into 0 on some elements (seen: 7 channels, a row's tail) and keeps it
  // on others; the fused kernel propagates it everywhere, as PyTorch's relu does.
  for (const shape of [[8, 4], [6, 7], [4, 3, 3, 8]]) {
    const c = shape[shape.length - 1]!;
    const bad = 5 % c; // the channel of the NaN (flat index 5)
    const fused = bnRelu(shape, true, 5);
    const apart = bnRelu(shape, false, 5);
    ['y', 'dx'].forEach((what, k) => {
      const [a, b] = [fused[k]!, apart[k]!];
      for (let j = 0; j < a.length; j++) {
        if (j % c === bad) assert.ok(Number.isNaN(a[j]!), `${shape} ${what} [${j}]: ${a[j]} in the NaN's channel`);
        else assert.ok(Object.is(a[j], b[j]), `${shape} ${what} [${j}]: fused ${a[j]} vs apart ${b[j]}`);
      }
    });
    ['dγ', 'dβ'].forEach((what, i) => {
      const [a, b] = [fused[2 + i]!, apart[2 + i]!];
      for (let j = 0; j < c; j++) {
        if (j === bad) assert.ok(Number.isNaN(a[j]!), `${shape} ${what} [${j}]: ${a[j]}`);
        else assert.ok(Object.is(a[j], b[j]), `${shape} ${what} [${j}]: fused ${a[j]} vs apart ${b[j]}`);
      }
    });
  }
});
