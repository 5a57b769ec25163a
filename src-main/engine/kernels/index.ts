/**
 * Training kernels for tfjs 4.22's wasm backend, which ships without Conv2DBackpropFilter, with a
 * Conv2DBackpropInput ~9x slower than the forward conv, and with transposed BatchMatMul at
 * 0.4-2 GFLOP/s against ~29 for a plain one (platform.md). We register on wasm:
 *  - Conv2DBackpropFilter: dW = im2colᵀ(x) · dy as one plain matmul (im2colᵀ built by one heap
 *    memmove per row for stride 1, by a JS loop otherwise);
 *  - Conv2DBackpropInput: dx as a forward (XNNPACK) conv of the zero-inserted dy with the
 *    flipped, in/out-swapped filter (the transposed-convolution identity);
 *  - BatchMatMul: transposed operands are transposed explicitly (tiled JS) before a plain matmul;
 *  - MaxPoolGrad: for windows that tile the input, dx = upsample(dy) · [x = upsample(y)] from
 *    wasm's elementwise kernels, ~10x faster than its MaxPoolGrad; other geometries by a plain
 *    loop, since wasm's own kernel is wrong for some 'same' paddings.
 *  - batch norm in training mode: a forward and a backward kernel of two passes each
 *    (batch-norm.ts), which layers.ts calls when trainingKernelsActive();
 *  - the ReLU gradient as one kernel instead of dy · cast(step(x)) (relu.ts), bit for bit the same;
 *  - Identity shares its input's buffer (a reference count, as the cpu backend does) instead of
 *    copying it: tfjs clones every tensor a gradient saves, ~150 copies per lab-scale step;
 *  - for the lab's small layers (direct.ts, parts 'conv-small' and 'pool-small'):
 *    Conv2DBackpropFilter of ≤ 16 channels as generated SIMD loops, and the 2×2 max-pool and its
 *    gradient in one pass each; other shapes keep the paths above;
 *  - the global average pool and its gradient as one kernel each (spatial-mean.ts, part 'mean'),
 *    which layers.ts calls when meanKernelActive().
 * tfjs's own gradient functions stay untouched (they call these kernels), so the cpu backend keeps
 * its stock kernels and gradients to test against.
 */
import * as tf from '@tensorflow/tfjs';
import { ioFor } from './io.ts';
import { registerBatchNormKernels, unregisterBatchNormKernels } from './batch-norm.ts';
import { registerReluGrad } from './relu.ts';
import { registerSpatialMeanKernels, unregisterSpatialMeanKernels } from './spatial-mean.ts';
import { dilate, flipSwapFilter, im2colT, im2colTShifted, maxPoolGradGeneric, transposeLast2, type ConvGeom } from './loops.ts';
import { directConvFilterGrad, directFilterGradFits, filterGradChunk, directMaxPool, directMaxPoolGrad, directPad, type DirectConvGeom } from './direct.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: any; attrs: Record<string, any> };
type KernelFn = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The backend's own kernel configs we replaced, by kernel name, so they remain callable. */
const stockWasm = new Map<string, tf.KernelConfig>();
const installed = new Set<string>();

function kernelOf(name: string, backend: string): KernelFn {
  const k = tf.getKernel(name, backend);
  if (!k) throw new Error(`training kernels: kernel '${name}' is not registered for backend '${backend}'`);
  return k.kernelFunc as unknown as KernelFn;
}

/** The stock wasm kernel for `name` (before our replacement), or the current one if not replaced. */
function stock(name: string): KernelFn {
  const k = stockWasm.get(name);
  return (k ? k.kernelFunc : kernelOf(name, 'wasm')) as unknown as KernelFn;
}

function replaceWasmKernel(name: string, kernelFunc: KernelFn): void {
  const old = tf.getKernel(name, 'wasm');
  if (old) {
    stockWasm.set(name, old);
    tf.unregisterKernel(name, 'wasm');
  }
  // Keep the stock setupFunc: it binds the C++ entry point the fallback path still calls.
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as any, setupFunc: old?.setupFunc });
}

