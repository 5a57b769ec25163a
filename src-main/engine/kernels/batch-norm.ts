/**
 * Training-mode batch norm as two wasm kernels on the backend's heap: the forward (per-channel
 * batch mean and variance, then y = γ·(x − μ)·ι + β, with ι = 1/√(σ² + eps)) in two passes over x,
 * and the backward in two passes over dy and x. As a composition of wasm ops the same layer was
 * ~15 ops forward and ~15 backward, each allocating an output and paying tfjs's bookkeeping
 * (~1,500 kernel calls per reference step). Sums are kept in float64, so the statistics are at
 * least as exact as the cpu backend's float32 ones.
 * Backward (Ioffe & Szegedy 2015), with d = x − μ and m rows: dβ = Σdy, dγ = ι·Σdy·d,
 * dx = γι·dy − γι³·(Σdy·d/m)·d − γι·(Σdy/m).
 */
import * as tf from '@tensorflow/tfjs';
import { ioFor } from './io.ts';
import { simdLoopsFor } from './simd.ts';

/** Kernel names (ours: tfjs has no training-mode batch norm kernel). */
export const BN_TRAIN = 'DplabBatchNormTrain';
export const BN_TRAIN_GRAD = 'DplabBatchNormTrainGrad';

/**
 * Per-channel mean and biased variance of x [m, c] (row-major). Each channel's sums are taken
 * about its first value, so a large mean does not cancel the variance away.
 */
export function channelMoments(x: Float32Array, m: number, c: number, mean: Float32Array, variance: Float32Array): void {
  const s = new Float64Array(c);
  const q = new Float64Array(c);
  const k = x.subarray(0, c);
  for (let r = 0; r < m; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) {
      const v = x[base + j]! - k[j]!;
      s[j] += v;
      q[j] += v * v;
    }
  }
  for (let j = 0; j < c; j++) {
    const ms = s[j]! / m;
    mean[j] = k[j]! + ms;
    variance[j] = Math.max(0, q[j]! / m - ms * ms);
  }
}

/** y = x·a_j + b_j per channel j (the normalisation folded into one affine map). */
export function channelAffine(x: Float32Array, m: number, c: number, a: Float32Array, b: Float32Array, y: Float32Array): void {
  for (let r = 0; r < m; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) y[base + j] = x[base + j]! * a[j]! + b[j]!;
  }
}

/** The backward passes: dx (m×c), dγ and dβ (c) from dy, x, γ, μ, σ². */
export function batchNormBackward(
  dy: Float32Array, x: Float32Array, m: number, c: number,
  gamma: Float32Array, mean: Float32Array, variance: Float32Array, eps: number,
  dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
): void {
  const sg = new Float64Array(c);
  const sgd = new Float64Array(c);
  for (let r = 0; r < m; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) {
      const g = dy[base + j]!;
      sg[j] += g;
      sgd[j] += g * (x[base + j]! - mean[j]!);
    }
  }
  // dx = A·dy + B·x + C per channel, with B·x + C = B·(x − μ) − γι·Σdy/m.
  const A = new Float32Array(c);
  const B = new Float32Array(c);
  const C = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const inv = 1 / Math.sqrt(variance[j]! + eps);
    const gi = gamma[j]! * inv;
    A[j] = gi;
    B[j] = (-gi * inv * inv * sgd[j]!) / m;
    C[j] = (-gi * sg[j]!) / m - B[j]! * mean[j]!;
    dGamma[j] = inv * sgd[j]!;
    dBeta[j] = sg[j]!;
  }
  for (let r = 0; r < m; r++) {
    const base = r * c;
    for (let j = 0; j < c; j++) dx[base + j] = dy[base + j]! * A[j]! + x[base + j]! * B[j]! + C[j]!;
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: any; attrs: Record<string, any> };

function rowsAndChannels(shape: number[]): [number, number] {
  const c = shape[shape.length - 1]!;
  let n = 1;
  for (const d of shape) n *= d;
  return [n / c, c];
}

/** Rows per SIMD call: its float32 sums cover this many rows, the sums across blocks are float64. */
const BLOCK_ROWS = 256;

/** Byte offset of a tensor's data on the wasm heap. */
function ptr(backend: any, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset as number;
}

/**
 * Per-channel sums over x [m, c] by `block(r0, rows, s, q)` calls that each add float32 sums of
 * `rows` rows into the heap vectors s and q (zeroed here first), accumulated in float64.
 */
function blockSums(m: number, s: Float32Array, q: Float32Array, block: (r0: number, rows: number) => void): [Float64Array, Float64Array] {
  const c = s.length;
  const S = new Float64Array(c);
  const Q = new Float64Array(c);
  for (let r0 = 0; r0 < m; r0 += BLOCK_ROWS) {
    s.fill(0);
    q.fill(0);
    block(r0, Math.min(BLOCK_ROWS, m - r0));
    for (let j = 0; j < c; j++) {
      S[j] += s[j]!;
      Q[j] += q[j]!;
    }
  }
  return [S, Q];
}

