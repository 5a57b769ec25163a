/**
 * Access to the wasm backend's float32 buffers (on the wasm heap) from JS, so the loops of
 * loops.ts can serve as kernels. The backend name is checked so a misuse fails clearly.
 */
import type * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;

/** Allocation and typed-array views for one backend. */
export interface BackendIo {
  /** A new float32 output; zero-filled when `zero` (wasm's malloc is not). */
  alloc(shape: number[], zero?: boolean): TensorInfo;
  /**
   * Float32 view of a tensor's data. On wasm a later alloc can grow the heap and detach views:
   * allocate every output first, then take views.
   */
  view(t: TensorInfo): Float32Array;
  /** Releases an intermediate made by alloc or by a kernel function. */
  free(t: TensorInfo): void;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The BackendIo of the backend object a kernel function receives. */
export function ioFor(backendName: string, backend: any): BackendIo {
  if (backendName === 'wasm') {
    return {
      alloc(shape, zero = false) {
        const t = backend.makeOutput(shape, 'float32');
        if (zero) backend.typedArrayFromHeap(t).fill(0);
        return t;
      },
      view: (t) => backend.typedArrayFromHeap(t),
      free: (t) => backend.disposeData(t.dataId),
    };
  }
  throw new Error(`training kernels: no JS buffer access for backend '${backendName}' (only wasm)`);
}
