// The ReLU gradient kernel on wasm (kernels/relu.ts) against tfjs's own formula dy · cast(step(x))
// on the same backend, bit for bit, special values included; and that a gradient through tf.relu
// on wasm runs it (one kernel) instead of Step, Cast and Multiply. Also the copy-free Identity
// (kernels/index.ts) that every tensor a gradient saves goes through.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';
import { RELU_GRAD } from '../../src-main/engine/kernels/relu.ts';

before(async () => {
  const info = await initBackend('wasm', { threads: 1 });
  assert.equal(info.tfBackend, 'wasm');
});

/** n values: seeded uniforms in [−2, 2] with zeros, −0, NaN, ±Infinity and tiny values mixed in. */
function values(n: number, seed: number): Float32Array {
  const special = [0, -0, NaN, Infinity, -Infinity, 1e-38, -1e-38, 1e-45];
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = i % 7 === 3 ? special[(s >>> 8) % special.length]! : (s / 2 ** 32) * 4 - 2;
  }
  return out;
}

test('the kernel equals dy · cast(step(x)) bit for bit (sizes with and without a remainder of 4)', () => {
  for (const shape of [[4, 7, 7, 8], [3, 5, 5, 3], [1, 1], [2, 9]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(values(n, 11), shape);
    const dy = tf.tensor(values(n, 23), shape);
    const ours = (tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor).dataSync() as Float32Array;
    const stock = tf.tidy(() => tf.mul(dy, tf.cast(tf.step(x), 'float32'))).dataSync() as Float32Array;
    let negZeros = 0;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(stock[i]!)) assert.ok(Number.isNaN(ours[i]!), `shape ${shape} [${i}]: NaN expected, got ${ours[i]}`);
      else assert.ok(Object.is(ours[i], stock[i]), `shape ${shape} [${i}]: x ${x.dataSync()[i]} dy ${dy.dataSync()[i]}: ${ours[i]} vs ${stock[i]}`);
      if (Object.is(stock[i], -0)) negZeros++;
    }
    if (n > 100) assert.ok(negZeros > 0, 'no signed zero in the reference: the case is vacuous');
    tf.dispose([x, dy]);
  }
});

test('a gradient through tf.relu on wasm runs the kernel, not Step', async () => {
  const x = tf.tensor(values(4 * 6 * 6 * 8, 5), [4, 6, 6, 8]);
  const w = tf.tensor(values(4 * 6 * 6 * 8, 7), [4, 6, 6, 8]);
  const info = await tf.profile(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), w)))(x));
  const names = info.kernelNames;
  assert.ok(names.includes(RELU_GRAD), `kernels: ${names.join(', ')}`);
  assert.ok(!names.includes('Step'), `kernels: ${names.join(', ')}`);
  const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), w)))(x).dataSync();
  const ref = tf.tidy(() => tf.mul(w, tf.cast(tf.step(x), 'float32'))).dataSync();
  for (let i = 0; i < g.length; i++) assert.ok(Object.is(g[i], ref[i]) || (Number.isNaN(g[i]!) && Number.isNaN(ref[i]!)), `[${i}]: ${g[i]} vs ${ref[i]}`);
  tf.dispose([x, w]);
});

test('Identity on wasm shares the buffer: a clone costs no memory, outlives its source and keeps its values', () => {
  const x = tf.tensor(values(4096, 3), [64, 64]);
  const expected = x.dataSync().slice();
  const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const before = buffers();
  const y = tf.clone(x);
  assert.equal(buffers(), before, 'the clone allocated a copy');
  x.dispose();
  const got = y.dataSync();
  for (let i = 0; i < got.length; i++) assert.ok(Object.is(got[i], expected[i]) || (Number.isNaN(got[i]!) && Number.isNaN(expected[i]!)), `[${i}]`);
  y.dispose();
  assert.equal(buffers(), before - 1, 'the buffer is freed with its last tensor');
});