function sizeOf(shape: number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

function geometry(xShape: number[], filterShape: number[], attrs: Record<string, any>): ConvGeom | null {
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') return null;
  const ci = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  return {
    n: ci.batchSize, inH: ci.inHeight, inW: ci.inWidth, inC: ci.inChannels,
    outH: ci.outHeight, outW: ci.outWidth, outC: ci.outChannels,
    kH: ci.filterHeight, kW: ci.filterWidth, strideH: ci.strideHeight, strideW: ci.strideWidth,
    padTop: ci.padInfo.top, padLeft: ci.padInfo.left,
  };
}

/** Byte offset of a tensor's data on the wasm heap. */
function heapOffset(backend: any, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset as number;
}

/**
 * The source buffer a direct kernel reads x from: x itself when no tap leaves the image, else a
 * zero-padded copy (`temp`, to free) just large enough for every window.
 */
function directSource(backend: any, x: tf.TensorInfo, g: ConvGeom): { ptr: number; temp: tf.TensorInfo | null; dg: DirectConvGeom } {
  const needH = (g.outH - 1) * g.strideH + g.kH;
  const needW = (g.outW - 1) * g.strideW + g.kW;
  const base = { inC: g.inC, outC: g.outC, outH: g.outH, outW: g.outW, kH: g.kH, kW: g.kW, strideH: g.strideH, strideW: g.strideW };
  if (g.padTop === 0 && g.padLeft === 0 && needH <= g.inH && needW <= g.inW) {
    return { ptr: heapOffset(backend, x), temp: null, dg: { ...base, srcH: g.inH, srcW: g.inW } };
  }
  const io = ioFor('wasm', backend);
  const temp = io.alloc([g.n, needH, needW, g.inC], true);
  const pad = directPad(backend, { inH: g.inH, inW: g.inW, c: g.inC, outH: needH, outW: needW, top: g.padTop, left: g.padLeft });
  if (pad) pad(heapOffset(backend, x), heapOffset(backend, temp), g.n);
  else {
    // Where the module cannot be built (or nothing fits): the same row copies from JS.
    const heap = backend.wasm.HEAPF32 as Float32Array;
    const from = heapOffset(backend, x) / 4;
    const to = heapOffset(backend, temp) / 4;
    const cols = Math.min(g.inW, needW - g.padLeft) * g.inC;
    for (let b = 0; b < g.n && cols > 0; b++) {
      for (let iy = 0; iy < g.inH && iy + g.padTop < needH; iy++) {
        const s = from + (b * g.inH + iy) * g.inW * g.inC;
        heap.copyWithin(to + ((b * needH + iy + g.padTop) * needW + g.padLeft) * g.inC, s, s + cols);
      }
    }
  }
  return { ptr: heapOffset(backend, temp), temp, dg: { ...base, srcH: needH, srcW: needW } };
}

/** Whether the direct kernels (direct.ts) may serve this convolution: installed, unit dilation, a fitting shape. */
function directConv(g: ConvGeom | null, attrs: Record<string, any>): g is ConvGeom {
  if (!g || !installed.has('wasm:conv-small') || g.n < 1 || g.outH < 1 || g.outW < 1) return false;
  const d = attrs.dilations;
  if (d !== undefined && d !== 1 && !(Array.isArray(d) && d.every((v: number) => v === 1))) return false;
  return directFilterGradFits(g);
}

/**
 * dW[kH,kW,C_in,C_out] = im2colᵀ(x)[kH·kW·C_in, N·H_o·W_o] · dy[N·H_o·W_o, C_out]. XNNPACK repacks
 * the right operand on every call (~10 ns/element), so the big im2col matrix goes on the left.
 */
function conv2dBackpropFilterWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as number[];
  const g = geometry(x.shape, filterShape, attrs);
  if (!g) throw new Error(`Conv2DBackpropFilter (wasm): only NHWC is supported, got dataFormat '${attrs.dataFormat}'`);
  const io = ioFor('wasm', backend);
  if (directConv(g, attrs)) {
    const dw = io.alloc(filterShape, true);
    const src = directSource(backend, x, g);
    const f = directConvFilterGrad(backend, src.dg);
    if (f) {
      // Chunks of images whose dy and x stay in cache across the kernel's passes; the sums continue across chunks.
      const chunk = filterGradChunk(src.dg);
      const srcImage = src.dg.srcH * src.dg.srcW * g.inC * 4;
      const dyImage = g.outH * g.outW * g.outC * 4;
      const [s0, d0, w0] = [src.ptr, heapOffset(backend, dy), heapOffset(backend, dw)];
      for (let b = 0; b < g.n; b += chunk) f(s0 + b * srcImage, d0 + b * dyImage, w0, Math.min(chunk, g.n - b));
    }
    if (src.temp) io.free(src.temp);
    if (f) return dw;
    io.free(dw);
  }
  const rows = g.kH * g.kW * g.inC;
  const np = g.n * g.outH * g.outW;
  const col = io.alloc([rows, np]);
  if (g.strideH === 1 && g.strideW === 1 && g.outH === g.inH && g.outW === g.inW) {
    // Fast path: xT [C, N·H·W] by wasm's transpose, then one heap memmove per im2col row.
    const xT = kernelOf('Transpose', 'wasm')({ inputs: { x }, backend, attrs: { perm: [3, 0, 1, 2] } }) as tf.TensorInfo;
    const off = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset / 4;
    im2colTShifted(backend.wasm.HEAPF32 as Float32Array, off(xT), off(col), g);
    io.free(xT);
  } else {
    im2colT(io.view(x), io.view(col), g);
  }
  const out = stock('BatchMatMul')({
    inputs: {
      a: { dataId: col.dataId, shape: [1, rows, np], dtype: 'float32' },
      b: { dataId: dy.dataId, shape: [1, np, g.outC], dtype: 'float32' },
    },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
  io.free(col);
  return { dataId: out.dataId, shape: filterShape, dtype: 'float32' };
}

/**
 * dx of y = conv(x, W, stride s) is a stride-1 'valid' conv of dy, zero-inserted by s and padded
 * by (k − 1 − pad) before, with W flipped in space and its in/out channels swapped.
 */
function conv2dBackpropInputWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const g = geometry(attrs.inputShape, filter.shape, attrs);
  if (!g) return stock('Conv2DBackpropInput')(args) as tf.TensorInfo;
  const dh = (g.outH - 1) * g.strideH + 1;
  const dw = (g.outW - 1) * g.strideW + 1;
  const top = g.kH - 1 - g.padTop;
  const left = g.kW - 1 - g.padLeft;
  const bottom = g.inH + g.kH - 1 - dh - top;
  const right = g.inW + g.kW - 1 - dw - left;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return stock('Conv2DBackpropInput')(args) as tf.TensorInfo;
  const io = ioFor('wasm', backend);
  const wT = io.alloc([g.kH, g.kW, g.outC, g.inC]);
  const strided = g.strideH > 1 || g.strideW > 1;
  const dyd = strided ? io.alloc([g.n, dh, dw, g.outC], true) : dy;
  flipSwapFilter(io.view(filter), io.view(wT), g.kH, g.kW, g.inC, g.outC);
  if (strided) dilate(io.view(dy), io.view(dyd), g.n, g.outH, g.outW, g.outC, g.strideH, g.strideW);
  const out = kernelOf('Conv2D', 'wasm')({
    inputs: { x: dyd, filter: wT },
    backend,
    attrs: { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dilations: [1, 1], dataFormat: 'NHWC' },
  }) as tf.TensorInfo;
  io.free(wT);
  if (strided) io.free(dyd);
  return out;
}

/** Transposed operands are transposed explicitly so the matmul itself is always the fast plain one. */
function batchMatMulWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  if (!attrs.transposeA && !attrs.transposeB) return stock('BatchMatMul')(args) as tf.TensorInfo;
  const io = ioFor('wasm', backend);
  const temps: tf.TensorInfo[] = [];
  const flip = (t: tf.TensorInfo): tf.TensorInfo => {
    const r = t.shape.length;
    const rows = t.shape[r - 2];
    const cols = t.shape[r - 1];
    const out = io.alloc([...t.shape.slice(0, r - 2), cols, rows]);
    transposeLast2(io.view(t), io.view(out), sizeOf(t.shape.slice(0, r - 2)), rows, cols);
    temps.push(out);
    return out;
  };
  const a = attrs.transposeA ? flip(inputs.a) : inputs.a;
  const b = attrs.transposeB ? flip(inputs.b) : inputs.b;
  const out = stock('BatchMatMul')({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
  for (const t of temps) io.free(t);
  return out as tf.TensorInfo;
}

/**
 * MaxPoolGrad for windows that tile the input (filter = stride, no padding): the gradient goes to
 * the window's maximum, i.e. dx = ŷ_dy · (1 − step(ŷ − x)) with ŷ, ŷ_dy the nearest-neighbour
 * upsampled y and dy. Ties all receive the gradient (the stock kernel picks the first); after a
 * ReLU the only likely ties are zeros, whose gradient the ReLU then blocks.
 */
function maxPoolGradWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input, output } = inputs;
  const [fh, fw] = typeof attrs.filterSize === 'number' ? [attrs.filterSize, attrs.filterSize] : attrs.filterSize;
  const [sh, sw] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
  const [, h, w] = input.shape;
  const tiles = fh === sh && fw === sw && attrs.pad === 'valid' && h % fh === 0 && w % fw === 0 &&
    output.shape[1] * fh === h && output.shape[2] * fw === w && input.dtype === 'float32';
  const io = ioFor('wasm', backend);
  if (!tiles) {
    const ci = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const dx = io.alloc(input.shape, true);
    maxPoolGradGeneric(io.view(input), io.view(dy), io.view(dx), {
      n: ci.batchSize, inH: ci.inHeight, inW: ci.inWidth, c: ci.inChannels, outH: ci.outHeight, outW: ci.outWidth,
      kH: ci.filterHeight, kW: ci.filterWidth, strideH: ci.strideHeight, strideW: ci.strideWidth,
      padTop: ci.padInfo.top, padLeft: ci.padInfo.left,
    });
    return dx;
  }
  const c = input.shape[3]!;
  const direct = installed.has('wasm:pool-small') && c % 4 === 0 && fh === 2 && fw === 2 && dy.dtype === 'float32' && input.shape[0]! > 0 && h > 0 && w > 0
    ? directMaxPoolGrad(backend, h, w, c) : null;
  if (direct) {
    const dx = io.alloc(input.shape);
    direct(heapOffset(backend, input), heapOffset(backend, output), heapOffset(backend, dy), heapOffset(backend, dx), input.shape[0]!);
    return dx;
  }
  const k = (name: string, inp: Record<string, tf.TensorInfo>, at: Record<string, unknown> = {}) =>
    kernelOf(name, 'wasm')({ inputs: inp, backend, attrs: at }) as tf.TensorInfo;
  const up = { alignCorners: false, halfPixelCenters: false, size: [h, w] };
  const yUp = k('ResizeNearestNeighbor', { images: output }, up);
  const gap = k('Sub', { a: yUp, b: input });
  io.free(yUp);
  const notMax = k('Step', { x: gap }, { alpha: 0 });
  io.free(gap);
  const dyUp = k('ResizeNearestNeighbor', { images: dy }, up);
  const blocked = k('Multiply', { a: dyUp, b: notMax });
  io.free(notMax);
  const dx = k('Sub', { a: dyUp, b: blocked });
  io.free(dyUp);
  io.free(blocked);
  return dx;
}

