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
