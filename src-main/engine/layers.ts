/**
 * Functional layer primitives the models are built from. Parameters are passed in (no hidden
 * state), so the same code serves the online network, the EMA target and the probe's feature
 * extractor. The wasm backend's training kernels (engine/kernels) make their gradients fast.
 */
import * as tf from '@tensorflow/tfjs';
import { meanKernelActive, trainingKernelsActive } from './kernels/index.ts';
import { batchNormTrainKernel } from './kernels/batch-norm.ts';
import { spatialMeanKernel } from './kernels/spatial-mean.ts';

/** 2-D convolution, NHWC input, HWIO filter, 'same' padding. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, stride: 1 | 2 = 1): tf.Tensor4D {
  return tf.conv2d(x, w, stride, 'same');
}

/** Result of batch normalisation in training mode: output and the batch statistics it used. */
export interface BatchNormOut<T extends tf.Tensor> {
  y: T;
  /** Per-channel batch mean and (biased) variance, for the running averages. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Batch normalisation over every axis but the last (channels). In training mode it normalises
 * with the batch statistics and returns them (they carry no gradient: they feed the running
 * averages only); otherwise it normalises with the given running statistics. `relu`: y is
 * relu(BN(x)) (on wasm in training mode one fused kernel each way, the same values as apart).
 */
export function batchNorm<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null,
  eps = 1e-5,
  relu = false,
): BatchNormOut<T> {
  const act = (y: T) => (relu ? (tf.relu(y) as T) : y);
  if (running) {
    const y = x.sub(running.mean).mul(tf.rsqrt(running.variance.add(eps))).mul(gamma).add(beta) as T;
    return { y: act(y), mean: running.mean, variance: running.variance };
  }
  // wasm: one kernel each way, two passes over the data (kernels/batch-norm.ts).
  if (trainingKernelsActive(tf.getBackend())) return batchNormTrainKernel(x, gamma, beta, eps, relu);
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  const y = x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta) as T;
  return { y: act(y), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** Fully connected layer x·W (+ b). */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const y = tf.matMul(x, w) as tf.Tensor2D;
  return b ? (y.add(b) as tf.Tensor2D) : y;
}

/** 2×2 max-pool with stride 2. */
export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

/** Mean over the spatial axes: N×H×W×C → N×C. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  // wasm: one pass each way, tfjs's results bit for bit (kernels/spatial-mean.ts).
  if (meanKernelActive(tf.getBackend())) return spatialMeanKernel(x);
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}

/** He-normal initial values for a weight with the given fan-in. */
export function heNormal(shape: number[], fanIn: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
}
