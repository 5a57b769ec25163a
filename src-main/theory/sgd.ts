/**
 * Stochastic bridge: the same linear network trained by minibatch SGD on sampled Gaussian data,
 * set beside the gradient flow of Eqs. 2–4 from the same initial weights. Data x ~ N(0, X), two
 * views x_{1,2} = x + ε_{1,2} with ε ~ N(0, X'), so E[x1x1ᵀ] = X + X' and E[x1x2ᵀ] = X as in the
 * paper's §2. Loss ½‖W_p W x1 − SG(W_a x2)‖² averaged over the batch; SGD step k is flow time kα
 * (predictor lr αα_p, weight decay αη, EMA W_a ← W_a + αβ(W − W_a), paper §2). The gap to the
 * flow shrinks as α → 0 and the batch grows.
 */
import { choleskyPSD, frobenius, identity, symmetricPart } from '../math/dense.ts';
import { SeededRandom } from '../math/random.ts';
import { dataMatrices, fullMatrixDiagnostics, initialWeights, simulateFullMatrix, type FullMatrixResult } from './fullMatrix.ts';
import { SgdBridgeParamsSchema, parseParams, type SgdBridgeParams, type SgdBridgeParamsInput } from './params.ts';
import { balanceMatrix } from './closedForms.ts';
import { pushSample, type TimeSeries } from './series.ts';

/** SGD trajectory, the flow, and their gap over time. */
export interface SgdBridgeResult {
  params: SgdBridgeParams;
  /** Same diagnostics as the flow's timeline, for the SGD weights, at the same times. */
  sgd: TimeSeries;
  flow: FullMatrixResult;
  /** Series gapW = ‖W_sgd − W_flow‖_F/‖W_flow‖_F and gapWp likewise (0 when W_p ≡ I). */
  gap: TimeSeries;
  /** max over time of gapW. */
  maxGapW: number;
  steps: number;
}

