/**
 * Closed forms of the paper's per-mode analysis (Tian, Chen & Ganguli 2021, §3.2, Eqs. 14–16):
 * fixed points of ṗ_j on the invariant parabola, the collapse threshold, the parabola itself and
 * the conserved quantities of Theorem 1 / Eq. 14.
 */
import { matmul, matmulAT, matmulBT } from '../math/dense.ts';
import { FixedPointParamsSchema, parseParams, type FixedPointParams } from './params.ts';

/** Fixed points of Eq. 16 at fixed τ, and whether collapse is certain. */
export interface FixedPoints {
  /** p*₋: unstable fixed point, edge of the collapse basin p_j < p*₋ (null when none). */
  pMinus: number | null;
  /** p*₊: stable non-collapsed fixed point (null when none). */
  pPlus: number | null;
  /** s on the invariant parabola at p*₋ / p*₊: p²/α_p (null when none). */
  sMinus: number | null;
  sPlus: number | null;
  /** η threshold τ²/(4(1+σ²)) beyond which only p = 0 remains. */
  etaThreshold: number;
  /** η > τ²/(4(1+σ²)): every mode collapses (Obs. #5). */
  collapseCertain: boolean;
}

/**
 * p*_± = [τ ± sqrt(τ² − 4η(1+σ²))] / (2(1+σ²)) (Eq. 16). Null when the discriminant is negative.
 * At η = 0, p*₋ = 0 coincides with the saddle at the origin and p*₊ = τ/(1+σ²).
 */
export function fixedPoints(input: FixedPointParams | { tau: number; sigma2: number; eta: number; alphaP?: number }): FixedPoints {
  const { tau, sigma2, eta, alphaP } = parseParams(FixedPointParamsSchema, input, 'fixed-points');
  const lambda = 1 + sigma2;
  const etaThreshold = (tau * tau) / (4 * lambda);
  const disc = tau * tau - 4 * eta * lambda;
  const collapseCertain = eta > etaThreshold;
  if (disc < 0 || collapseCertain) return { pMinus: null, pPlus: null, sMinus: null, sPlus: null, etaThreshold, collapseCertain: true };
  const root = Math.sqrt(disc);
  // Citardauq form for the smaller root avoids cancellation when η is tiny: p*₋ p*₊ = η/(1+σ²).
  const pPlus = (tau + root) / (2 * lambda);
  const pMinus = pPlus !== 0 ? eta / (lambda * pPlus) : (tau - root) / (2 * lambda);
  return { pMinus, pPlus, sMinus: (pMinus * pMinus) / alphaP, sPlus: (pPlus * pPlus) / alphaP, etaThreshold, collapseCertain };
}

/** The invariant parabola s = p²/α_p (Eq. 14 with c_j = 0). */
export function invariantParabola(p: number, alphaP: number): number {
  return (p * p) / alphaP;
}

/** Eq. 14: s_j(t) = p_j(t)²/α_p + e^(−2ηt) c_j with c_j = s_j(0) − p_j(0)²/α_p. */
export function modeInvariantS(p: number, t: number, p0: number, s0: number, alphaP: number, eta: number): number {
  return (p * p) / alphaP + Math.exp(-2 * eta * t) * (s0 - (p0 * p0) / alphaP);
}

/** Right-hand side of Eq. 16 at fixed τ: ṗ = p²[τ − (1+σ²)p] − ηp (on the invariant parabola). */
export function pDotOnParabola(p: number, tau: number, eta: number, sigma2: number): number {
  return p * p * (tau - (1 + sigma2) * p) - eta * p;
}

/** Balance matrix W Wᵀ − W_pᵀW_p/α_p (n2×n2), the left side of Theorem 1. */
export function balanceMatrix(W: Float64Array, Wp: Float64Array, n1: number, n2: number, alphaP: number): Float64Array {
  const WWt = matmulBT(W, W, n2, n1, n2);
  const WptWp = matmulAT(Wp, Wp, n2, n2, n2);
  for (let i = 0; i < n2 * n2; i++) WWt[i] = WWt[i]! - WptWp[i]! / alphaP;
  return WWt;
}

/**
 * Theorem 1 residual ‖W Wᵀ − W_pᵀW_p/α_p − e^(−2ηt) C‖_F, with C the balance matrix at t = 0;
 * zero along the exact flow of Eqs. 2–3 whatever W_a does.
 */
export function theorem1Residual(W: Float64Array, Wp: Float64Array, C: Float64Array, n1: number, n2: number, alphaP: number, eta: number, t: number): number {
  const B = balanceMatrix(W, Wp, n1, n2, alphaP);
  const decay = Math.exp(-2 * eta * t);
  let s = 0;
  for (let i = 0; i < n2 * n2; i++) {
    const r = B[i]! - decay * C[i]!;
    s += r * r;
  }
  return Math.sqrt(s);
}

/** F = W X Wᵀ (n2×n2), the correlation of the predictor input. */
export function correlationF(W: Float64Array, X: Float64Array | null, n1: number, n2: number): Float64Array {
  const WX = X ? matmul(W, X, n2, n1, n1) : W;
  return matmulBT(WX, W, n2, n1, n2);
}
