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
export const BN_GROUP_TRAIN = 'DplabBatchNormGroupTrain';
export const BN_GROUP_TRAIN_GRAD = 'DplabBatchNormGroupTrainGrad';

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

/** One block of rows a kernel call normalises on its own: tensors and the element offset of its first row in them. */
interface FwdBlock { x: tf.TensorInfo; y: tf.TensorInfo; off: number }
interface BwdBlock { dy: tf.TensorInfo; x: tf.TensorInfo; y: tf.TensorInfo | null; dx: tf.TensorInfo; off: number }

/**
 * The forward of G blocks of m rows × c channels, block g with γ, β, μ, σ² at entries g·c … g·c + c − 1
 * of gamma, beta, mean, variance: every block exactly as a lone tensor of its rows.
 */
function forwardBlocks(backend: any, blocks: FwdBlock[], m: number, c: number, gamma: tf.TensorInfo, beta: tf.TensorInfo, mean: tf.TensorInfo, variance: tf.TensorInfo, eps: number, withRelu: boolean): void {
  const io = ioFor('wasm', backend);
  const simd = c % 4 === 0 ? simdLoopsFor(backend) : null;
  const scratch = io.alloc([4 * c]);
  const mAll = io.view(mean), vAll = io.view(variance), gAll = io.view(gamma), bAll = io.view(beta);
  const sv = io.view(scratch);
  const [s, q, a] = [sv.subarray(0, c), sv.subarray(c, 2 * c), sv.subarray(2 * c, 3 * c)];
  blocks.forEach(({ x, y, off }, g) => {
    const xv = io.view(x).subarray(off, off + m * c);
    const [mv, vv, gv, bv] = [mAll, vAll, gAll, bAll].map((v) => v.subarray(g * c, (g + 1) * c)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    if (simd) {
      // Sums about each channel's first value (the block's first row), so a large mean does not cancel the variance away.
      const xp = ptr(backend, x) + off * 4, sp = ptr(backend, scratch);
      const [S, Q] = blockSums(m, s, q, (r0, n) => simd.sums(n, c, xp + r0 * c * 4, xp, sp, sp + 4 * c));
      for (let j = 0; j < c; j++) {
        const ms = S[j]! / m;
        mv[j] = xv[j]! + ms;
        vv[j] = Math.max(0, Q[j]! / m - ms * ms);
        a[j] = gv[j]! / Math.sqrt(vv[j]! + eps);
      }
      (withRelu ? simd.affineRelu : simd.affine)(m, c, xp, ptr(backend, y) + off * 4, ptr(backend, mean) + g * c * 4, sp + 8 * c, ptr(backend, beta) + g * c * 4);
    } else {
      channelMoments(xv, m, c, mv, vv);
      const b = sv.subarray(3 * c);
      for (let j = 0; j < c; j++) {
        a[j] = gv[j]! / Math.sqrt(vv[j]! + eps);
        b[j] = bv[j]! - mv[j]! * a[j]!;
      }
      const yv = io.view(y).subarray(off, off + m * c);
      channelAffine(xv, m, c, a, b, yv);
      if (withRelu) for (let i = 0; i < yv.length; i++) yv[i] = relu(yv[i]!);
    }
  });
  io.free(scratch);
}

/** The backward of G blocks (as forwardBlocks lays them out); dGamma, dBeta per block at g·c. */
function backwardBlocks(backend: any, blocks: BwdBlock[], m: number, c: number, gamma: tf.TensorInfo, mean: tf.TensorInfo, variance: tf.TensorInfo, eps: number, dGamma: tf.TensorInfo, dBeta: tf.TensorInfo): void {
  const io = ioFor('wasm', backend);
  const simd = c % 4 === 0 ? simdLoopsFor(backend) : null;
  const chans = (t: tf.TensorInfo, g: number) => io.view(t).subarray(g * c, (g + 1) * c);
  if (!simd) {
    blocks.forEach(({ dy, x, y, dx, off }, g) => {
      const rowsOf = (t: tf.TensorInfo) => io.view(t).subarray(off, off + m * c);
      let masked: tf.TensorInfo | null = null;
      if (y) {
        // dy passes the ReLU gradient first, dy·step(y), as tfjs's own formula computes it.
        masked = io.alloc([m, c]);
        const [d, yv, o] = [rowsOf(dy), rowsOf(y), io.view(masked)];
        for (let i = 0; i < o.length; i++) o[i] = Math.fround(d[i]! * reluStep(yv[i]!));
      }
      batchNormBackward(masked ? io.view(masked) : rowsOf(dy), rowsOf(x), m, c, chans(gamma, g), chans(mean, g), chans(variance, g), eps,
        rowsOf(dx), chans(dGamma, g), chans(dBeta, g));
      if (masked) io.free(masked);
    });
    return;
  }
  const scratch = io.alloc([5 * c]);
  const sv = io.view(scratch);
  const [sg, sgd, A, B, K] = [0, 1, 2, 3, 4].map((i) => sv.subarray(i * c, (i + 1) * c)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const sp = ptr(backend, scratch);
  blocks.forEach(({ dy, x, y, dx, off }, g) => {
    const dyp = ptr(backend, dy) + off * 4, xp = ptr(backend, x) + off * 4, mp = ptr(backend, mean) + g * c * 4;
    const yp = y ? ptr(backend, y) + off * 4 : 0;
    const [gv, vv, dgv, dbv] = [chans(gamma, g), chans(variance, g), chans(dGamma, g), chans(dBeta, g)];
    const [SG, SGD] = blockSums(m, sg, sgd, (r0, n) => y
      ? simd.gradSumsRelu(n, c, dyp + r0 * c * 4, yp + r0 * c * 4, xp + r0 * c * 4, mp, sp, sp + 4 * c)
      : simd.gradSums(n, c, dyp + r0 * c * 4, xp + r0 * c * 4, mp, sp, sp + 4 * c));
    for (let j = 0; j < c; j++) {
      const inv = 1 / Math.sqrt(vv[j]! + eps);
      const gi = gv[j]! * inv;
      A[j] = gi;
      B[j] = (-gi * inv * inv * SGD[j]!) / m;
      K[j] = (-gi * SG[j]!) / m;
      dgv[j] = inv * SGD[j]!;
      dbv[j] = SG[j]!;
    }
    if (y) simd.gradAffineRelu(m, c, dyp, yp, xp, ptr(backend, dx) + off * 4, mp, sp + 8 * c, sp + 12 * c, sp + 16 * c);
    else simd.gradAffine(m, c, dyp, xp, ptr(backend, dx) + off * 4, mp, sp + 8 * c, sp + 12 * c, sp + 16 * c);
  });
  io.free(scratch);
}

/**
 * Forward kernel: inputs x, gamma, beta; attrs eps, relu (then y = relu(BN(x)): the layer's
 * ReLU fused in, saving a pass, a kernel call and, backward, the ReLU gradient's pass); outputs
 * y, mean, variance.
 */
function bnTrainWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const [m, c] = rowsAndChannels(x.shape);
  const io = ioFor('wasm', backend);
  // Every output before any view: an allocation may grow the heap and detach views.
  const y = io.alloc(x.shape);
  const mean = io.alloc([c]);
  const variance = io.alloc([c]);
  forwardBlocks(backend, [{ x, y, off: 0 }], m, c, gamma!, beta!, mean, variance, attrs.eps, attrs.relu);
  return [y, mean, variance];
}

/**
 * Backward kernel: inputs dy, x, gamma, mean, variance (and y, the forward's output, when attrs
 * relu: dy then passes the ReLU gradient first, dy·step(y), as tfjs's own formula computes it);
 * attrs eps, relu; outputs dx, dGamma, dBeta.
 */
function bnTrainGradWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, mean, variance } = inputs;
  const [m, c] = rowsAndChannels(x!.shape);
  const io = ioFor('wasm', backend);
  const dx = io.alloc(x!.shape);
  const dGamma = io.alloc([c]);
  const dBeta = io.alloc([c]);
  backwardBlocks(backend, [{ dy: inputs.dy!, x: x!, y: attrs.relu ? inputs.y! : null, dx, off: 0 }], m, c, gamma!, mean!, variance!, attrs.eps, dGamma, dBeta);
  return [dx, dGamma, dBeta];
}

