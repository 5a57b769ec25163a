/**
 * The names of the training backends, apart from the code that loads them: the CLI and the web
 * server check `--backend` against this list without loading TensorFlow.js.
 */

/** Which package provides the backend. */
export type BackendKind = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';

/** What the user asked for: 'auto' picks the fastest available. */
export type BackendPreference = 'auto' | BackendKind;

/** Every accepted preference, for argument parsing and error messages. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'];