/** Runs minibatch SGD and the matching gradient flow. */
export function sgdBridge(input: SgdBridgeParamsInput | SgdBridgeParams): SgdBridgeResult {
  const params = parseParams(SgdBridgeParamsSchema, input, 'sgd-bridge');
  const fp = params.flow;
  const { n1, n2, alphaP, beta, eta } = fp;
  const lr = params.lr;
  const d = dataMatrices(fp.data, n1);
  const Lx = d.X ? choleskyPSD(d.X, n1) : null;
  const Ln = d.XPrime ? choleskyPSD(d.XPrime, n1) : null;
  const noiseStd = Math.sqrt(d.XPrimeScale);
  const { W, Wp, Wa: Wa0 } = initialWeights(fp);
  const ema = fp.target === 'ema';
  const trained = fp.predictor !== 'none';
  let Wa = ema ? Wa0 : W;
  const etaW = fp.etaScope === 'both' ? eta : 0;
  const rng = new SeededRandom(params.seed);
  const snapshots: { W: Float64Array; Wp: Float64Array }[] = [];
  const flow = simulateFullMatrix(fp, { onState: (_t, fW, fWp) => snapshots.push({ W: fW.slice(), Wp: fWp.slice() }) });
  const times = flow.timeline.t;
  const totalSteps = Math.round(fp.t1 / lr);
  const sampleSteps = times.map((t) => Math.round(t / lr));
  const sgd: TimeSeries = { t: [], series: {} };
  const C = trained ? balanceMatrix(W, Wp, n1, n2, alphaP) : null; // same series as the flow records
  const B = params.batch;
  const z = new Float64Array(n1), x = new Float64Array(n1), x1 = new Float64Array(n1), x2 = new Float64Array(n1);
  const f1 = new Float64Array(n2), e = new Float64Array(n2), g = new Float64Array(n2);
  const gW = new Float64Array(n2 * n1), gWp = new Float64Array(n2 * n2);
  const draw = (L: Float64Array | null, scale: number, out: Float64Array, add: Float64Array | null) => {
    for (let i = 0; i < n1; i++) z[i] = rng.normal();
    for (let i = 0; i < n1; i++) {
      let s = 0;
      if (L) for (let k = 0; k <= i; k++) s += L[i * n1 + k]! * z[k]!;
      else s = scale * z[i]!;
      out[i] = (add ? add[i]! : 0) + s;
    }
  };
  const gaps: TimeSeries = { t: [], series: {} };
  let next = 0;
  // At each sample time: the SGD diagnostics and the relative weight gap to the flow.
  const recordAll = (step: number) => {
    while (next < sampleSteps.length && sampleSteps[next] === step) {
      const t = times[next]!;
      const snap = snapshots[next]!;
      pushSample(sgd, t, fullMatrixDiagnostics(W, trained ? Wp : identity(n2), ema ? Wa : W, d, n1, n2, { C, alphaP, eta, t }));
      const gw = frobenius(sub(W, snap.W)) / Math.max(frobenius(snap.W), 1e-300);
      const gp = trained ? frobenius(sub(Wp, snap.Wp)) / Math.max(frobenius(snap.Wp), 1e-300) : 0;
      pushSample(gaps, t, { gapW: gw, gapWp: gp });
      next++;
    }
  };
  recordAll(0);
  for (let step = 1; step <= totalSteps; step++) {
    gW.fill(0);
    gWp.fill(0);
    for (let b = 0; b < B; b++) {
      draw(Lx, 1, x, null);
      draw(Ln, noiseStd, x1, x);
      draw(Ln, noiseStd, x2, x);
      // f1 = W x1, e = W_p f1 − W_a x2
      for (let i = 0; i < n2; i++) {
        let s = 0, ta = 0;
        for (let k = 0; k < n1; k++) {
          s += W[i * n1 + k]! * x1[k]!;
          ta += Wa[i * n1 + k]! * x2[k]!;
        }
        f1[i] = s;
        e[i] = -ta;
      }
      if (trained) {
        for (let i = 0; i < n2; i++) {
          let s = 0;
          for (let k = 0; k < n2; k++) s += Wp[i * n2 + k]! * f1[k]!;
          e[i] = e[i]! + s;
        }
        // ∇W_p += e f1ᵀ; g = W_pᵀ e
        for (let i = 0; i < n2; i++) for (let k = 0; k < n2; k++) gWp[i * n2 + k] = gWp[i * n2 + k]! + e[i]! * f1[k]!;
        for (let k = 0; k < n2; k++) {
          let s = 0;
          for (let i = 0; i < n2; i++) s += Wp[i * n2 + k]! * e[i]!;
          g[k] = s;
        }
      } else {
        for (let i = 0; i < n2; i++) e[i] = e[i]! + f1[i]!;
        g.set(e);
      }
      // ∇W += (W_pᵀ e) x1ᵀ; without stop-gradient also −e x2ᵀ (the target branch is W x2).
      for (let i = 0; i < n2; i++) {
        for (let k = 0; k < n1; k++) gW[i * n1 + k] = gW[i * n1 + k]! + g[i]! * x1[k]! - (fp.stopGrad ? 0 : e[i]! * x2[k]!);
      }
    }
    const inv = 1 / B;
    for (let i = 0; i < n2 * n1; i++) W[i] = W[i]! - lr * (gW[i]! * inv + etaW * W[i]!);
    if (trained) {
      if (fp.predictor === 'symmetric') symmetricPart(gWp, n2, gWp);
      for (let i = 0; i < n2 * n2; i++) Wp[i] = Wp[i]! - lr * alphaP * gWp[i]! * inv - lr * eta * Wp[i]!;
    }
    if (ema) for (let i = 0; i < n2 * n1; i++) Wa[i] = Wa[i]! + lr * beta * (W[i]! - Wa[i]!);
    else Wa = W;
    for (let i = 0; i < W.length; i++) {
      if (!Number.isFinite(W[i]!)) throw new Error(`sgd-bridge: weights diverged at step ${step} (t = ${step * lr}); lower lr`);
    }
    recordAll(step);
  }
  return { params, sgd, flow, gap: gaps, maxGapW: Math.max(...gaps.series.gapW!), steps: totalSteps };
}

function sub(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}
