/**
 * Access to a backend's float32 buffers from JS, so one loop (loops.ts) can serve as a kernel on
 * both the wasm backend (buffers live on the wasm heap) and the cpu backend (plain typed arrays).
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
  if (backendName === 'cpu') {
    return {
      alloc(shape) {
        let size = 1;
        for (const d of shape) size *= d;
        return backend.makeTensorInfo(shape, 'float32', new Float32Array(size));
      },
      view: (t) => backend.data.get(t.dataId).values as Float32Array,
      free: (t) => backend.disposeIntermediateTensorInfo(t),
    };
  }
  throw new Error(`training kernels: no JS buffer access for backend '${backendName}' (only wasm and cpu)`);
}
