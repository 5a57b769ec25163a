// One run on several cores: the wasm backend's XNNPACK pool really holds the asked-for threads,
// and the thread count changes results no more than float reassociation does; DPLAB_CORES sets
// the cores a default share divides.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { train } from '../../src-main/engine/trainer.ts';
import { initBackend } from '../../src-main/engine/backend.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import type { RunEnvironment, TrainerEvent } from '../../src-main/common/events.ts';
import { machineCores } from '../../src-main/common/backends.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const setup = parseSetup({
  seed: 7,
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 3, classes: 4, train: 512, test: 64 } },
  encoder: { kind: 'convnet', widths: [16, 32] },
  projector: { hidden: 64, out: 32 },
  optim: { batchSize: 32, epochs: 20, maxSteps: 20, lr: 0.05 },
  eval: { probeEpochs: 1, probeTrain: 64, probeTest: 64, spectraEvery: 5 },
});

async function losses(threads: number): Promise<{ losses: number[]; env: RunEnvironment; summaryThreads: number | null | undefined }> {
  const events: TrainerEvent[] = [];
  const summary = await train(setup, { backend: 'wasm', threads, onEvent: (e) => events.push(e) });
  assert.equal(summary.outcome, 'completed', summary.error);
  const started = events.find((e) => e.type === 'started');
  assert.ok(started && started.type === 'started');
  return {
    losses: events.flatMap((e) => (e.type === 'scalars' ? [e.values.loss!] : [])),
    env: started.env,
    summaryThreads: summary.threads,
  };
}

test('the pool has the threads asked for, and a conv computes the same on 1 and 2 threads', async () => {
  const x = (tf.randomNormal([8, 16, 16, 16], 0, 1, 'float32', 1) as tf.Tensor4D).arraySync();
  const w = (tf.randomNormal([3, 3, 16, 32], 0, 1, 'float32', 2) as tf.Tensor4D).arraySync();
  const out: Float32Array[] = [];
  for (const threads of [1, 2]) {
    const info = await initBackend('wasm', { threads });
    assert.equal(info.threads, threads);
    assert.equal(info.versions['wasm-threads'], String(threads));
    const y = tf.tidy(() => tf.conv2d(tf.tensor4d(x), tf.tensor4d(w), 1, 'same'));
    out.push(y.dataSync() as Float32Array);
    y.dispose();
  }
  let worst = 0;
  for (let i = 0; i < out[0]!.length; i++) worst = Math.max(worst, Math.abs(out[0]![i]! - out[1]![i]!) / (1e-3 + Math.abs(out[0]![i]!)));
  assert.ok(worst < 1e-5, `largest relative difference ${worst}`);
});

test('same seed on 1 and 2 threads: losses agree within 1e-4 relative over 20 steps, and the run records its threads', async () => {
  const one = await losses(1);
  const two = await losses(2);
  assert.equal(one.losses.length, 20);
  assert.equal(two.losses.length, 20);
  assert.equal(one.env.threads, 1);
  assert.equal(two.env.threads, 2);
  assert.equal(one.summaryThreads, 1);
  assert.equal(two.summaryThreads, 2);
  for (let i = 0; i < 20; i++) {
    const rel = Math.abs(one.losses[i]! - two.losses[i]!) / Math.abs(one.losses[i]!);
    assert.ok(rel < 1e-4, `step ${i + 1}: loss ${one.losses[i]} on 1 thread, ${two.losses[i]} on 2 (relative ${rel})`);
  }
  // The run trained: a test of equality between two broken runs would prove nothing.
  assert.ok(one.losses.every(Number.isFinite));
  assert.notEqual(one.losses[0], one.losses[19]);
});

test('a thread count outside 1-8 is refused with its value named', async () => {
  await assert.rejects(initBackend('wasm', { threads: 0 }), /threads must be an integer from 1 to 8, got '0'/);
  await assert.rejects(initBackend('wasm', { threads: 2.5 }), /got '2.5'/);
});

test('a sweep divides the cores: threadShare gives each of N concurrent runs an equal share, 1 to 8', async () => {
  const { threadShare } = await import('../../src-main/common/backends.ts');
  assert.equal(threadShare(2, 1), 2);
  assert.equal(threadShare(2, 2), 1);
  assert.equal(threadShare(2, 5), 1);
  assert.equal(threadShare(8, 3), 2);
  assert.equal(threadShare(64, 1), 8);
  assert.equal(threadShare(4, 0), 4);
});

test('DPLAB_CORES: the cores dplab counts as the machine\'s; a malformed value is named', () => {
  assert.equal(machineCores({}, 2), 2);
  assert.equal(machineCores({ DPLAB_CORES: '' }, 2), 2);
  assert.equal(machineCores({ DPLAB_CORES: '1' }, 16), 1);
  assert.equal(machineCores({ DPLAB_CORES: ' 6 ' }, 2), 6);
  assert.equal(machineCores({}, 0), 1, 'at least one core');
  for (const bad of ['0', '-1', '1.5', 'two', '2x', '99999', '__proto__']) {
    assert.throws(() => machineCores({ DPLAB_CORES: bad }, 2), new RegExp(`DPLAB_CORES must be an integer from 1 to 1024, got '${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`), bad);
  }
});

test('a run started without --threads trains on the DPLAB_CORES share, and the run records it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-cores-'));
  try {
    const file = join(dir, 'setup.json');
    writeFileSync(file, JSON.stringify({ ...setup, optim: { ...setup.optim, maxSteps: 2 }, eval: { ...setup.eval, probeEpochs: 1, spectraEvery: 2 } }));
    const run = (cores: string) => {
      const out = join(dir, `summary-${cores}.json`);
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/dplab.mjs'), 'run', file, '--no-archive', '--quiet', '--backend', 'wasm', '--out', out], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, DPLAB_CORES: cores } });
      return { r, summary: r.status === 0 ? (JSON.parse(readFileSync(out, 'utf8')) as { threads: number }) : null };
    };
    const two = run('2');
    assert.equal(two.r.status, 0, two.r.stderr.slice(-1500));
    assert.equal(two.summary!.threads, 2);
    const one = run('1');
    assert.equal(one.summary!.threads, 1);
    const bad = run('lots');
    assert.notEqual(bad.r.status, 0);
    assert.match(bad.r.stderr, /DPLAB_CORES must be an integer from 1 to 1024, got 'lots'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
