/**
 * The data pipeline of a training run: how many steps, which images each step sees (a seeded
 * permutation per epoch) and the two augmented views of them. Everything is derived from the root
 * seed and the step, so a resumed run sees exactly the batches the uninterrupted one would.
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../../common/setup.ts';
import { deriveSeed, permutation, Rng } from '../../math/seeds.ts';
import { augmentView, gatherBatch, gatherPixels, planAugment, type AugmentPlan } from '../augment.ts';
import type { Dataset, Split } from '../../data/types.ts';

/**
 * The run's length in steps; an epoch is ⌊N/B⌋ full batches of the pre-training split, or ⌈N/B⌉
 * with a smaller last batch when `optim.lastBatch` is 'keep' (the official code's DataLoader).
 */
export interface StepPlan {
  batchSize: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

/** Steps of a setup on a pre-training split of `poolCount` images (the caller checks N ≥ B). */
export function stepPlan(setup: Setup, poolCount: number): StepPlan {
  const B = setup.optim.batchSize;
  const stepsPerEpoch = setup.optim.lastBatch === 'keep' ? Math.ceil(poolCount / B) : Math.floor(poolCount / B);
  const plannedSteps = Math.max(1, Math.ceil(setup.optim.epochs * stepsPerEpoch));
  const totalSteps = setup.optim.maxSteps ? Math.min(setup.optim.maxSteps, plannedSteps) : plannedSteps;
  return { batchSize: B, stepsPerEpoch, totalSteps };
}

/** Images in step `step`'s batch: B, or fewer for the kept last batch of an epoch. */
export function batchSizeAt(plan: StepPlan, poolCount: number, step: number): number {
  return Math.min(plan.batchSize, poolCount - (step % plan.stepsPerEpoch) * plan.batchSize);
}

/** Image geometry of a dataset as the tfjs helpers want it. */
export function imageShape(data: Dataset): { shape: [number, number, number]; pixelsPerImage: number } {
  return { shape: [data.height, data.width, data.channels], pixelsPerImage: data.height * data.width * data.channels };
}

/** Seeded batches of the pre-training split and their two augmented views. */
export class BatchStream {
  private permEpoch = -1;
  private perm: Int32Array = new Int32Array(0);
  private readonly shape: [number, number, number];
  private readonly ppi: number;

  constructor(
    private readonly pool: Split,
    data: Dataset,
    private readonly setup: Setup,
    private readonly plan: StepPlan,
  ) {
    const g = imageShape(data);
    this.shape = g.shape;
    this.ppi = g.pixelsPerImage;
  }

  /** Indices into the pre-training split of step `step` (0-based); a view into the epoch's permutation (shorter for a kept last batch). */
  indices(step: number): Int32Array {
    const { stepsPerEpoch, batchSize: B } = this.plan;
    const epochIdx = Math.floor(step / stepsPerEpoch);
    if (epochIdx !== this.permEpoch) {
      this.perm = permutation(this.pool.count, deriveSeed(this.setup.seed, 'data-order', epochIdx));
      this.permEpoch = epochIdx;
    }
    const pos = (step % stepsPerEpoch) * B;
    return this.perm.subarray(pos, pos + B);
  }

  /** Step `step`'s draw: its images' indices and both views' augmentation plans, as `views` uses them. */
  draw(step: number): { idx: Int32Array; plan1: AugmentPlan; plan2: AugmentPlan } {
    const idx = this.indices(step);
    const B = idx.length;
    const rng = new Rng(deriveSeed(this.setup.seed, 'augment', step));
    const plan1 = planAugment(B, this.setup.augment, rng);
    const plan2 = planAugment(B, this.setup.augment, rng);
    return { idx, plan1, plan2 };
  }

  /** The [0,1] pixels of the images at `idx` (B×H×W×C, row-major). */
  pixels(idx: Int32Array): Float32Array {
    return gatherPixels(this.pool.images, this.ppi, idx);
  }

  /** The two augmented views [v1, v2] of step `step`'s batch; the caller disposes them. */
  views(step: number): [tf.Tensor4D, tf.Tensor4D] {
    const { idx, plan1, plan2 } = this.draw(step);
    const aug = this.setup.augment;
    return tf.tidy(() => {
      const x = gatherBatch(this.pool.images, this.ppi, idx, this.shape);
      return [augmentView(x, plan1, aug), augmentView(x, plan2, aug)] as [tf.Tensor4D, tf.Tensor4D];
    });
  }
}
