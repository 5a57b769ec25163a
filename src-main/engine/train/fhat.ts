/**
 * F̂, the running estimate of the predictor input's correlation E[ffᵀ] (paper Eq. 19), and the
 * hook that lets a predictor kind set W_p from it (DirectPred, DirectCopy) after each step.
 */
import type { Networks } from './networks.ts';

/**
 * F̂ ← ρF̂ + (1 − ρ)E_B[ffᵀ], in place; the first batch initialises it. Returns the (new) F̂. For a
 * predictor with `crossStats` both arrays are F̂ stacked over Ĉ (2·d·d), each averaged alike.
 */
export function updateFHat(fHat: Float64Array | null, corr: ArrayLike<number>, rho: number): Float64Array {
  if (!fHat) return Float64Array.from(corr);
  for (let i = 0; i < fHat.length; i++) fHat[i] = rho * fHat[i]! + (1 - rho) * corr[i]!;
  return fHat;
}

/**
 * Folds this step's E_B[ffᵀ] into F̂, then runs the predictor's after-step rule (W_p from F̂,
 * symmetrisation). `wpRead`: W_p as read back this step (or null). Returns F̂ and W_p as it now
 * stands when known on the CPU (the rule's result, else `wpRead`), so spectra need no readback.
 */
export function fHatStep(
  nets: Networks, fHat: Float64Array | null, corr: ArrayLike<number>, rho: number, step: number, wpRead: Float64Array | null = null,
): { fHat: Float64Array; wp: Float64Array | null } {
  const next = updateFHat(fHat, corr, rho);
  const set = nets.pred.afterStep?.(nets.online, next, nets.d, step, nets.predCfg, wpRead);
  return { fHat: next, wp: set === undefined ? wpRead : set };
}

/** The paper's W_p (d×d row-major) read from the online weights, or null for a nonlinear/no predictor. */
export async function readWp(nets: Networks): Promise<Float64Array | null> {
  const wpT = nets.pred.wp?.(nets.online) ?? null;
  if (!wpT) return null;
  const w = Float64Array.from(await wpT.data());
  wpT.dispose();
  return w;
}
