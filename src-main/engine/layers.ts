/**
 * Functional layer primitives the models are built from. Parameters are passed in (no hidden
 * state), so the same code serves the online network, the EMA target and the probe's feature
 * extractor. The wasm backend's training kernels (engine/kernels) make their gradients fast.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_KERNEL, hasFusedBatchNorm } from './kernels/index.ts';

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
 * with the batch statistics; otherwise with the given running statistics. The returned mean and
 * variance carry no gradient (they feed the running averages only).
 */
export function batchNorm<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null,
  eps = 1e-5,
): BatchNormOut<T> {
  return batchNormImpl(x, gamma, beta, running, eps, false);
}

/** batchNorm followed by ReLU, fused into one pass each way where our kernels serve the backend. */
export function batchNormRelu<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null,
  eps = 1e-5,
): BatchNormOut<T> {
  return batchNormImpl(x, gamma, beta, running, eps, true);
}

function batchNormImpl<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null,
  eps: number,
  relu: boolean,
): BatchNormOut<T> {
  if (running) {
    const y = x.sub(running.mean).mul(tf.rsqrt(running.variance.add(eps))).mul(gamma).add(beta) as T;
    return { y: (relu ? tf.relu(y) : y) as T, mean: running.mean, variance: running.variance };
  }
  if (hasFusedBatchNorm(tf.getBackend())) return fusedBatchNormTrain(x, gamma, beta, eps, relu);
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const y = x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta) as T;
  return { y: (relu ? tf.relu(y) : y) as T, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * Training-mode batch norm through our kernels: forward and backward are two passes each over the
 * activations, against ~10 elementwise/reduction kernels each way for the tf-ops formulation.
 */
function fusedBatchNormTrain<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, relu: boolean): BatchNormOut<T> {
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const attrs = { eps, relu } as unknown as tf.NamedAttrMap;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mu, v] = tf.engine().runKernel(BATCH_NORM_KERNEL, { x: xi, gamma: g, beta: b }, attrs) as tf.Tensor[];
    mean = mu as tf.Tensor1D;
    variance = v as tf.Tensor1D;
    save([xi, g, b, mu, v]);
    return {
      value: y as T,
      gradFunc: (dy: T, saved: tf.Tensor[]) => {
        const [xs, gs, bs, ms, vs] = saved;
        return tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, { dy, x: xs, gamma: gs, beta: bs, mean: ms, variance: vs }, attrs) as tf.Tensor[];
      },
    };
  });
  const y = f(x, gamma, beta) as T;
  return { y, mean: mean!, variance: variance! };
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
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}

/** He-normal initial values for a weight with the given fan-in. */
export function heNormal(shape: number[], fanIn: number, seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed);
}
