/**
 * The reference training step every backend is compared by (`dplab backends`, `npm run bench --
 * step`, `npm run bench -- vs-pytorch`): the trainer's own step (engine/train/step.ts) on
 * platform.md's reference model — 4 conv 3×3 (32-64-128-256) + BN + ReLU, 2×2 max-pool after the
 * first three, global average pool; projector 256→512 (BN, ReLU)→128; linear predictor 128×128;
 * symmetric 2 − 2cos loss; SGD with momentum; EMA target. About 240 MFLOP per image at 32×32×3.
 * The step's one readback is an `await data()`, so the figure is honest on GPU backends (which
 * queue work) and legal on webgpu. Measuring this and not a copy of the model means a speed-up
 * the benches show is one users get.
 */
import * as tf from '@tensorflow/tfjs';
import { parseSetup, type Setup } from '../common/setup.ts';
import { buildNetworks, disposeNetworks, type Networks } from './train/networks.ts';
import { sgdHyper, type SgdHyper } from './train/sgd.ts';
import { trainStep } from './train/step.ts';

/** The default setup with the reference model's predictor (linear) at B = `batch`, 32×32×3 images. */
export function referenceSetup(batch = 64): Setup {
  return parseSetup({
    predictor: { kind: 'linear' },
    data: { dataset: 'synthetic', synthetic: { size: 32, channels: 3, classes: 10, train: Math.max(128, batch), test: 16 } },
    optim: { batchSize: batch },
  });
}

/** The reference networks and two fixed random views; `step()` runs the trainer's step on them. */
export class ReferenceStep {
  readonly setup: Setup;
  readonly nets: Networks;
  readonly v1: tf.Tensor4D;
  readonly v2: tf.Tensor4D;
  private readonly hyper: SgdHyper;
  private steps = 0;

  constructor(readonly batch = 64) {
    this.setup = referenceSetup(batch);
    this.nets = buildNetworks(this.setup, { height: 32, width: 32, channels: 3 });
    this.hyper = sgdHyper(this.setup);
    this.v1 = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    this.v2 = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  }

  /** One trainer step; resolves with the loss (read back with the step's one transfer). */
  async step(): Promise<number> {
    const r = await trainStep(this.nets, this.setup, this.hyper, this.v1, this.v2, this.steps++);
    return r.loss;
  }

  dispose(): void {
    disposeNetworks(this.nets);
    tf.dispose([this.v1, this.v2]);
  }
}

/** A throughput measurement of the reference step on the current backend. */
export interface StepRate {
  batch: number;
  /** Timed steps (after one warm-up step, which compiles shaders / warms caches). */
  steps: number;
  msPerStep: number;
  imagesPerSec: number;
  loss: number;
}

/**
 * Times the reference step at batch `batch` on the current backend: one warm-up step (unless
 * `warmup` is false: a backend with nothing to compile, where one step is already seconds' worth),
 * then steps until `budgetMs` has passed (at least one, at most `maxSteps`); reports the median step.
 */
export async function measureReferenceStep(batch: number, budgetMs = 3000, maxSteps = 50, warmup = true): Promise<StepRate> {
  const ref = new ReferenceStep(batch);
  try {
    let loss = warmup ? await ref.step() : NaN;
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < maxSteps && (times.length === 0 || performance.now() - t0 < budgetMs)) {
      const s = performance.now();
      loss = await ref.step();
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)]!;
    return { batch, steps: times.length, msPerStep: ms, imagesPerSec: (batch * 1000) / ms, loss };
  } finally {
    ref.dispose();
  }
}
