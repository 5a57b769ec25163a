/**
 * The training objective: the symmetrised loss ℓ(p₁, t₂) + ℓ(p₂, t₁) (setup `lossReduction`
 * 'sum', as the official code; 'mean' halves it) of the online predictions p against the targets
 * t (BYOL: EMA network; SimSiam: the online projections behind a stop-gradient), its gradients,
 * and the side statistics of the predictor input f the trainer needs for F̂ and the collapse indicator.
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../../common/setup.ts';
import type { ForwardMode } from '../model.ts';
import type { Networks } from './networks.ts';

/** Loss ℓ(p, t) per sample averaged over the batch: 2 − 2cos(p, t), or ‖p − t‖². */
export function pairLoss(p: tf.Tensor2D, t: tf.Tensor2D, kind: Setup['loss']): tf.Scalar {
  if (kind === 'mse') return tf.sum(tf.square(p.sub(t)), 1).mean() as tf.Scalar;
  const pn = p.div(p.norm('euclidean', 1, true).add(1e-12));
  const tn = t.div(t.norm('euclidean', 1, true).add(1e-12));
  return tf.scalar(2).sub(pn.mul(tn).sum(1).mean().mul(2)) as tf.Scalar;
}

/** Identity whose gradient is zero: tfjs has no stop-gradient op. */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: (args[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;

const TRAIN: ForwardMode = { training: true };

/** BYOL target outputs of both views (EMA weights, batch statistics, no gradient); null for SimSiam. */
export function targetOutputs(nets: Networks, v1: tf.Tensor4D, v2: tf.Tensor4D): tf.Tensor2D[] | null {
  if (!nets.isEma) return null;
  const { backbone, target } = nets;
  return tf.tidy(() => [v1, v2].map((v) => backbone.project(backbone.features(v, target, TRAIN), target, TRAIN)));
}

/** What one forward/backward pass yields; the caller disposes every tensor. */
export interface LossAndGrads {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  /** E_B[ffᵀ] over both views (d×d; 2d×d with E_B[f_a fᵀ] under it when the predictor asks, `crossStats`), the batch mean of f (d) and std(z/‖z‖)·√d (scalar), all detached. */
  corr: tf.Tensor;
  mean: tf.Tensor;
  std: tf.Tensor;
}

/** The loss of one step and its gradients with respect to `trainable`. */
export function lossAndGrads(
  nets: Networks,
  setup: Setup,
  v1: tf.Tensor4D,
  v2: tf.Tensor4D,
  targets: tf.Tensor2D[] | null,
  trainable: tf.Variable[],
): LossAndGrads {
  const { backbone, pred, predCfg, online, d } = nets;
  let side: tf.Tensor[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const z1 = backbone.project(backbone.features(v1, online, TRAIN), online, TRAIN);
    const z2 = backbone.project(backbone.features(v2, online, TRAIN), online, TRAIN);
    const p1 = pred.forward(z1, online, TRAIN, predCfg);
    const p2 = pred.forward(z2, online, TRAIN, predCfg);
    let t1: tf.Tensor2D, t2: tf.Tensor2D;
    if (targets) [t1, t2] = targets as [tf.Tensor2D, tf.Tensor2D];
    else if (setup.stopGradient) [t1, t2] = [stopGradient(z1), stopGradient(z2)];
    else [t1, t2] = [z1, z2];
    const both = pairLoss(p1, t2, setup.loss).add(pairLoss(p2, t1, setup.loss)) as tf.Scalar;
    const loss = setup.lossReduction === 'mean' ? (both.mul(0.5) as tf.Scalar) : both;
    const f = tf.concat([z1, z2], 0);
    const fT = tf.transpose(f);
    let corr = tf.matMul(fT, f).div(f.shape[0]);
    if (pred.crossStats) {
      // E_B[f_a fᵀ] over the pairs the loss scores (f = z1 against f_a = t2, z2 against t1), stacked under E_B[ffᵀ].
      const fa = tf.concat([t2, t1], 0);
      corr = tf.concat([corr, tf.matMul(tf.transpose(fa), f).div(f.shape[0])], 0);
    }
    const mean = f.mean(0);
    const zn = z1.div(z1.norm('euclidean', 1, true).add(1e-12));
    const std = tf.moments(zn, 0).variance.sqrt().mean().mul(Math.sqrt(d));
    side = [tf.keep(corr), tf.keep(mean), tf.keep(std)];
    return loss;
  }, trainable);
  const [corr, mean, std] = side as [tf.Tensor, tf.Tensor, tf.Tensor];
  return { value, grads, corr, mean, std };
}
