/** BYOL's target network as an exponential moving average of the online backbone. */
import * as tf from '@tensorflow/tfjs';
import type { Params } from '../model.ts';
import { trainingKernelsActive } from '../kernels/index.ts';
import { fusedEma } from '../kernels/update.ts';

/** W_a ← γ_a W_a + (1 − γ_a) W for every target weight (keys shared with the online store). */
export function emaUpdate(target: Params, online: Params, gamma: number): void {
  // wasm: one pass per parameter on the heap (kernels/update.ts) instead of three small ops.
  if (trainingKernelsActive(tf.getBackend())) {
    for (const [k, t] of target) fusedEma(t, online.get(k)!, gamma);
    return;
  }
  tf.tidy(() => {
    for (const [k, t] of target) t.assign(t.mul(gamma).add(online.get(k)!.mul(1 - gamma)));
  });
}