/**
 * Grouped forward kernel: inputs [x0 … x{G−1} (equal shapes), gamma, beta] as an array (so tfjs saves
 * them all for the gradient), gamma and beta [G, C]; attrs eps, relu, groups; outputs y0 … y{G−1},
 * mean and variance [G, C]: each x_g exactly as the solo kernel normalises it with γ_g, β_g.
 */
function bnGroupTrainWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const G: number = attrs.groups;
  const list = inputs as unknown as tf.TensorInfo[];
  const xs = list.slice(0, G);
  const [m, c] = rowsAndChannels(xs[0]!.shape);
  const io = ioFor('wasm', backend);
  const ys = xs.map((x) => io.alloc(x.shape));
  const mean = io.alloc([G, c]);
  const variance = io.alloc([G, c]);
  forwardBlocks(backend, xs.map((x, g) => ({ x, y: ys[g]!, off: 0 })), m, c, list[G]!, list[G + 1]!, mean, variance, attrs.eps, attrs.relu);
  return [...ys, mean, variance];
}

/**
 * Grouped backward kernel: inputs dy_g, x_g (and y_g when relu) for g < G, gamma, mean, variance
 * [G, C]; outputs dx0 … dx{G−1}, dGamma and dBeta [G, C].
 */
function bnGroupTrainGradWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const G: number = attrs.groups;
  const xs = Array.from({ length: G }, (_, g) => inputs[`x${g}`]!);
  const [m, c] = rowsAndChannels(xs[0]!.shape);
  const io = ioFor('wasm', backend);
  const dxs = xs.map((x) => io.alloc(x.shape));
  const dGamma = io.alloc([G, c]);
  const dBeta = io.alloc([G, c]);
  const blocks = xs.map((x, g) => ({ dy: inputs[`dy${g}`]!, x, y: attrs.relu ? inputs[`y${g}`]! : null, dx: dxs[g]!, off: 0 }));
  backwardBlocks(backend, blocks, m, c, inputs.gamma!, inputs.mean!, inputs.variance!, attrs.eps, dGamma, dBeta);
  return [...dxs, dGamma, dBeta];
}

