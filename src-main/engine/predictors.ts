/**
 * Predictor kinds, TensorFlow.js side: one block per kind of common/predictors.ts (its options and
 * label live there); PREDICTORS is a record keyed by kind, so a kind without a block does not compile. Convention: a linear predictor stores W with shape
 * [d_in, d_out] and computes p = f·W, so the paper's W_p (p = W_p f) is Wᵀ.
 */
import * as tf from '@tensorflow/tfjs';
import type { PredictorKind, PredictorSetup, Setup } from '../common/setup.ts';
import { applyBn, type ForwardMode, type ParamBuilder, type Params } from './model.ts';
import { dense } from './layers.ts';
import { eigh } from '../math/eigh.ts';

/** What the trainer needs of a predictor kind. */
export interface PredictorBlock {
  kind: PredictorKind;
  /** Creates the predictor's parameters (names start with `pred.`) for predictor input width d. */
  build(b: ParamBuilder, d: number, cfg: PredictorSetup): void;
  /** p = predictor(f). */
  forward(f: tf.Tensor2D, p: Params, mode: ForwardMode, cfg: PredictorSetup): tf.Tensor2D;
  /** The paper's W_p (d×d, p = W_p f) when the predictor is linear; null otherwise. */
  wp?(p: Params): tf.Tensor2D | null;
  /** Whether SGD updates the predictor's parameters at this step (0-based). */
  sgdAt(step: number, cfg: PredictorSetup): boolean;
  /**
   * Runs after the optimiser step with the current F̂ (d×d row-major, uncentred correlation). `wp`
   * is W_p as read back this step after the optimiser (null when it was not read). When the rule
   * changes W_p it returns the new W_p (d×d row-major) computed on the CPU, or null if it cannot
   * (no `wp` given), so the trainer never reads the GPU a second time in a step.
   */
  afterStep?(p: Params, fHat: Float64Array | null, d: number, step: number, cfg: PredictorSetup, wp?: Float64Array | null): Float64Array | null | void;
}

/**
 * DirectPred's p_j from F̂'s eigenvalues s (descending), official code's form (luckmatters
 * ssl/real-dataset byol_trainer.py `compute_w_corr`, `balance_type=boost_scale`): with c_j = 0,
 * p_j = max(sqrt(max(s_j, 0)/s_max) + ε, 1e-4); with c_j ≠ 0 (paper Table 7, `dyn_eps_inside=true`,
 * `dyn_eps = −c_j`), p_j = sqrt(max(max(s_j, 0)/s_max − c_j, 1e-4)) + ε, so a positive c_j sets the
 * eigen-directions below c_j of the top to the floor 0.01.
 */
export function directPredGains(s: ArrayLike<number>, eps: number, cj = 0): Float64Array {
  const d = s.length;
  const sMax = s[0]!;
  const p = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const ratio = sMax > 0 ? Math.max(s[j]!, 0) / sMax : 0;
    p[j] = cj === 0 ? Math.max(Math.sqrt(ratio) + eps, 1e-4) : Math.sqrt(Math.max(ratio - cj, 1e-4)) + eps;
  }
  return p;
}

/**
 * DirectPred's predictor from F̂: F̂ = U diag(s) Uᵀ, W_p = U diag(p) Uᵀ with p from
 * `directPredGains`. Returns W_p as d×d row-major (symmetric).
 */
export function directPredWeights(fHat: ArrayLike<number>, d: number, eps: number, cj = 0): Float64Array {
  const { values: s, vectors: U } = eigh(fHat, d);
  const p = directPredGains(s, eps, cj);
  const W = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      let acc = 0;
      for (let j = 0; j < d; j++) acc += U[a * d + j]! * p[j]! * U[b * d + j]!;
      W[a * d + b] = acc;
      W[b * d + a] = acc;
    }
  }
  return W;
}

/**
 * DirectCopy's predictor (d×d row-major): W_p = F̂ / λ_max(F̂) + εI ('lambda-max', ours) or
 * F̂ + εI ('none', the official code's `balance_type=direct`, `dyn_convert=1`).
 */
export function directCopyWeights(fHat: ArrayLike<number>, d: number, eps: number, normalize: 'lambda-max' | 'none' = 'lambda-max'): Float64Array {
  let lmax = 1;
  if (normalize === 'lambda-max') {
    const top = eigh(fHat, d).values[0]!;
    if (top > 0) lmax = top;
  }
  const W = new Float64Array(d * d);
  for (let i = 0; i < d * d; i++) W[i] = fHat[i]! / lmax;
  for (let i = 0; i < d; i++) W[i * d + i] += eps;
  return W;
}

function linearWp(p: Params): tf.Tensor2D {
  return tf.transpose(p.get('pred.w') as unknown as tf.Tensor2D);
}

