// Shared by train-*.test.ts: whole training steps on webgpu (SwiftShader) against wasm: BYOL + DirectPred, SimSiam with a
// linear predictor and BYOL with an MLP predictor; every parameter after 3 steps, the losses, no
// tensor leak and flat GPU memory. The trainer never calls dataSync (in Node it would throw on
// webgpu), so a completed run is also proof of asynchronous readback.
import { before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { swiftShaderTest as test, SWIFTSHADER, useSwiftShader } from './swiftshader.ts';
import { parseSetup, type SetupInput } from '../../src-main/common/setup.ts';
import type { Checkpoint } from '../../src-main/engine/checkpoint.ts';
import type { RunEnvironment } from '../../src-main/common/events.ts';
import type { Dataset } from '../../src-main/data/types.ts';

let data: Dataset;
before(async () => {
  if (SWIFTSHADER.skip) return;
  useSwiftShader();
  const { loadDataset } = await import('../../src-main/data/index.ts');
  const d = await loadDataset(parseSetup(tiny({ kind: 'none' })).data, { seed: 5 });
  // Unlabelled: the run has nothing to evaluate, so the test pays only for training steps.
  data = { ...d, train: { ...d.train, labels: new Int32Array(d.train.count).fill(-1) } };
});

/** A very small BYOL setup: SwiftShader runs a step of it in about a second. */
function tiny(predictor: SetupInput['predictor'], method: 'byol' | 'simsiam' = 'byol'): SetupInput {
  return {
    seed: 5,
    method,
    predictor,
    data: { dataset: 'synthetic', synthetic: { size: 8, channels: 1, classes: 2, train: 64, test: 16 } },
    encoder: { kind: 'convnet', widths: [4, 8] },
    projector: { hidden: 16, out: 8 },
    optim: { batchSize: 8, epochs: 1, maxSteps: 4, lr: 0.05 },
    eval: { probeEpochs: 1, probeTrain: 16, probeTest: 8, spectraEvery: 1 },
  };
}

interface Trace {
  losses: number[];
  checkpoint: Checkpoint;
  env: RunEnvironment;
  tensors: number[];
  gpuBytes: number[];
}

/** Trains `input` on `backend` for 3 steps (of 4; cancelled at the checkpoint after step 3). */
async function trace(input: SetupInput, backend: 'webgpu' | 'wasm'): Promise<Trace> {
  const { train } = await import('../../src-main/engine/trainer.ts');
  const out: Partial<Trace> = { losses: [], tensors: [], gpuBytes: [] };
  const stop = new AbortController();
  const summary = await train(parseSetup(input), {
    backend,
    dataset: data,
    signal: stop.signal,
    checkpointEvery: 3,
    onCheckpoint: (c) => {
      out.checkpoint = c;
      stop.abort();
    },
    onEvent: (e) => {
      if (e.type === 'started') out.env = e.env;
      if (e.type === 'scalars') {
        out.losses!.push(e.values.loss!);
        out.tensors!.push(tf.memory().numTensors);
        out.gpuBytes!.push((tf.memory() as { numBytesInGPU?: number }).numBytesInGPU ?? 0);
      }
    },
  });
  assert.equal(summary.outcome, 'cancelled', `${backend}: ${summary.error ?? ''}`);
  assert.equal(summary.steps, 3);
  assert.ok(out.checkpoint, 'checkpoint after step 3');
  return out as Trace;
}

/** Max |a − b| over max |b| per tensor, across every store (online, target, momenta, BN, F̂). */
function assertSameParams(gpu: Checkpoint, ref: Checkpoint, tol: number, label: string): void {
  const names = Object.keys(ref.tensors);
  assert.deepEqual(Object.keys(gpu.tensors).sort(), names.slice().sort());
  for (const name of names) {
    const a = gpu.tensors[name]!.data;
    const b = ref.tensors[name]!.data;
    let d = 0;
    let m = 0;
    for (let i = 0; i < b.length; i++) {
      d = Math.max(d, Math.abs(a[i]! - b[i]!));
      m = Math.max(m, Math.abs(b[i]!));
    }
    // Relative to the tensor's scale, floored at 0.01: a bias right before a BN layer (the
    // projector's last one, with the MLP predictor) gets a zero gradient in exact arithmetic, so it
    // holds only rounding noise that differs between backends (~1e-9 here).
    const rel = d / Math.max(m, 0.01);
    assert.ok(rel <= tol, `${label}: ${name} differs by ${rel.toExponential(2)} (relative; max |Δ| ${d.toExponential(2)}, max |x| ${m.toExponential(2)}) > ${tol}`);
  }
}

/** The setups compared; each test file takes some (SwiftShader compiles every new shader slowly). */
export const CASES: Record<string, SetupInput> = {
  'BYOL + DirectPred': tiny({ kind: 'directpred', rho: 0.3, eps: 0.1, freq: 1 }),
  'SimSiam + linear predictor': tiny({ kind: 'linear' }, 'simsiam'),
  'BYOL + MLP predictor': tiny({ kind: 'mlp', hidden: 16 }),
};

/** Registers the comparison test of each named case. */
export function compareOnWebgpu(labels: string[]): void {
  for (const label of labels) defineCase(label, CASES[label]!);
}

function defineCase(label: string, input: SetupInput): void {
  test(`${label}: parameters after 3 steps on webgpu equal wasm's within 1e-4`, async () => {
    const gpu = await trace(input, 'webgpu');
    const ref = await trace(input, 'wasm');
    assert.equal(gpu.env.backend, 'webgpu');
    assert.equal(ref.env.backend, 'wasm');
    assert.equal(gpu.env.adapter?.architecture, 'swiftshader', 'the run records its adapter');
    assert.equal(ref.env.adapter, undefined);
    assertSameParams(gpu.checkpoint, ref.checkpoint, 1e-4, label);
    gpu.losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]!) <= 1e-4 * Math.max(1, Math.abs(ref.losses[i]!)), `${label} loss ${i}: ${l} vs ${ref.losses[i]}`));
    // No tensor leaks and flat GPU memory from step 2 on (step 1 allocates the momenta's first values).
    assert.equal(gpu.tensors[1], gpu.tensors[2], `tensors per step: ${gpu.tensors.join(',')}`);
    assert.equal(gpu.gpuBytes[1], gpu.gpuBytes[2], `GPU bytes per step: ${gpu.gpuBytes.join(',')}`);
    assert.ok(gpu.gpuBytes[1]! > 0);
  });
}
