/**
 * The ReLU gradient as one wasm kernel: tfjs's own is dy · cast(step(x)), three kernel calls per
 * ReLU, and wasm's Step alone took ~10% of a lab-scale step's CPU time (8 calls); this is one
 * SIMD pass (kernels/simd.ts). The result is
 * bit for bit what the stock formula gives: dy·1 where x > 0, dy·0 (a signed zero) where x ≤ 0,
 * NaN where x is NaN.
 */
import * as tf from '@tensorflow/tfjs';
import { ioFor } from './io.ts';
import { simdLoopsFor } from './simd.ts';

/** Kernel name (ours). */
export const RELU_GRAD = 'DplabReluGrad';

/* eslint-disable @typescript-eslint/no-explicit-any */
function reluGradWasm({ inputs, backend }: { inputs: Record<string, tf.TensorInfo>; backend: any }): tf.TensorInfo {
  const io = ioFor('wasm', backend);
  const out = io.alloc(inputs.x!.shape);
  const x = io.view(inputs.x!), dy = io.view(inputs.dy!), o = io.view(out);
  // SIMD over the multiple of 4 (a JS loop over the heap is slower than the three stock kernels), JS for the rest.
  const simd = simdLoopsFor(backend);
  const head = simd ? o.length - (o.length % 4) : 0;
  if (head > 0) simd!.reluGrad(head / 4, 4, dy.byteOffset, x.byteOffset, o.byteOffset);
  for (let i = head; i < o.length; i++) {
    const xi = x[i]!;
    o[i] = xi > 0 ? dy[i]! : xi !== xi ? NaN : dy[i]! * 0;
  }
  return out;
}

/** The stock gradient of Relu, kept for every backend but wasm. */
let stockGrad: tf.GradConfig | undefined;

/**
 * Registers the kernel on wasm and a gradient for Relu that uses it on wasm when `active()` says
 * our training kernels serve the current backend, and tfjs's own formula everywhere else.
 */
export function registerReluGrad(active: (backend: string) => boolean): void {
  if (!tf.getKernel(RELU_GRAD, 'wasm')) tf.registerKernel({ kernelName: RELU_GRAD, backendName: 'wasm', kernelFunc: reluGradWasm as any });
  if (stockGrad) return;
  stockGrad = tf.getGradient('Relu');
  const stock = stockGrad;
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (!active(tf.getBackend())) return stock.gradFunc(dy, saved, attrs);
      const [x] = saved;
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x: x! }) as tf.Tensor };
    },
  });
}
