/**
 * The global average pool (mean over an image's pixels, NHWC → NC) as one wasm kernel each way.
 * On wasm, tf.mean over axes [1, 2] transposes its input first (a pass over it at wasm's generic
 * Transpose speed), and its gradient is (dy · ones(x.shape)) / (h·w): a JS-filled ones tensor the
 * size of x, a broadcasting Multiply and a RealDiv, ~1.8 ms a call on the lab's [32, 14, 14, 16]
 * (about 10% of a lab-scale step for its two calls). These kernels do one pass each (direct.ts) with
 * the same float operations, so they give tfjs's results bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { ioFor } from './io.ts';
import { directSpatialMean, directSpatialMeanGrad } from './direct.ts';

/** Kernel names (ours). */
export const SPATIAL_MEAN = 'DplabSpatialMean';
export const SPATIAL_MEAN_GRAD = 'DplabSpatialMeanGrad';

/* eslint-disable @typescript-eslint/no-explicit-any */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: any };

function ptr(backend: any, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset as number;
}

/** x [n, h, w, c] → y [n, c]: per channel, 0 plus the pixels in order, divided by h·w. */
function spatialMeanWasm({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x!;
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const io = ioFor('wasm', backend);
  const y = io.alloc([n, c]);
  const f = c % 4 === 0 && n > 0 && h * w > 0 ? directSpatialMean(backend, h * w, c) : null;
  if (f) {
    f(ptr(backend, x), ptr(backend, y), n);
    return y;
  }
  // Float32 sums (Math.fround after each add) in the same order, for any c.
  const xv = io.view(x), yv = io.view(y);
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let p = 0; p < h * w; p++) s = Math.fround(s + xv[(b * h * w + p) * c + j]!);
      yv[b * c + j] = Math.fround(s / (h * w));
    }
  }
  return y;
}

/** dy [n, c] → dx [n, h, w, c] = dy / (h·w) at every pixel; attrs: the input's shape. */
function spatialMeanGradWasm({ inputs, backend, attrs }: KernelArgs & { attrs: Record<string, any> }): tf.TensorInfo {
  const dy = inputs.dy!;
  const [n, h, w, c] = attrs.inputShape as [number, number, number, number];
  const io = ioFor('wasm', backend);
  const dx = io.alloc([n, h, w, c]);
  const f = c % 4 === 0 && n > 0 && h * w > 0 ? directSpatialMeanGrad(backend, h * w, c) : null;
  if (f) {
    f(ptr(backend, dy), ptr(backend, dx), n);
    return dx;
  }
  const dyv = io.view(dy), dxv = io.view(dx);
  for (let b = 0; b < n; b++) {
    for (let j = 0; j < c; j++) {
      const v = Math.fround(dyv[b * c + j]! / (h * w));
      for (let p = 0; p < h * w; p++) dxv[(b * h * w + p) * c + j] = v;
    }
  }
  return dx;
}

let gradientRegistered = false;

/** Registers both kernels for wasm and, once per process, the forward's gradient. Idempotent. */
export function registerSpatialMeanKernels(): void {
  if (!tf.getKernel(SPATIAL_MEAN, 'wasm')) tf.registerKernel({ kernelName: SPATIAL_MEAN, backendName: 'wasm', kernelFunc: spatialMeanWasm as any });
  if (!tf.getKernel(SPATIAL_MEAN_GRAD, 'wasm')) tf.registerKernel({ kernelName: SPATIAL_MEAN_GRAD, backendName: 'wasm', kernelFunc: spatialMeanGradWasm as any });
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: SPATIAL_MEAN,
    // The input's shape comes with the forward's attrs: nothing needs saving.
    gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) =>
      ({ x: () => tf.engine().runKernel(SPATIAL_MEAN_GRAD, { dy: dy as tf.Tensor }, { inputShape: attrs.inputShape as number[] }) as tf.Tensor }),
  });
}

/** Removes both kernels from wasm (benchmarks compare with and without them in one process). */
export function unregisterSpatialMeanKernels(): void {
  for (const name of [SPATIAL_MEAN, SPATIAL_MEAN_GRAD]) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
}

/** Mean over the pixels of NHWC x through the kernel (wasm only: callers check meanKernelActive). */
export function spatialMeanKernel(x: tf.Tensor4D): tf.Tensor2D {
  return tf.engine().runKernel(SPATIAL_MEAN, { x }, { inputShape: x.shape }) as tf.Tensor2D;
}
