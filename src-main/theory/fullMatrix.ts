/**
 * Full-matrix gradient flow of the two-layer linear network (Tian, Chen & Ganguli 2021, Lemma 1,
 * Eqs. 2–4), W ∈ R^{n2×n1}, W_p ∈ R^{n2×n2}, target W_a:
 *   Ẇ_p = α_p (−W_p W (X+X') + W_a X) Wᵀ − η W_p,   Ẇ = W_pᵀ (−W_p W (X+X') + W_a X) − η W,
 *   Ẇ_a = β (W − W_a)                                  (BYOL; SimSiam sets W_a = W)
 * Variants: no stop-gradient (Theorem 2: the target branch also gets the gradient W_p W X − W (X+X')),
 * no predictor (W_p ≡ I), symmetric predictor (Assumption 3: W_p(0) and Ẇ_p symmetrised),
 * predictor-only weight decay. Diagnostics follow Theorems 1 and 3 and the paper's Fig. 2.
 */
import { eigh } from '../math/eigh.ts';
import { antisymmetricPart, diag, dot, fromRows, frobenius, identity, matmul, matmulAT, matmulBT, symmetricPart } from '../math/dense.ts';
import { SeededRandom } from '../math/random.ts';
import { balanceMatrix, correlationF } from './closedForms.ts';
import { integrate } from './integrators.ts';
import { FullMatrixParamsSchema, parseParams, type DataParams, type FullMatrixParams, type FullMatrixParamsInput } from './params.ts';
import { pushSample, sampleTimes, type TimeSeries } from './series.ts';

/** X and X' as matrices (null X means the identity, used to skip products in the isotropic case). */
export interface DataMatrices {
  /** X = E[x̄x̄ᵀ] (n1×n1), or null for X = I. */
  X: Float64Array | null;
  /** X' (n1×n1), or null with XPrimeScale for X' = σ²I. */
  XPrime: Float64Array | null;
  XPrimeScale: number;
  /** S = X + X' (n1×n1), or null with SScale for S = (1+σ²)I. */
  S: Float64Array | null;
  SScale: number;
}

/** Builds X, X', X + X' from the data parameters. */
export function dataMatrices(data: DataParams, n1: number): DataMatrices {
  if (data.kind === 'isotropic') return { X: null, XPrime: null, XPrimeScale: data.sigma2, S: null, SScale: 1 + data.sigma2 };
  const X = data.kind === 'spectra' ? diag(data.x) : fromRows(data.X, 'data.X', n1, n1);
  const XPrime = data.kind === 'spectra' ? diag(data.xPrime) : fromRows(data.XPrime, 'data.XPrime', n1, n1);
  const S = new Float64Array(n1 * n1);
  for (let i = 0; i < n1 * n1; i++) S[i] = X[i]! + XPrime[i]!;
  return { X, XPrime, XPrimeScale: 1, S, SScale: 1 };
}

/** Initial W, W_p, W_a (seeded; explicit matrices in params.init win). */
export function initialWeights(params: FullMatrixParams): { W: Float64Array; Wp: Float64Array; Wa: Float64Array } {
  const { n1, n2, init } = params;
  const rng = new SeededRandom(init.seed);
  const W = init.W ? fromRows(init.W, 'init.W', n2, n1) : rng.normals(n2 * n1, init.wScale / Math.sqrt(n1));
  let Wp = init.Wp ? fromRows(init.Wp, 'init.Wp', n2, n2) : rng.normals(n2 * n2, init.wpScale / Math.sqrt(n2));
  if (params.predictor === 'symmetric') Wp = symmetricPart(Wp, n2);
  if (params.predictor === 'none') Wp = identity(n2);
  const Wa = init.Wa ? fromRows(init.Wa, 'init.Wa', n2, n1) : init.targetInit === 'copy' ? W.slice() : new Float64Array(n2 * n1);
  return { W, Wp, Wa };
}

