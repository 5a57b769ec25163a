/**
 * F̂, the running estimate of the predictor input's correlation E[ffᵀ] (paper Eq. 19), and the
 * hook that lets a predictor kind set W_p from it (DirectPred, DirectCopy) after each step.
 */
import type { Networks } from './networks.ts';

/** F̂ ← ρF̂ + (1 − ρ)E_B[ffᵀ], in place; the first batch initialises it. Returns the (new) F̂. */
export function updateFHat(fHat: Float64Array | null, corr: ArrayLike<number>, rho: number): Float64Array {
  if (!fHat) return Float64Array.from(corr);
  for (let i = 0; i < fHat.length; i++) fHat[i] = rho * fHat[i]! + (1 - rho) * corr[i]!;
  return fHat;
}

/** Folds this step's E_B[ffᵀ] into F̂, then runs the predictor's after-step rule (W_p from F̂, symmetrisation). */
export function fHatStep(nets: Networks, fHat: Float64Array | null, corr: ArrayLike<number>, rho: number, step: number): Float64Array {
  const next = updateFHat(fHat, corr, rho);
  nets.pred.afterStep?.(nets.online, next, nets.d, step, nets.predCfg);
  return next;
}

/** The paper's W_p (d×d row-major) read from the online weights, or null for a nonlinear/no predictor. */
export function readWp(nets: Networks): Float64Array | null {
  const wpT = nets.pred.wp?.(nets.online) ?? null;
  if (!wpT) return null;
  const w = Float64Array.from(wpT.dataSync());
  wpT.dispose();
  return w;
}