/** ReLU keeping NaN (as tfjs's cpu relu and PyTorch do; wasm's tf.relu turns some NaNs into 0): −0 and negatives become +0. */
const relu = (v: number) => (v > 0 || v !== v ? v : 0);

/** The ReLU gradient's factor at output y of relu: 1 above 0, NaN for NaN, else 0 (tfjs's step). */
const reluStep = (y: number) => (y > 0 ? 1 : y !== y ? NaN : 0);

/**
 * Forward kernel: inputs x, gamma, beta; attrs eps, relu (then y = relu(BN(x)): the layer's
 * ReLU fused in, saving a pass, a kernel call and, backward, the ReLU gradient's pass); outputs
 * y, mean, variance.
 */
function bnTrainWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const G: number = attrs.groups ?? 1;
  const [rows, c] = rowsAndChannels(x.shape);
  const m = rows / G;
  const io = ioFor('wasm', backend);
  const simd = c % 4 === 0 ? simdLoopsFor(backend) : null;
  // Every output before any view: an allocation may grow the heap and detach views.
  const y = io.alloc(x.shape);
  const statShape = G === 1 ? [c] : [G, c];
  const mean = io.alloc(statShape);
  const variance = io.alloc(statShape);
  const scratch = io.alloc([4 * c]);
  const xAll = io.view(x), mAll = io.view(mean), vAll = io.view(variance), gAll = io.view(gamma), bAll = io.view(beta);
  const sv = io.view(scratch);
  const [s, q, a] = [sv.subarray(0, c), sv.subarray(c, 2 * c), sv.subarray(2 * c, 3 * c)];
  // Group g (rows g·m … (g+1)·m − 1, its own γ_g, β_g) is normalised exactly as a lone tensor of m rows.
  for (let g = 0; g < G; g++) {
    const xv = xAll.subarray(g * m * c, (g + 1) * m * c);
    const [mv, vv, gv, bv] = [mAll, vAll, gAll, bAll].map((v) => v.subarray(g * c, (g + 1) * c)) as Float32Array[];
    if (simd) {
      // Sums about each channel's first value (the first row of x), so a large mean does not cancel the variance away.
      const xp = ptr(backend, x) + g * m * c * 4, sp = ptr(backend, scratch);
      const [S, Q] = blockSums(m, s, q, (r0, n) => simd.sums(n, c, xp + r0 * c * 4, xp, sp, sp + 4 * c));
      for (let j = 0; j < c; j++) {
        const ms = S[j]! / m;
        mv![j] = xv[j]! + ms;
        vv![j] = Math.max(0, Q[j]! / m - ms * ms);
        a[j] = gv![j]! / Math.sqrt(vv![j]! + attrs.eps);
      }
      (attrs.relu ? simd.affineRelu : simd.affine)(m, c, xp, ptr(backend, y) + g * m * c * 4, ptr(backend, mean) + g * c * 4, sp + 8 * c, ptr(backend, beta) + g * c * 4);
    } else {
      channelMoments(xv, m, c, mv!, vv!);
      const b = sv.subarray(3 * c);
      for (let j = 0; j < c; j++) {
        a[j] = gv![j]! / Math.sqrt(vv![j]! + attrs.eps);
        b[j] = bv![j]! - mv![j]! * a[j]!;
      }
      const yv = io.view(y).subarray(g * m * c, (g + 1) * m * c);
      channelAffine(xv, m, c, a, b, yv);
      if (attrs.relu) for (let i = 0; i < yv.length; i++) yv[i] = relu(yv[i]!);
    }
  }
  io.free(scratch);
  return [y, mean, variance];
}

/**
 * Backward kernel: inputs dy, x, gamma, mean, variance (and y, the forward's output, when attrs
 * relu: dy then passes the ReLU gradient first, dy·step(y), as tfjs's own formula computes it);
 * attrs eps, relu; outputs dx, dGamma, dBeta.
 */
function bnTrainGradWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, mean, variance } = inputs;
  const dyIn = inputs.dy!;
  const G: number = attrs.groups ?? 1;
  const [rows, c] = rowsAndChannels(x.shape);
  const m = rows / G;
  const io = ioFor('wasm', backend);
  const simd = c % 4 === 0 ? simdLoopsFor(backend) : null;
  const dx = io.alloc(x.shape);
  const dGamma = io.alloc(gamma.shape);
  const dBeta = io.alloc(gamma.shape);
  if (!simd) {
    let dy = dyIn;
    let masked: tf.TensorInfo | null = null;
    if (attrs.relu) {
      masked = io.alloc(x.shape);
      const [d, yv, o] = [io.view(dyIn), io.view(inputs.y!), io.view(masked)];
      for (let i = 0; i < o.length; i++) o[i] = Math.fround(d[i]! * reluStep(yv[i]!));
      dy = masked;
    }
    const rowsOf = (t: tf.TensorInfo, g: number) => io.view(t).subarray(g * m * c, (g + 1) * m * c);
    const chans = (t: tf.TensorInfo, g: number) => io.view(t).subarray(g * c, (g + 1) * c);
    for (let g = 0; g < G; g++) {
      batchNormBackward(rowsOf(dy, g), rowsOf(x, g), m, c, chans(gamma, g), chans(mean, g), chans(variance, g), attrs.eps,
        rowsOf(dx, g), chans(dGamma, g), chans(dBeta, g));
    }
    if (masked) io.free(masked);
    return [dx, dGamma, dBeta];
  }
  const scratch = io.alloc([5 * c]);
  const sv = io.view(scratch), gAll = io.view(gamma), vAll = io.view(variance), dgAll = io.view(dGamma), dbAll = io.view(dBeta);
  const [sg, sgd, A, B, K] = [0, 1, 2, 3, 4].map((i) => sv.subarray(i * c, (i + 1) * c)) as Float32Array[];
  const sp = ptr(backend, scratch);
  for (let g = 0; g < G; g++) {
    const off = g * m * c * 4;
    const dyp = ptr(backend, dyIn) + off, xp = ptr(backend, x) + off, mp = ptr(backend, mean) + g * c * 4;
    const yp = attrs.relu ? ptr(backend, inputs.y!) + off : 0;
    const [gv, vv, dgv, dbv] = [gAll, vAll, dgAll, dbAll].map((v) => v.subarray(g * c, (g + 1) * c)) as Float32Array[];
    const [SG, SGD] = blockSums(m, sg!, sgd!, (r0, n) => attrs.relu
      ? simd.gradSumsRelu(n, c, dyp + r0 * c * 4, yp + r0 * c * 4, xp + r0 * c * 4, mp, sp, sp + 4 * c)
      : simd.gradSums(n, c, dyp + r0 * c * 4, xp + r0 * c * 4, mp, sp, sp + 4 * c));
    for (let j = 0; j < c; j++) {
      const inv = 1 / Math.sqrt(vv![j]! + attrs.eps);
      const gi = gv![j]! * inv;
      A![j] = gi;
      B![j] = (-gi * inv * inv * SGD[j]!) / m;
      K![j] = (-gi * SG[j]!) / m;
      dgv![j] = inv * SGD[j]!;
      dbv![j] = SG[j]!;
    }
    if (attrs.relu) simd.gradAffineRelu(m, c, dyp, yp, xp, ptr(backend, dx) + off, mp, sp + 8 * c, sp + 12 * c, sp + 16 * c);
    else simd.gradAffine(m, c, dyp, xp, ptr(backend, dx) + off, mp, sp + 8 * c, sp + 12 * c, sp + 16 * c);
  }
  io.free(scratch);
  return [dx, dGamma, dBeta];
}

let gradientRegistered = false;

/** Registers both kernels for wasm (and, once per process, the forward's gradient). Idempotent. */
export function registerBatchNormKernels(): void {
  if (!tf.getKernel(BN_TRAIN, 'wasm')) tf.registerKernel({ kernelName: BN_TRAIN, backendName: 'wasm', kernelFunc: bnTrainWasm as any });
  if (!tf.getKernel(BN_TRAIN_GRAD, 'wasm')) tf.registerKernel({ kernelName: BN_TRAIN_GRAD, backendName: 'wasm', kernelFunc: bnTrainGradWasm as any });
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: BN_TRAIN,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [true, true, true],
    // The batch statistics feed the running averages only: their upstream gradients are ignored.
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const [x, gamma, y, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const dy = Array.isArray(dys) ? dys[0]! : dys;
      const [dx, dGamma, dBeta] = tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x, gamma, mean, variance, ...(attrs.relu ? { y } : {}) }, attrs) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dGamma!, beta: () => dBeta! };
    },
  });
}

/** Removes both kernels from wasm (benchmarks compare with and without them in one process). */
export function unregisterBatchNormKernels(): void {
  for (const name of [BN_TRAIN, BN_TRAIN_GRAD]) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
}

/**
 * Training-mode batch norm through the forward kernel: y (relu(BN(x)) when `relu`) and the batch
 * statistics (no gradient on those).
 */
export function batchNormTrainKernel<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, relu = false): { y: T; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { eps, relu }) as tf.Tensor[];
  return { y: y as T, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/**
 * Training-mode batch norm of G groups in one kernel call each way: x's rows (every axis but the
 * last) fall into G equal consecutive blocks, block g normalised with its own batch statistics and
 * its own γ_g, β_g (rows of `gamma`, `beta` [G, C]), every block bit for bit as
 * `batchNormTrainKernel` computes a lone tensor of its rows. Statistics come back as [G, C].
 */
export function batchNormGroupKernel<T extends tf.Tensor>(x: T, gamma: tf.Tensor2D, beta: tf.Tensor2D, eps: number, relu: boolean): { y: T; mean: tf.Tensor2D; variance: tf.Tensor2D } {
  const groups = gamma.shape[0];
  const rows = x.size / x.shape[x.rank - 1]!;
  if (rows % groups !== 0) throw new Error(`grouped batch norm: ${rows} rows do not split into ${groups} equal groups`);
  const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x, gamma, beta }, { eps, relu, groups }) as tf.Tensor[];
  return { y: y as T, mean: mean as tf.Tensor2D, variance: variance as tf.Tensor2D };
}
