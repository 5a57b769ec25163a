import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';
import { buildBackbone } from '../../src-main/engine/model.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { augmentView, planAugment } from '../../src-main/engine/augment.ts';
import { Rng } from '../../src-main/math/seeds.ts';

test.before(async () => {
  await initBackend('wasm');
});

function paramCount(p: Map<string, tf.Variable>): number {
  let n = 0;
  for (const v of p.values()) n += v.size;
  return n;
}

test('ResNet-18 (CIFAR stem) has the usual 11.2M encoder parameters and 512-d features', () => {
  const setup = parseSetup({ encoder: { kind: 'resnet18' }, projector: { hidden: 512, out: 128 } });
  const bb = buildBackbone(setup, { height: 32, width: 32, channels: 3 });
  const enc = new Map([...bb.params].filter(([k]) => k.startsWith('enc.')));
  // torchvision-style ResNet-18 with a 3×3 stem and no fc: 11,168,832 parameters (weights + BN γ/β).
  assert.equal(paramCount(enc), 11_168_832);
  const x = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D;
  const f = bb.features(x, bb.params, { training: true });
  assert.deepEqual(f.shape, [2, 512]);
  const z = bb.project(f, bb.params, { training: true });
  assert.deepEqual(z.shape, [2, 128]);
  tf.dispose([x, f, z, ...bb.params.values(), ...bb.running.values()]);
});

test('the ConvNet encoder: widths set the feature size; residual blocks add parameters', () => {
  const plain = buildBackbone(parseSetup({ encoder: { kind: 'convnet', widths: [8, 16, 24] } }), { height: 28, width: 28, channels: 1 });
  const res = buildBackbone(parseSetup({ encoder: { kind: 'convnet', widths: [8, 16, 24], residual: true } }), { height: 28, width: 28, channels: 1 });
  assert.equal(plain.encoder.featureDim, 24);
  assert.ok(paramCount(res.params) > paramCount(plain.params));
  const x = tf.randomNormal([3, 28, 28, 1]) as tf.Tensor4D;
  const f = res.features(x, res.params, { training: true });
  assert.deepEqual(f.shape, [3, 24]);
  tf.dispose([x, f, ...plain.params.values(), ...plain.running.values(), ...res.params.values(), ...res.running.values()]);
});

test('initial weights depend only on the root seed and the parameter name', () => {
  const a = buildBackbone(parseSetup({ seed: 5, projector: { hidden: 64, out: 32 } }), { height: 28, width: 28, channels: 1 });
  const b = buildBackbone(parseSetup({ seed: 5, projector: { hidden: 128, out: 32 } }), { height: 28, width: 28, channels: 1 });
  const c = buildBackbone(parseSetup({ seed: 6, projector: { hidden: 64, out: 32 } }), { height: 28, width: 28, channels: 1 });
  const w = (bb: typeof a) => Array.from(bb.params.get('enc.s0.c.w')!.dataSync());
  assert.deepEqual(w(a), w(b), 'changing the projector leaves the encoder init alone');
  assert.notDeepEqual(w(a), w(c));
  for (const bb of [a, b, c]) tf.dispose([...bb.params.values(), ...bb.running.values()]);
});

test('augmentations: seeded, in range, and a reversed box flips the image', () => {
  const cfg = parseSetup({}).augment;
  const p1 = planAugment(4, cfg, new Rng(9));
  const p2 = planAugment(4, cfg, new Rng(9));
  assert.deepEqual(p1, p2);
  // Flip: box (0, 1, 1, 0) with every jitter off mirrors the columns.
  const img = tf.tensor4d(Float32Array.from({ length: 16 }, (_, i) => (i % 4) / 3), [1, 4, 4, 1]);
  const plain = { ...cfg, brightness: 0, contrast: 0, saturation: 0, grayscale: 0, noise: 0 };
  const flip = { ...planAugment(1, plain, new Rng(1)), boxes: Float32Array.from([0, 1, 1, 0]) };
  const out = augmentView(img, flip, plain);
  const got = Array.from(out.dataSync());
  const want = Array.from({ length: 16 }, (_, i) => ((3 - (i % 4)) / 3 - 0.5) * 2);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-5, `pixel ${i}: ${g} vs ${want[i]}`));
  // Colour views: values stay in [-1, 1] after jitter, grayscale and noise.
  const rgb = tf.randomUniform([8, 12, 12, 3]) as tf.Tensor4D;
  const noisy = { ...cfg, noise: 0.1, grayscale: 0.5 };
  const v = augmentView(rgb, planAugment(8, noisy, new Rng(3)), noisy);
  const vals = v.dataSync();
  assert.ok(Math.min(...vals) >= -1 - 1e-6 && Math.max(...vals) <= 1 + 1e-6);
  tf.dispose([img, out, rgb, v]);
});