/** Result of a full-matrix simulation. */
export interface FullMatrixResult {
  params: FullMatrixParams;
  /**
   * Series: normW, normWp, normWa, theorem1Residual and theorem1Relative (residual / ‖WWᵀ‖_F;
   * recorded whenever W_p is trained, guaranteed ≈ 0 only when theorem1Applies), commutator ‖[F, W_p]‖_F, wpSymNorm ‖A‖_F and wpAntisymNorm ‖B‖_F
   * (sym/antisym parts of W_p), targetCorrelation ⟨W_a, W⟩/(‖W_a‖‖W‖), and per j: F_eig_j
   * (eigenvalues of F = W X Wᵀ, descending), Wp_eig_j (eigenvalues of the symmetric part of W_p,
   * descending) and align_j = u_jᵀ W_p u_j / ‖W_p u_j‖ for the eigenvector u_j of F_eig_j.
   */
  timeline: TimeSeries;
  /** Theorem 1 holds (stop-gradient, a plain trained linear predictor, the same η on W and W_p). */
  theorem1Applies: boolean;
  final: { W: number[][]; Wp: number[][]; Wa: number[][] };
  stats: { steps: number; evaluations: number; rejected: number };
}

/** Records the diagnostics of one state (shared by the flow and the SGD bridge). */
export function fullMatrixDiagnostics(W: Float64Array, Wp: Float64Array, Wa: Float64Array, d: DataMatrices, n1: number, n2: number, extra: { C: Float64Array | null; alphaP: number; eta: number; t: number }): Record<string, number> {
  const row: Record<string, number> = {};
  row.normW = frobenius(W);
  row.normWp = frobenius(Wp);
  row.normWa = frobenius(Wa);
  if (extra.C) {
    const B = balanceMatrix(W, Wp, n1, n2, extra.alphaP);
    const decay = Math.exp(-2 * extra.eta * extra.t);
    let r = 0;
    for (let i = 0; i < n2 * n2; i++) r += (B[i]! - decay * extra.C[i]!) ** 2;
    row.theorem1Residual = Math.sqrt(r);
    row.theorem1Relative = Math.sqrt(r) / Math.max(frobenius(matmulBT(W, W, n2, n1, n2)), 1e-300);
  }
  const F = correlationF(W, d.X, n1, n2);
  const FWp = matmul(F, Wp, n2, n2, n2);
  const WpF = matmul(Wp, F, n2, n2, n2);
  let comm = 0;
  for (let i = 0; i < n2 * n2; i++) comm += (FWp[i]! - WpF[i]!) ** 2;
  row.commutator = Math.sqrt(comm);
  row.wpSymNorm = frobenius(symmetricPart(Wp, n2));
  row.wpAntisymNorm = frobenius(antisymmetricPart(Wp, n2));
  const nW = row.normW, nWa = row.normWa;
  row.targetCorrelation = nW > 0 && nWa > 0 ? dot(W, Wa) / (nW * nWa) : 0;
  const eF = eigh(F, n2);
  const eP = eigh(symmetricPart(Wp, n2), n2);
  const u = new Float64Array(n2);
  for (let j = 0; j < n2; j++) {
    row[`F_eig_${j}`] = eF.values[j]!;
    row[`Wp_eig_${j}`] = eP.values[j]!;
    for (let k = 0; k < n2; k++) u[k] = eF.vectors[k * n2 + j]!;
    const Wu = matmul(Wp, u, n2, n2, 1);
    const nWu = frobenius(Wu);
    row[`align_${j}`] = nWu > 0 ? dot(u, Wu) / nWu : 0;
  }
  return row;
}

