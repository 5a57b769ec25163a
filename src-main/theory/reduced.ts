/**
 * Reduced dynamics of W_p and F = W X Wᵀ at fixed τ (Tian, Chen & Ganguli 2021, Eq. 7, X = I,
 * X' = σ²I, {A, B} = AB + BA):
 *   Ẇ_p = −(α_p/2)(1+σ²){W_p, F} + α_p τ F − η W_p,   Ḟ = −(1+σ²){W_p², F} + τ{W_p, F} − 2ηF
 * or its non-symmetrised Appendix B form (Ẇ_p = −α_p(1+σ²) W_p F + α_p τ F − η W_p,
 * Ḟ = −(1+σ²)(W_pᵀW_p F + F W_pᵀW_p) + τ(W_pᵀF + F W_p) − 2ηF), used by Fig. 8 to show that the
 * antisymmetric part of W_p dies out. Records Theorem 3's commutator, λ_min(K) and the bound.
 */
import { eigh } from '../math/eigh.ts';
import { antisymmetricPart, fromRows, frobenius, matmul, matmulAT, matmulBT, symmetricPart } from '../math/dense.ts';
import { SeededRandom } from '../math/random.ts';
import { integrate } from './integrators.ts';
import { ReducedParamsSchema, parseParams, type ReducedParams, type ReducedParamsInput } from './params.ts';
import { pushSample, sampleTimes, type TimeSeries } from './series.ts';

/** Result of a reduced (W_p, F) simulation. */
export interface ReducedResult {
  params: ReducedParams;
  /**
   * Series: commutator ‖[F, W_p]‖_F, lambdaMinK (λ_min of K, Theorem 3), commutatorBound
   * ‖[F,W_p](0)‖ e^(−2λ₀t) with λ₀ = min over the recorded times of λ_min(K) (the theorem's
   * bound when λ₀ > 0), wpSymNorm ‖A‖_F, wpAntisymNorm ‖B‖_F, normF, theorem1Residual
   * ‖F − W_pᵀW_p/α_p − e^(−2ηt)C‖_F, F_eig_j, Wp_eig_j (symmetric part) and align_j.
   */
  timeline: TimeSeries;
  /** Theorem 1 holds exactly (the non-symmetrised form); symmetrising W_p's flow breaks it. */
  theorem1Applies: boolean;
  /** min over recorded times of λ_min(K); the bound is meaningful when it is > 0. */
  lambda0: number;
  stats: { steps: number; evaluations: number; rejected: number };
}

/**
 * K = (1+σ²)[(α_p/2) F + W_p² − τ/(1+σ²) W_p] + (3/2)η I (Theorem 3), symmetrised so that its
 * spectrum is real when W_p is not exactly symmetric.
 */
export function theorem3K(F: Float64Array, Wp: Float64Array, n: number, alphaP: number, sigma2: number, tau: number, eta: number): Float64Array {
  const lambda = 1 + sigma2;
  const Wp2 = matmul(Wp, Wp, n, n, n);
  const K = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) K[i] = lambda * (0.5 * alphaP * F[i]! + Wp2[i]!) - tau * Wp[i]!;
  for (let i = 0; i < n; i++) K[i * n + i] = K[i * n + i]! + 1.5 * eta;
  return symmetricPart(K, n);
}

