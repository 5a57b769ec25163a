/**
 * Which backend 'auto' will most likely pick, told without loading TensorFlow.js (the server and
 * the Electron main process show it in the status bar; only trainer processes load tfjs).
 */
import { createRequire } from 'node:module';
import type { BackendKind, BackendPreference } from '../common/backends.ts';

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** The backend a preference resolves to, judged by which optional packages are installed. */
export function likelyBackend(pref: BackendPreference): BackendKind {
  if (pref !== 'auto') return pref;
  if (installed('@tensorflow/tfjs-node-gpu')) return 'tfjs-node-gpu';
  if (installed('@tensorflow/tfjs-node')) return 'tfjs-node';
  return 'wasm';
}
