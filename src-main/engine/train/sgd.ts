/**
 * The optimiser: SGD with momentum and weight decay in PyTorch's form,
 * v ← μv + g + wd·w, w ← w − η·v, with the predictor's own η (lr × predictorLrRatio) and weight decay.
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../../common/setup.ts';
import type { Params } from '../model.ts';
import { trainingKernelsActive } from '../kernels/index.ts';
import { fusedSgdMomentum } from '../kernels/update.ts';

/** Learning rates and decays of one run, per parameter group (backbone vs `pred.`). */
export interface SgdHyper {
  momentum: number;
  lr: number;
  weightDecay: number;
  predictorLr: number;
  predictorWeightDecay: number;
}

/** The optimiser's hyper-parameters of a setup. */
export function sgdHyper(setup: Setup): SgdHyper {
  const o = setup.optim;
  return {
    momentum: o.momentum,
    lr: o.lr,
    weightDecay: o.weightDecay,
    predictorLr: o.lr * o.predictorLrRatio,
    predictorWeightDecay: o.predictorWeightDecay,
  };
}

/**
 * Applies one update to the online weights and their momenta. `grads` is keyed by tfjs variable
 * name (as `tf.variableGrads` returns it), mapped to our keys by `keyOfVar`; it is not disposed here.
 */
export function sgdMomentumUpdate(
  grads: tf.NamedTensorMap,
  keyOfVar: Map<string, string>,
  online: Params,
  momenta: Params,
  h: SgdHyper,
): void {
  // wasm: one pass per parameter on the heap (kernels/update.ts) instead of six small ops.
  const fused = trainingKernelsActive(tf.getBackend());
  tf.tidy(() => {
    for (const [varName, g] of Object.entries(grads)) {
      const name = keyOfVar.get(varName)!;
      const isPred = name.startsWith('pred.');
      const w = online.get(name)!;
      const m = momenta.get(name)!;
      const wd = isPred ? h.predictorWeightDecay : h.weightDecay;
      const lr = isPred ? h.predictorLr : h.lr;
      if (fused && g.dtype === 'float32') {
        fusedSgdMomentum(w, m, g, h.momentum, lr, wd);
        continue;
      }
      const v = m.mul(h.momentum).add(g).add(w.mul(wd));
      m.assign(v);
      w.assign(w.sub(v.mul(lr)));
    }
  });
}
