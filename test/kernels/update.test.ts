// The fused optimiser and EMA updates on wasm: the same values as the op-by-op formulas, with no
// tfjs kernel call per parameter, and the convolution sees the new weights (no stale operator cache).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';
import { sgdMomentumUpdate } from '../../src-main/engine/train/sgd.ts';
import { emaUpdate } from '../../src-main/engine/train/ema.ts';
import type { Params } from '../../src-main/engine/model.ts';

test.before(async () => {
  await initBackend('wasm', { threads: 1 });
});

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `[${i}] ${a[i]} vs ${b[i]}`);
};

test('fused SGD with momentum equals v ← μv + g + wd·w, w ← w − ηv, per group, in no kernel calls', async () => {
  const shape: [number, number, number, number] = [3, 3, 4, 8];
  const w0 = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const m0 = tf.randomNormal(shape, 0, 1, 'float32', 2);
  const g = tf.randomNormal(shape, 0, 1, 'float32', 3);
  const pw0 = tf.randomNormal([8, 8], 0, 1, 'float32', 4);
  const pg = tf.randomNormal([8, 8], 0, 1, 'float32', 5);
  const online: Params = new Map([['enc.w', tf.variable(w0.clone(), true)], ['pred.w', tf.variable(pw0.clone(), true)]]);
  const mom: Params = new Map([['enc.w', tf.variable(m0.clone(), false)], ['pred.w', tf.variable(tf.zeros([8, 8]), false)]]);
  const keyOfVar = new Map([[online.get('enc.w')!.name, 'enc.w'], [online.get('pred.w')!.name, 'pred.w']]);
  const h = { momentum: 0.9, lr: 0.05, weightDecay: 4e-4, predictorLr: 0.5, predictorWeightDecay: 0.01 };
  const grads = { [online.get('enc.w')!.name]: g, [online.get('pred.w')!.name]: pg };
  const prof = await tf.profile(() => sgdMomentumUpdate(grads, keyOfVar, online, mom, h));
  assert.equal(prof.kernels.length, 0, `kernels: ${prof.kernels.map((k) => k.name).join(', ')}`);
  const v = tf.tidy(() => m0.mul(0.9).add(g).add(w0.mul(4e-4)));
  close(mom.get('enc.w')!.dataSync(), v.dataSync(), 1e-6);
  close(online.get('enc.w')!.dataSync(), tf.tidy(() => w0.sub(v.mul(0.05))).dataSync(), 1e-6);
  const pv = tf.tidy(() => pg.add(pw0.mul(0.01)));
  close(online.get('pred.w')!.dataSync(), tf.tidy(() => pw0.sub(pv.mul(0.5))).dataSync(), 1e-6);
  // A convolution with the updated weights uses them (XNNPACK caches operators by filter tensor).
  const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 6) as tf.Tensor4D;
  const before = tf.conv2d(x, w0 as tf.Tensor4D, 1, 'same');
  const warm = tf.conv2d(x, online.get('enc.w') as unknown as tf.Tensor4D, 1, 'same');
  sgdMomentumUpdate(grads, keyOfVar, online, mom, h);
  const after = tf.conv2d(x, online.get('enc.w') as unknown as tf.Tensor4D, 1, 'same');
  const expected = tf.conv2d(x, tf.tensor(online.get('enc.w')!.dataSync(), shape) as tf.Tensor4D, 1, 'same');
  close(after.dataSync(), expected.dataSync(), 1e-5);
  assert.ok(Math.abs(after.dataSync()[0]! - warm.dataSync()[0]!) > 0 || Math.abs(after.dataSync()[1]! - warm.dataSync()[1]!) > 0);
  tf.dispose([w0, m0, g, pw0, pg, v, pv, x, before, warm, after, expected, ...online.values(), ...mom.values()]);
});

test('fused EMA equals γW_a + (1 − γ)W in no kernel calls', async () => {
  const a0 = tf.randomNormal([64, 32], 0, 1, 'float32', 7);
  const o = tf.randomNormal([64, 32], 0, 1, 'float32', 8);
  const target: Params = new Map([['proj.l1.w', tf.variable(a0.clone(), false)]]);
  const online: Params = new Map([['proj.l1.w', tf.variable(o.clone(), false)]]);
  const prof = await tf.profile(() => emaUpdate(target, online, 0.996));
  assert.equal(prof.kernels.length, 0);
  close(target.get('proj.l1.w')!.dataSync(), tf.tidy(() => a0.mul(0.996).add(o.mul(0.004))).dataSync(), 1e-6);
  tf.dispose([a0, o, ...target.values(), ...online.values()]);
});
