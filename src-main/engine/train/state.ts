/**
 * Checkpoint capture and restore: every store of the networks (online, EMA target, momenta, BN
 * running statistics) plus F̂ (in float64, as held) and the step, so a resumed run continues bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import type { Checkpoint } from '../checkpoint.ts';
import type { Params } from '../model.ts';
import type { Networks } from './networks.ts';

/** Raised before training starts when a setup cannot run (data missing, batch too large, …). */
export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

/** Stores of the networks under their checkpoint prefixes. */
function stores(nets: Networks): [string, Params][] {
  return [
    ['online', nets.online],
    ['target', nets.target],
    ['mom', nets.momenta],
    ['run', nets.running],
  ];
}

/** A checkpoint of the run after `step` completed steps (read back asynchronously: legal on webgpu). */
export async function captureCheckpoint(nets: Networks, fHat: Float64Array | null, step: number, stepsPerEpoch: number, setupHash: string): Promise<Checkpoint> {
  const tensors: Checkpoint['tensors'] = {};
  for (const [prefix, store] of stores(nets)) {
    for (const [k, v] of store) tensors[`${prefix}/${k}`] = { shape: v.shape.slice(), data: (await v.data()) as Float32Array };
  }
  // F̂ is held in float64 (paper Eq. 19's moving average): stored as such, or a resumed run drifts.
  // With a predictor that asks for Ĉ (`crossStats`) the statistics are F̂ stacked over Ĉ: 2d×d.
  if (fHat) tensors['fhat'] = { shape: [fHat.length / nets.d, nets.d], data: Float64Array.from(fHat) };
  return { step, epoch: step / stepsPerEpoch, setupHash, tensors, state: {} };
}

/** Loads a checkpoint into freshly built networks; returns F̂ (null if none yet) and the step to continue from. */
export function restoreCheckpoint(nets: Networks, c: Checkpoint): { fHat: Float64Array | null; step: number } {
  for (const [prefix, store] of stores(nets)) {
    for (const [k, v] of store) {
      const t = c.tensors[`${prefix}/${k}`];
      if (!t) throw new TrainingError(`checkpoint lacks ${prefix}/${k}`);
      const x = tf.tensor(t.data, t.shape);
      v.assign(x);
      x.dispose();
    }
  }
  const fHat = c.tensors['fhat'] ? Float64Array.from(c.tensors['fhat'].data) : null;
  return { fHat, step: c.step };
}