/**
 * MaxPool: 2×2/2 windows tiling a float32 input of channels in fours in one SIMD pass (direct.ts),
 * else XNNPACK's. The same values, but a window with a NaN pools to NaN (XNNPACK's gave −Infinity)
 * and one of −0 and +0 to +0 (XNNPACK's could give −0); a ReLU's output has neither.
 */
function maxPoolWasm(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x!;
  const size = (v: number | number[]) => (typeof v === 'number' ? [v, v] : v);
  const [fh, fw] = size(attrs.filterSize);
  const [sh, sw] = size(attrs.strides);
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const d = attrs.dilations;
  const fits = fh === 2 && fw === 2 && sh === 2 && sw === 2 && attrs.pad === 'valid' && h % 2 === 0 && w % 2 === 0 &&
    c % 4 === 0 && n > 0 && h > 0 && w > 0 && x.dtype === 'float32' && (d === undefined || d === 1 || (Array.isArray(d) && d.every((v: number) => v === 1)));
  const f = fits ? directMaxPool(backend, h, w, c) : null;
  if (!f) return stock('MaxPool')(args) as tf.TensorInfo;
  const y = ioFor('wasm', backend).alloc([n, h / 2, w / 2, c]);
  f(heapOffset(backend, x), heapOffset(backend, y), n);
  return y;
}

