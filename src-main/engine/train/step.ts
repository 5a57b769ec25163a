/**
 * One optimisation step in the trainer's order, from two views to updated weights: EMA-target
 * outputs, loss and gradients, SGD with momentum and the EMA target queued, then the step's one
 * readback. The trainer pipelines the same calls across steps (the next views are queued before
 * this readback); bench/_ours.ts calls `trainStep`, so a speed-up it measures is one users get.
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../../common/setup.ts';
import { trainableAt, type Networks } from './networks.ts';
import { lossAndGrads, targetOutputs } from './objective.ts';
import { sgdMomentumUpdate, type SgdHyper } from './sgd.ts';
import { emaUpdate } from './ema.ts';

/** What the CPU needs of a step, read back in one asynchronous transfer (the only one per step). */
export interface StepReading {
  loss: number;
  std: number;
  mean: Float32Array;
  corr: Float32Array;
  wp: Float64Array | null;
}

/** Packs the step's small results into one tensor, reads it with `await data()` and disposes the inputs. */
export async function readStep(value: tf.Scalar, std: tf.Tensor, mean: tf.Tensor, corr: tf.Tensor, wp: tf.Tensor | null): Promise<StepReading> {
  const parts = [value, std, mean, corr, ...(wp ? [wp] : [])];
  const nCorr = corr.size;
  const packed = tf.tidy(() => tf.concat(parts.map((t) => t.reshape([-1]))));
  tf.dispose(parts);
  // data() submits the queued work and maps the result; later work may be queued while it waits.
  const all = (await packed.data()) as Float32Array;
  packed.dispose();
  const d = mean.size;
  return {
    loss: all[0]!,
    std: all[1]!,
    mean: all.subarray(2, 2 + d),
    corr: all.subarray(2 + d, 2 + d + nCorr),
    wp: wp ? Float64Array.from(all.subarray(2 + d + nCorr)) : null,
  };
}

/** Runs step `step` on views v1, v2 (not disposed here) as the trainer does; resolves with its reading. */
export async function trainStep(nets: Networks, setup: Setup, hyper: SgdHyper, v1: tf.Tensor4D, v2: tf.Tensor4D, step: number): Promise<StepReading> {
  const targets = targetOutputs(nets, v1, v2);
  const { value, grads, corr, mean, std } = lossAndGrads(nets, setup, v1, v2, targets, trainableAt(nets, step));
  if (targets) tf.dispose(targets);
  sgdMomentumUpdate(grads, nets.keyOfVar, nets.online, nets.momenta, hyper);
  tf.dispose(Object.values(grads));
  if (nets.isEma) emaUpdate(nets.target, nets.online, setup.emaMomentum);
  return readStep(value, std, mean, corr, null);
}
