/**
 * The names of the training backends, apart from the code that loads them: the CLI and the web
 * server check `--backend` against this list without loading TensorFlow.js.
 */

/** Which package provides the backend. */
export type BackendKind = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';

/** What the user asked for: 'auto' picks the fastest available. */
export type BackendPreference = 'auto' | BackendKind;

/** The GPU adapter a webgpu run trains on, as Dawn reports it (recorded with the run). */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, …): correct but slow; `auto` never picks one. */
  fallback: boolean;
}

/** A short label: "nvidia ampere (NVIDIA GeForce RTX 3060)", "google swiftshader (…) [software]". */
export function adapterLabel(a: GpuAdapterInfo): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const extra = a.description && !name.includes(a.description) ? ` (${a.description})` : '';
  return `${name}${extra}${a.fallback ? ' [software]' : ''}`;
}

/** Every accepted preference, for argument parsing and error messages. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'];

/** The most threads wasm's XNNPACK pool takes (its C++ cap; the glue pre-creates 8 workers). */
export const MAX_WASM_THREADS = 8;

/**
 * Threads one run gets when `concurrent` runs share `cores` cores: an equal share, at least 1,
 * at most MAX_WASM_THREADS.
 */
export function threadShare(cores: number, concurrent: number): number {
  return Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(cores / Math.max(1, concurrent))));
}

/** A thread count from the user (flag or option): an integer 1 … MAX_WASM_THREADS, else an error naming it. */
export function parseThreads(raw: string | number): number {
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`threads must be an integer from 1 to ${MAX_WASM_THREADS}, got '${String(raw)}'`);
  }
  return n;
}