function linearForward(f: tf.Tensor2D, p: Params): tf.Tensor2D {
  return dense(f, p.get('pred.w') as unknown as tf.Tensor2D, p.get('pred.b') as unknown as tf.Tensor1D | undefined);
}

function setWp(p: Params, W: Float64Array, d: number): Float64Array {
  // W_p is symmetric for both DirectPred and DirectCopy, so the stored [in, out] matrix equals W_p.
  const v = p.get('pred.w')!;
  const w32 = Float32Array.from(W);
  const t = tf.tensor2d(w32, [d, d]);
  v.assign(t);
  t.dispose();
  // What the predictor now holds (float32), so spectra match the weights exactly.
  return Float64Array.from(w32);
}

/** Whether a closed-form predictor sets W_p after step `step` (0-based), per its `freq` and `freqPhase`. */
export function setsWpAt(step: number, cfg: { freq: number; freqPhase: 'last' | 'first' }): boolean {
  return (cfg.freqPhase === 'first' ? step : step + 1) % cfg.freq === 0;
}

function closedFormSgdAt(step: number, cfg: PredictorSetup): boolean {
  // With freq = 1 the weights are overwritten after every step, so SGD on them would be discarded.
  const freq = 'freq' in cfg ? cfg.freq : 1;
  return freq > 1 || ('bias' in cfg && cfg.bias === true);
}

/** The registry of predictor kinds. */
export const PREDICTORS: Record<PredictorKind, PredictorBlock> = {
  none: {
    kind: 'none',
    build() {},
    forward: (f) => f,
    sgdAt: () => false,
  },
  linear: {
    kind: 'linear',
    build(b, d, cfg) {
      b.uniform('pred.w', [d, d], d);
      if (cfg.kind === 'linear' && cfg.bias) b.constant('pred.b', [d], 0);
    },
    forward: (f, p) => linearForward(f, p),
    wp: linearWp,
    sgdAt: () => true,
    afterStep(p, _f, d, _step, cfg, wp) {
      if (cfg.kind !== 'linear' || !cfg.symmetric) return;
      // Symmetric regularisation (paper Assumption 3): W_p ← (W_p + W_pᵀ)/2 after every step.
      const v = p.get('pred.w')!;
      const t = tf.tidy(() => v.add(tf.transpose(v)).mul(0.5));
      v.assign(t);
      t.dispose();
      if (!wp) return null;
      const s = new Float64Array(d * d);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) s[a * d + b] = Math.fround((wp[a * d + b]! + wp[b * d + a]!) * 0.5);
      return s;
    },
  },
  mlp: {
    kind: 'mlp',
    build(b, d, cfg) {
      const h = cfg.kind === 'mlp' ? cfg.hidden : 512;
      b.weight('pred.l1.w', [d, h], d);
      b.bn('pred.bn', h);
      b.weight('pred.l2.w', [h, d], h);
      b.constant('pred.l2.b', [d], 0);
    },
    forward(f, p, mode) {
      const a = tf.relu(applyBn(dense(f, p.get('pred.l1.w') as unknown as tf.Tensor2D), p, 'pred.bn', mode));
      return dense(a, p.get('pred.l2.w') as unknown as tf.Tensor2D, p.get('pred.l2.b') as unknown as tf.Tensor1D);
    },
    sgdAt: () => true,
  },
  directpred: {
    kind: 'directpred',
    build(b, d, cfg) {
      b.uniform('pred.w', [d, d], d);
      if (cfg.kind === 'directpred' && cfg.bias) b.constant('pred.b', [d], 0);
    },
    forward: (f, p) => linearForward(f, p),
    wp: linearWp,
    sgdAt: closedFormSgdAt,
    afterStep(p, fHat, d, step, cfg) {
      if (cfg.kind !== 'directpred' || !fHat || !setsWpAt(step, cfg)) return;
      return setWp(p, directPredWeights(fHat, d, cfg.eps, cfg.cj ?? 0), d);
    },
  },
  directcopy: {
    kind: 'directcopy',
    build(b, d) {
      b.uniform('pred.w', [d, d], d);
    },
    forward: (f, p) => linearForward(f, p),
    wp: linearWp,
    sgdAt: closedFormSgdAt,
    afterStep(p, fHat, d, step, cfg) {
      if (cfg.kind !== 'directcopy' || !fHat || !setsWpAt(step, cfg)) return;
      return setWp(p, directCopyWeights(fHat, d, cfg.eps, cfg.normalize), d);
    },
  },
};

/** ρ of the F̂ moving average: the predictor's own for DirectPred/DirectCopy, else 0.3 (spectra only). */
export function fHatRho(setup: Setup): number {
  const p = setup.predictor;
  return p.kind === 'directpred' || p.kind === 'directcopy' ? p.rho : 0.3;
}
