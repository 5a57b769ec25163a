/**
 * The optimiser and EMA updates as one pass per parameter on the wasm heap, instead of five or six
 * small tfjs ops each (every op allocates an output and costs tfjs bookkeeping; the reference model
 * has ~30 parameters, so ~250 op calls per step went to these updates). Results are new tensors
 * assigned to the variables: updating in place would leave stale copies of the weights in
 * XNNPACK's packed-operator caches, which are keyed by the filter tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { ioFor } from './io.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
function wrap(info: tf.TensorInfo): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * SGD with momentum in PyTorch's form for one parameter: v ← μv + g + wd·w, w ← w − η·v
 * (m and w are assigned their new values).
 */
export function fusedSgdMomentum(w: tf.Variable, m: tf.Variable, g: tf.Tensor, mu: number, lr: number, wd: number): void {
  const backend = tf.backend() as any;
  const io = ioFor('wasm', backend);
  // Allocate both outputs before taking views: an allocation may grow the heap and detach them.
  const wOut = io.alloc(w.shape);
  const mOut = io.alloc(w.shape);
  const wv = io.view(w), mv = io.view(m), gv = io.view(g);
  const wo = io.view(wOut), mo = io.view(mOut);
  for (let i = 0; i < wv.length; i++) {
    const v = mu * mv[i]! + gv[i]! + wd * wv[i]!;
    mo[i] = v;
    wo[i] = wv[i]! - lr * v;
  }
  const wt = wrap(wOut);
  const mt = wrap(mOut);
  w.assign(wt);
  m.assign(mt);
  wt.dispose();
  mt.dispose();
}

/** EMA for one parameter: W_a ← γ_a W_a + (1 − γ_a) W. */
export function fusedEma(target: tf.Variable, online: tf.Tensor, gamma: number): void {
  const io = ioFor('wasm', tf.backend());
  const out = io.alloc(target.shape);
  const tv = io.view(target), ov = io.view(online), o = io.view(out);
  const a = 1 - gamma;
  for (let i = 0; i < tv.length; i++) o[i] = gamma * tv[i]! + a * ov[i]!;
  const t = wrap(out);
  target.assign(t);
  t.dispose();
}