/** Simulates the reduced dynamics and records Theorem 3's quantities. */
export function simulateReduced(input: ReducedParamsInput | ReducedParams): ReducedResult {
  const params = parseParams(ReducedParamsSchema, input, 'reduced');
  const { n, alphaP, eta, sigma2, tau, symmetrize, init } = params;
  const lambda = 1 + sigma2;
  const rng = new SeededRandom(init.seed);
  let Wp = init.Wp ? fromRows(init.Wp, 'init.Wp', n, n) : rng.normals(n * n, init.wpScale / Math.sqrt(n));
  if (symmetrize) Wp = symmetricPart(Wp, n);
  let F: Float64Array;
  if (init.F) F = symmetricPart(fromRows(init.F, 'init.F', n, n), n);
  else if (init.fFromWp) F = matmulAT(Wp, Wp, n, n, n).map((v) => v / alphaP);
  else {
    const G = rng.normals(n * n, init.fScale / Math.sqrt(n));
    F = matmulBT(G, G, n, n, n);
  }
  const nn = n * n;
  const y = new Float64Array(2 * nn);
  y.set(Wp, 0);
  y.set(F, nn);
  const a = new Float64Array(nn), b = new Float64Array(nn), c = new Float64Array(nn), Wp2 = new Float64Array(nn);

  const f = (_t: number, st: Float64Array, dy: Float64Array) => {
    const P = st.subarray(0, nn), Fc = st.subarray(nn);
    if (symmetrize) {
      matmul(P, Fc, n, n, n, a); // W_p F
      matmul(Fc, P, n, n, n, b); // F W_p
      for (let i = 0; i < nn; i++) dy[i] = -0.5 * alphaP * lambda * (a[i]! + b[i]!) + alphaP * tau * Fc[i]! - eta * P[i]!;
      matmul(P, P, n, n, n, Wp2);
      matmul(Wp2, Fc, n, n, n, c);
      for (let i = 0; i < nn; i++) dy[nn + i] = tau * (a[i]! + b[i]!) - lambda * c[i]! - 2 * eta * Fc[i]!;
      matmul(Fc, Wp2, n, n, n, c);
      for (let i = 0; i < nn; i++) dy[nn + i] = dy[nn + i]! - lambda * c[i]!;
    } else {
      matmul(P, Fc, n, n, n, a); // W_p F
      for (let i = 0; i < nn; i++) dy[i] = -alphaP * lambda * a[i]! + alphaP * tau * Fc[i]! - eta * P[i]!;
      matmulAT(P, P, n, n, n, Wp2); // W_pᵀW_p
      matmul(Wp2, Fc, n, n, n, b);
      matmul(Fc, Wp2, n, n, n, c);
      for (let i = 0; i < nn; i++) dy[nn + i] = -lambda * (b[i]! + c[i]!) - 2 * eta * Fc[i]!;
      matmulAT(P, Fc, n, n, n, b); // W_pᵀ F
      matmul(Fc, P, n, n, n, c); // F W_p
      for (let i = 0; i < nn; i++) dy[nn + i] = dy[nn + i]! + tau * (b[i]! + c[i]!);
    }
  };

  const timeline: TimeSeries = { t: [], series: {} };
  const C0 = F.slice();
  {
    const WtW0 = matmulAT(Wp, Wp, n, n, n);
    for (let i = 0; i < nn; i++) C0[i] = C0[i]! - WtW0[i]! / alphaP;
  }
  let lambda0 = Infinity;
  const stats = integrate(f, y, sampleTimes(0, params.t1, params.samples), params.integrator, (t, st) => {
    const P = st.subarray(0, nn).slice(), Fc = st.subarray(nn).slice();
    const PF = matmul(P, Fc, n, n, n), FP = matmul(Fc, P, n, n, n);
    let comm = 0;
    for (let i = 0; i < nn; i++) comm += (FP[i]! - PF[i]!) ** 2;
    const lamK = eigh(theorem3K(Fc, P, n, alphaP, sigma2, tau, eta), n).values[n - 1]!;
    lambda0 = Math.min(lambda0, lamK);
    const row: Record<string, number> = { commutator: Math.sqrt(comm), lambdaMinK: lamK, wpSymNorm: frobenius(symmetricPart(P, n)), wpAntisymNorm: frobenius(antisymmetricPart(P, n)), normF: frobenius(Fc) };
    // Theorem 1 in reduced form: F − W_pᵀW_p/α_p = e^(−2ηt) C (exact for the Appendix B form only).
    const WtW = matmulAT(P, P, n, n, n);
    const decay = Math.exp(-2 * eta * t);
    let res = 0;
    for (let i = 0; i < nn; i++) res += (Fc[i]! - WtW[i]! / alphaP - decay * C0[i]!) ** 2;
    row.theorem1Residual = Math.sqrt(res);
    const eF = eigh(Fc, n), eP = eigh(symmetricPart(P, n), n);
    const u = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      row[`F_eig_${j}`] = eF.values[j]!;
      row[`Wp_eig_${j}`] = eP.values[j]!;
      for (let k = 0; k < n; k++) u[k] = eF.vectors[k * n + j]!;
      const Wu = matmul(P, u, n, n, 1);
      let nu = 0, du = 0;
      for (let k = 0; k < n; k++) {
        nu += Wu[k]! * Wu[k]!;
        du += u[k]! * Wu[k]!;
      }
      row[`align_${j}`] = nu > 0 ? du / Math.sqrt(nu) : 0;
    }
    pushSample(timeline, t, row);
  });
  const c0 = timeline.series.commutator![0]!;
  timeline.series.commutatorBound = timeline.t.map((t) => c0 * Math.exp(-2 * lambda0 * t));
  return { params, timeline, lambda0, theorem1Applies: !symmetrize, stats };
}