/**
 * Identity without a copy: the output shares x's buffer (its reference count raised). Safe because
 * no kernel here or in tfjs-backend-wasm writes into its inputs (ours allocate every output, see
 * update.ts), so a shared buffer never changes under a saved tensor.
 */
function identityWasm({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs;
  if (x.dtype === 'string') return stock('Identity')({ inputs, backend, attrs: {} }) as tf.TensorInfo;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Separately installable parts, so benchmarks can compare against the stock kernels. */
export type TrainingKernelPart = 'conv-filter' | 'conv-input' | 'matmul' | 'max-pool' | 'batch-norm' | 'identity' | 'conv-small' | 'pool-small' | 'mean';

/**
 * All parts, the default of installTrainingKernels. 'conv-small' (the direct filter gradient for
 * small channel counts, a path inside 'conv-filter') and 'pool-small' (the 2×2 max-pool and its
 * gradient in one pass each) are benchmarked by leaving them out.
 */
export const ALL_TRAINING_KERNEL_PARTS: readonly TrainingKernelPart[] = ['conv-filter', 'conv-input', 'matmul', 'max-pool', 'batch-norm', 'identity', 'conv-small', 'pool-small', 'mean'];

/**
 * Registers our training kernels for `backend`: 'wasm' gets all of them; any other backend is left
 * alone (native TensorFlow has fast ones; the cpu backend's stock kernels are the reference the
 * tests compare against). Idempotent; may be called before or after tf.setBackend.
 * `parts` limits what is installed (benchmarks only; 'conv-filter' is needed for wasm to train).
 */
export function installTrainingKernels(backend: string, parts: readonly TrainingKernelPart[] = ALL_TRAINING_KERNEL_PARTS): void {
  const want = (p: TrainingKernelPart) => parts.includes(p) && !installed.has(`${backend}:${p}`);
  if (backend === 'wasm') {
    if (!tf.getKernel('BatchMatMul', 'wasm')) {
      throw new Error("installTrainingKernels('wasm'): the wasm backend's kernels are not registered; import '@tensorflow/tfjs-backend-wasm' first");
    }
    if (want('matmul')) replaceWasmKernel('BatchMatMul', batchMatMulWasm);
    if (want('conv-input')) replaceWasmKernel('Conv2DBackpropInput', conv2dBackpropInputWasm);
    if (want('conv-filter')) replaceWasmKernel('Conv2DBackpropFilter', conv2dBackpropFilterWasm);
    if (want('max-pool')) replaceWasmKernel('MaxPoolGrad', maxPoolGradWasm);
    if (want('identity')) replaceWasmKernel('Identity', identityWasm);
    if (want('pool-small')) replaceWasmKernel('MaxPool', maxPoolWasm);
    if (want('batch-norm')) {
      registerBatchNormKernels();
      // Follows the batch-norm part: the gradient asks trainingKernelsActive(), as layers.ts does.
      registerReluGrad(trainingKernelsActive);
    }
    if (want('mean')) registerSpatialMeanKernels();
    for (const p of parts) installed.add(`${backend}:${p}`);
  }
}

/** Puts the backend's stock kernels back and removes ours (benchmarks compare both in one process). */
export function uninstallTrainingKernels(backend: string): void {
  if (backend === 'wasm') {
    for (const name of ['BatchMatMul', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'MaxPoolGrad', 'Identity', 'MaxPool']) {
      if (!installed.has(`wasm:${partOf(name)}`)) continue;
      tf.unregisterKernel(name, 'wasm');
      const old = stockWasm.get(name);
      if (old) tf.registerKernel(old);
      stockWasm.delete(name);
    }
    unregisterBatchNormKernels();
    unregisterSpatialMeanKernels();
  }
  for (const p of ALL_TRAINING_KERNEL_PARTS) installed.delete(`${backend}:${p}`);
}

function partOf(kernel: string): TrainingKernelPart {
  const parts: Record<string, TrainingKernelPart> = {
    BatchMatMul: 'matmul', Conv2DBackpropInput: 'conv-input', Conv2DBackpropFilter: 'conv-filter', MaxPoolGrad: 'max-pool',
    Identity: 'identity', MaxPool: 'pool-small',
  };
  return parts[kernel];
}

/** Whether layers.ts should use its fast batch-norm gradient (our kernels serve this backend). */
export function trainingKernelsActive(backend: string): boolean {
  return installed.has(`${backend}:batch-norm`);
}

/** Whether layers.ts should pool through the spatial-mean kernels (our kernels serve this backend). */
export function meanKernelActive(backend: string): boolean {
  return installed.has(`${backend}:mean`);
}