let gradientRegistered = false;

/** Registers the kernels for wasm (and, once per process, the forwards' gradients). Idempotent. */
export function registerBatchNormKernels(): void {
  const kernels: [string, unknown][] = [[BN_TRAIN, bnTrainWasm], [BN_TRAIN_GRAD, bnTrainGradWasm], [BN_GROUP_TRAIN, bnGroupTrainWasm], [BN_GROUP_TRAIN_GRAD, bnGroupTrainGradWasm]];
  for (const [kernelName, f] of kernels) if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: f as any });
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
  tf.registerGradient({
    kernelName: BN_GROUP_TRAIN,
    // Saved: x0 … x{G−1}, gamma (inputs, in the order given), then y0 … y{G−1}, mean, variance.
    saveAllInputs: true,
    // Every output (tfjs saves those flagged here, by position): y_g, mean, variance for up to 62 groups.
    outputsToSave: new Array<boolean>(64).fill(true),
    gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const G = attrs.groups as number;
      const dyList = Array.isArray(dys) ? dys : [dys];
      const xs = saved.slice(0, G);
      const gamma = saved[G]!;
      const ys = saved.slice(G + 2, 2 * G + 2);
      const [mean, variance] = saved.slice(2 * G + 2, 2 * G + 4) as [tf.Tensor, tf.Tensor];
      const inputs: Record<string, tf.Tensor> = { gamma, mean, variance };
      for (let g = 0; g < G; g++) {
        inputs[`dy${g}`] = dyList[g]!;
        inputs[`x${g}`] = xs[g]!;
        if (attrs.relu) inputs[`y${g}`] = ys[g]!;
      }
      const out = tf.engine().runKernel(BN_GROUP_TRAIN_GRAD, inputs, attrs) as tf.Tensor[];
      // Keyed by input position, as tfjs keys the gradients of an array of inputs.
      const grads: Record<string, () => tf.Tensor> = { [G]: () => out[G]!, [G + 1]: () => out[G + 1]! };
      for (let g = 0; g < G; g++) grads[g] = () => out[g]!;
      return grads;
    },
  });
}

/** Removes both kernels from wasm (benchmarks compare with and without them in one process). */
export function unregisterBatchNormKernels(): void {
  for (const name of [BN_TRAIN, BN_TRAIN_GRAD, BN_GROUP_TRAIN, BN_GROUP_TRAIN_GRAD]) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
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
 * Training-mode batch norm of G tensors of one shape in one kernel call each way: x_g normalised
 * with its own batch statistics and its own γ_g, β_g (rows of `gamma`, `beta` [G, C]), each bit for
 * bit as `batchNormTrainKernel` computes it alone. Returns the y_g (relu(BN) when `relu`).
 */
export function batchNormGroupKernel<T extends tf.Tensor>(xs: T[], gamma: tf.Tensor2D, beta: tf.Tensor2D, eps: number, relu: boolean): T[] {
  const groups = xs.length;
  if (groups > 62) throw new Error(`grouped batch norm: at most 62 groups, got ${groups}`);
  if (gamma.shape[0] !== groups || beta.shape[0] !== groups) throw new Error(`grouped batch norm: ${groups} inputs but γ, β for ${gamma.shape[0]}, ${beta.shape[0]}`);
  const inputs = [...xs, gamma, beta] as unknown as tf.NamedTensorMap;
  const out = tf.engine().runKernel(BN_GROUP_TRAIN, inputs, { eps, relu, groups }) as tf.Tensor[];
  tf.dispose(out.slice(groups));
  return out.slice(0, groups) as T[];
}
