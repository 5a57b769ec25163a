// The auto ladder never trains on a software GPU adapter; an explicit --backend webgpu does (that
// is how webgpu is tested without a GPU), and it reports the adapter it runs on.
import { before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { swiftShaderTest as test, SWIFTSHADER, useSwiftShader } from './swiftshader.ts';

before(() => {
  if (SWIFTSHADER.skip) return;
  useSwiftShader();
});

test('auto passes over SwiftShader, saying why, and lands on wasm', async () => {
  const { initBackend } = await import('../../src-main/engine/backend.ts');
  const { probeAdapter } = await import('../../src-main/engine/webgpu.ts');
  const probe = await probeAdapter();
  assert.ok('adapter' in probe, `Dawn sees SwiftShader: ${JSON.stringify(probe)}`);
  assert.equal(probe.adapter.architecture, 'swiftshader');
  assert.equal(probe.adapter.fallback, true);
  const info = await initBackend('auto');
  assert.equal(info.kind, 'wasm');
  assert.equal(info.adapter, undefined);
  const why = info.skipped?.find((s) => s.kind === 'webgpu');
  assert.match(why?.reason ?? '', /software adapter.*swiftshader/i);
});

test('--backend webgpu runs on SwiftShader and reports the adapter and package versions', async () => {
  const { initBackend } = await import('../../src-main/engine/backend.ts');
  const info = await initBackend('webgpu');
  assert.equal(info.kind, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.deepEqual(
    { vendor: info.adapter?.vendor, architecture: info.adapter?.architecture, fallback: info.adapter?.fallback },
    { vendor: 'google', architecture: 'swiftshader', fallback: true },
  );
  assert.match(info.adapter?.description ?? '', /SwiftShader/);
  assert.equal(info.versions['tfjs-backend-webgpu'], '4.22.0');
  assert.match(info.versions.webgpu ?? '', /^\d+\.\d+\.\d+$/);
  // A computation on the GPU, read back asynchronously.
  const y = tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]));
  assert.deepEqual(Array.from(await y.data()), [4, 4, 4, 4, 4, 4]);
  y.dispose();
  // Switching away and back keeps the same device and adapter.
  await initBackend('cpu');
  const again = await initBackend('webgpu');
  assert.deepEqual(again.adapter, info.adapter);
  // auto still refuses the software adapter after it was started explicitly.
  const auto = await initBackend('auto');
  assert.notEqual(auto.kind, 'webgpu');
});
