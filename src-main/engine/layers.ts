/**
 * Functional layer primitives the models are built from. Parameters are passed in (no hidden
 * state), so the same code serves the online network, the EMA target and the probe's feature
 * extractor. The wasm backend's training kernels (engine/kernels) make their gradients fast.
 */
import * as tf from '@tensorflow/tfjs';
import { trainingKernelsActive } from './kernels/index.ts';

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
 * averages only); otherwise it normalises with the given running statistics.
 */
export function batchNorm<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  running: { mean: tf.Tensor1D; variance: tf.Tensor1D } | null,
  eps = 1e-5,
): BatchNormOut<T> {
  if (running) {
    const y = x.sub(running.mean).mul(tf.rsqrt(running.variance.add(eps))).mul(gamma).add(beta) as T;
    return { y, mean: running.mean, variance: running.variance };
  }
  if (trainingKernelsActive(tf.getBackend())) return fastBatchNormTrain(x, gamma, beta, eps);
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  const y = x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta) as T;
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * Per-channel sums of x [m, c], shaped [1, c]. A [1, m]·[m, c] matmul would make XNNPACK repack x
 * as weights on every call (~10 ns/element), and wasm's Sum over a non-last axis transposes first;
 * its average pooling streams x once. Two stages keep the pooling window moderate.
 */
function channelSum(x: tf.Tensor, m: number, c: number): tf.Tensor {
  let rows = 1;
  while (rows * rows < m && m % (rows * 2) === 0) rows *= 2;
  const cols = m / rows;
  const stage1 = tf.avgPool(x.reshape([1, rows, cols, c]) as tf.Tensor4D, [1, cols], [1, cols], 'valid');
  const stage2 = tf.avgPool(stage1.reshape([1, rows, 1, c]) as tf.Tensor4D, [rows, 1], [rows, 1], 'valid');
  return stage2.reshape([1, c]).mul(m);
}

/**
 * Training-mode batch norm with a hand-written gradient made of a few large elementwise passes
 * and pooling reductions. With d = x − μ, ι = 1/√(σ² + eps), g = dy, m rows: dβ = Σg, dγ = ι·Σg·d,
 * dx = γι·g − γι³·(Σg·d/m)·d − γι·(Σg/m) (the standard batch-norm backward, Ioffe & Szegedy 2015,
 * rearranged into per-channel affine maps).
 */
function fastBatchNormTrain<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): BatchNormOut<T> {
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const shape = x.shape;
  const c = shape[shape.length - 1];
  const m = x.size / c;
  // Two-dimensional shapes: wasm's broadcasting is fastest on them.
  const sum = (t: tf.Tensor) => channelSum(t, m, c);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const xs = xi.reshape([m, c]);
    const mu = sum(xs).div(m);
    const d = xs.sub(mu);
    const v = sum(tf.square(d)).div(m);
    const inv = tf.rsqrt(v.add(eps));
    const y = d.mul(inv.mul(g)).add(b);
    // The forward runs inside a tidy of the engine's: keep the statistics past it (released below).
    mean = tf.keep(mu.reshape([c]) as tf.Tensor1D);
    variance = tf.keep(v.reshape([c]) as tf.Tensor1D);
    save([d, inv, g]);
    return {
      value: y.reshape(shape) as T,
      gradFunc: (dy: T, saved: tf.Tensor[]) => {
        const [ds, is, gs] = saved;
        const g2 = dy.reshape([m, c]);
        const sg = sum(g2);
        const sgd = sum(g2.mul(ds));
        const gi = is.mul(gs);
        const bc = gi.mul(is.square()).mul(sgd).div(-m);
        const cc = gi.mul(sg).div(-m);
        const dx = g2.mul(gi).add(ds.mul(bc)).add(cc).reshape(shape);
        return [dx, sgd.mul(is).reshape([c]), sg.reshape([c])];
      },
    };
  });
  const y = f(x, gamma, beta) as T;
  // Copies made out here belong to the caller's scope (and carry no gradient).
  const out = { y, mean: mean!.clone(), variance: variance!.clone() };
  mean!.dispose();
  variance!.dispose();
  return out;
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