/** Simulates Eqs. 2–4 (or a variant) and records the diagnostics at `samples` times; `onState` sees the live weights at each. */
export function simulateFullMatrix(input: FullMatrixParamsInput | FullMatrixParams, hooks: { onState?: (t: number, W: Float64Array, Wp: Float64Array, Wa: Float64Array) => void } = {}): FullMatrixResult {
  const params = parseParams(FullMatrixParamsSchema, input, 'full-matrix');
  const { n1, n2, alphaP, beta, eta } = params;
  const d = dataMatrices(params.data, n1);
  const { W, Wp, Wa } = initialWeights(params);
  const ema = params.target === 'ema';
  const trainedPredictor = params.predictor !== 'none';
  const etaW = params.etaScope === 'both' ? eta : 0;
  const etaP = eta;
  const nW = n2 * n1, nP = n2 * n2;
  // State layout: [W | W_p (if trained) | W_a (if EMA)].
  const size = nW + (trainedPredictor ? nP : 0) + (ema ? nW : 0);
  const y = new Float64Array(size);
  y.set(W, 0);
  if (trainedPredictor) y.set(Wp, nW);
  if (ema) y.set(Wa, nW + (trainedPredictor ? nP : 0));
  const offA = nW + (trainedPredictor ? nP : 0);
  const I = identity(n2);
  const WS = new Float64Array(nW), T = new Float64Array(nW), A = new Float64Array(nW), tmp = new Float64Array(nW);
  const dWp = new Float64Array(nP), dW = new Float64Array(nW), WX = new Float64Array(nW);

  const f = (_t: number, st: Float64Array, dy: Float64Array) => {
    const Wc = st.subarray(0, nW);
    const Wpc = trainedPredictor ? st.subarray(nW, nW + nP) : I;
    const Wac = ema ? st.subarray(offA, offA + nW) : Wc;
    // W S with S = X + X'
    if (d.S) matmul(Wc, d.S, n2, n1, n1, WS);
    else for (let i = 0; i < nW; i++) WS[i] = d.SScale * Wc[i]!;
    // Target term W_a X
    if (d.X) matmul(Wac, d.X, n2, n1, n1, T);
    else T.set(Wac);
    // A = W_a X − W_p W S
    matmul(Wpc, WS, n2, n2, n1, A);
    for (let i = 0; i < nW; i++) A[i] = T[i]! - A[i]!;
    // Ẇ = W_pᵀ A − η W
    matmulAT(Wpc, A, n2, n2, n1, dW);
    for (let i = 0; i < nW; i++) dW[i] = dW[i]! - etaW * Wc[i]!;
    if (!params.stopGrad) {
      // Gradient through the target branch (W_a = W): + W_p W X − W S.
      if (d.X) matmul(Wc, d.X, n2, n1, n1, WX);
      else WX.set(Wc);
      matmul(Wpc, WX, n2, n2, n1, tmp);
      for (let i = 0; i < nW; i++) dW[i] = dW[i]! + tmp[i]! - WS[i]!;
    }
    dy.set(dW, 0);
    if (trainedPredictor) {
      // Ẇ_p = α_p A Wᵀ − η W_p
      matmulBT(A, Wc, n2, n1, n2, dWp);
      for (let i = 0; i < nP; i++) dWp[i] = alphaP * dWp[i]! - etaP * Wpc[i]!;
      if (params.predictor === 'symmetric') symmetricPart(dWp, n2, dWp);
      dy.set(dWp, nW);
    }
    if (ema) for (let i = 0; i < nW; i++) dy[offA + i] = beta * (Wc[i]! - Wac[i]!);
  };

  // Theorem 1 needs the plain gradient flow of W_p: symmetrising Ẇ_p adds −(α_p/2)[W_p,[W_p,F]]-type
  // terms to the balance, and stop-gradient / equal weight decay enter its proof. The residual is
  // still recorded whenever W_p is trained, so the UI can show how far a variant drifts.
  const theorem1Applies = params.predictor === 'linear' && params.stopGrad && params.etaScope === 'both';
  const C = trainedPredictor ? balanceMatrix(W, Wp, n1, n2, alphaP) : null;
  const timeline: TimeSeries = { t: [], series: {} };
  const view = (st: Float64Array) => ({
    W: st.subarray(0, nW),
    Wp: trainedPredictor ? st.subarray(nW, nW + nP) : I,
    Wa: ema ? st.subarray(offA, offA + nW) : st.subarray(0, nW),
  });
  const stats = integrate(f, y, sampleTimes(0, params.t1, params.samples), params.integrator, (t, st) => {
    const v = view(st);
    hooks.onState?.(t, v.W, v.Wp, v.Wa);
    pushSample(timeline, t, fullMatrixDiagnostics(v.W, v.Wp, v.Wa, d, n1, n2, { C, alphaP, eta, t }));
  });
  const v = view(y);
  const rowsOf = (a: Float64Array, r: number, c: number) => Array.from({ length: r }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c)));
  return { params, timeline, theorem1Applies, final: { W: rowsOf(v.W, n2, n1), Wp: rowsOf(v.Wp, n2, n2), Wa: rowsOf(v.Wa, n2, n1) }, stats };
}
