// Backend choice: auto falls back silently past the missing native packages; explicit choices
// that cannot start fail with an error saying what to install; repeated calls are harmless.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
};

test('auto picks the fastest available backend and records versions', async () => {
  const info = await initBackend('auto');
  const expected = installed('@tensorflow/tfjs-node-gpu') ? 'tfjs-node-gpu' : installed('@tensorflow/tfjs-node') ? 'tfjs-node' : 'wasm';
  assert.equal(info.kind, expected);
  assert.equal(tf.getBackend(), info.tfBackend);
  assert.equal(info.versions['tfjs-core'], tf.version_core);
  if (info.kind === 'wasm') {
    assert.equal(info.versions['tfjs-backend-wasm'], '4.22.0');
    assert.match(info.versions['wasm-simd'], /^(true|false)$/);
  }
  const again = await initBackend('auto');
  assert.deepEqual(again, info);
});

test('explicit wasm and cpu start, and switching back and forth works', async () => {
  const cpu = await initBackend('cpu');
  assert.equal(cpu.kind, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const wasm = await initBackend('wasm');
  assert.equal(wasm.kind, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  // Training works on wasm: the conv filter gradient kernel is registered.
  const g = tf.grad((w: tf.Tensor) => tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').sum())(tf.ones([3, 3, 2, 3]));
  assert.deepEqual(g.shape, [3, 3, 2, 3]);
  assert.ok(g.dataSync().every((v) => v > 0));
});

test('an unavailable explicit backend throws an error naming the package and how to install it', async (t) => {
  for (const kind of ['tfjs-node', 'tfjs-node-gpu'] as const) {
    if (installed(`@tensorflow/${kind}`)) {
      t.diagnostic(`${kind} is installed here; its failure message cannot be tested`);
      continue;
    }
    await assert.rejects(initBackend(kind), (e: Error) => {
      assert.match(e.message, new RegExp(`@tensorflow/${kind}`));
      assert.match(e.message, /npm install/);
      return true;
    });
  }
  await assert.rejects(initBackend('tpu' as never), /unknown backend 'tpu'/);
});
