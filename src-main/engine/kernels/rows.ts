/**
 * A tensor's leading axis cut into equal blocks of rows, and such blocks joined again, as one wasm
 * kernel call each: heap copies (a block of leading rows is contiguous), each the other's gradient.
 * train/group.ts cuts the stacked augmented views into each member's rows and stacks the members'
 * projector outputs for the loss; tfjs's own split costs ~0.5 ms a call on the lab's shapes (a
 * slice kernel per block), more than the layer it serves.
 */
import * as tf from '@tensorflow/tfjs';
import { ioFor } from './io.ts';

/** Kernel names (ours). */
export const SPLIT_ROWS = 'DplabSplitRows';
export const CONCAT_ROWS = 'DplabConcatRows';

/* eslint-disable @typescript-eslint/no-explicit-any */
type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: any; attrs: Record<string, any> };

/** x [n·k, …] → n outputs [k, …] (attrs n). */
function splitRowsWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x } = inputs;
  const n: number = attrs.n;
  const io = ioFor('wasm', backend);
  const shape = [x.shape[0]! / n, ...x.shape.slice(1)];
  const outs = Array.from({ length: n }, () => io.alloc(shape));
  const xv = io.view(x);
  const size = xv.length / n;
  outs.forEach((o, i) => io.view(o).set(xv.subarray(i * size, (i + 1) * size)));
  return outs;
}

/** Inputs x0 … x{n−1}, each [k, …] → one [n·k, …] (attrs n). */
function concatRowsWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const n: number = attrs.n;
  const first = inputs.x0!;
  const io = ioFor('wasm', backend);
  const y = io.alloc([first.shape[0]! * n, ...first.shape.slice(1)]);
  const yv = io.view(y);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const v = io.view(inputs[`x${i}`]!);
    yv.set(v, at);
    at += v.length;
  }
  return y;
}

let gradientsRegistered = false;

/** Registers both kernels for wasm (and, once per process, their gradients). Idempotent. */
export function registerRowKernels(): void {
  if (!tf.getKernel(SPLIT_ROWS, 'wasm')) tf.registerKernel({ kernelName: SPLIT_ROWS, backendName: 'wasm', kernelFunc: splitRowsWasm as any });
  if (!tf.getKernel(CONCAT_ROWS, 'wasm')) tf.registerKernel({ kernelName: CONCAT_ROWS, backendName: 'wasm', kernelFunc: concatRowsWasm as any });
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: SPLIT_ROWS,
    gradFunc: (dys: tf.Tensor | tf.Tensor[]) => {
      const parts = Array.isArray(dys) ? dys : [dys];
      return { x: () => concatRows(parts) };
    },
  });
  tf.registerGradient({
    kernelName: CONCAT_ROWS,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const n = attrs.n as number;
      const parts = splitRows(Array.isArray(dy) ? dy[0]! : dy, n);
      return Object.fromEntries(parts.map((p, i) => [`x${i}`, () => p]));
    },
  });
}

/** x's leading axis cut into n equal blocks (float32, wasm). */
export function splitRows<T extends tf.Tensor>(x: T, n: number): T[] {
  if (x.shape[0]! % n !== 0) throw new Error(`splitRows: ${x.shape[0]} rows do not split into ${n} equal blocks`);
  return tf.engine().runKernel(SPLIT_ROWS, { x }, { n }) as unknown as T[];
}

/** Equal blocks joined along the leading axis (float32, wasm). */
export function concatRows<T extends tf.Tensor>(parts: T[]): T {
  const inputs: Record<string, tf.Tensor> = {};
  parts.forEach((p, i) => (inputs[`x${i}`] = p));
  return tf.engine().runKernel(CONCAT_ROWS, inputs, { n: parts.length }) as unknown as T;
}
