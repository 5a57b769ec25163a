/**
 * The linear-model bridge: the per-mode flow (Eqs. 11–13) started from a real run's first measured
 * spectrum, mapped to its steps, beside the measured s_j. It applies to a trained linear predictor
 * (the flow's W_p); DirectPred/DirectCopy set W_p from F̂ and an MLP is not linear, so for those
 * the bridge says why it does not apply instead of drawing a misleading curve.
 *
 * Mapping (paper §2): α = optim.lr; SGD with momentum μ follows the flow at time α/(1−μ) per step
 * for the loss averaged over its two terms, twice that for the summed loss (`lossReduction` 'sum',
 * the default: twice the gradient); η = η̄/α (weightDecay); α_p = predictorLrRatio; β = (1 − γ_a)/α
 * for BYOL (τ(0) = 1 when the target starts as a copy, 0 when it starts from its own random
 * weights, `targetInit` 'random', as W_a(0) = 0 in the paper's Fig. 7), τ ≡ 1 for SimSiam. σ² (augmentation strength in the isotropic model) is not
 * measured: the playground's σ² slider sets it. Modes are paired by rank (s_j and p_j both sorted
 * descending), which is exact once W_p and F have aligned (Theorem 3).
 */
import { simulateModes } from '../../../../src-main/theory/modes.ts';

/** What the bridge needs of a run. */
export interface BridgeRun {
  setup: {
    method: string;
    emaMomentum: number;
    /** Absent: the current default ('sum', 'copy'). */
    lossReduction?: string;
    targetInit?: string;
    predictor: { kind: string };
    optim: { lr: number; momentum: number; weightDecay: number; predictorLrRatio: number };
  };
  spectra: { step: number; fEig: number[]; wpEig: number[] }[];
}

/** Flow parameters mapped from a setup. */
export interface BridgeMapping {
  alphaP: number;
  eta: number;
  beta: number;
  target: 'ema' | 'simsiam';
  tau0: number;
  /** Flow time per optimisation step. */
  dtPerStep: number;
}

/** Why the bridge does not apply, or null when it does. */
export function bridgeNotApplicable(run: BridgeRun): string | null {
  if (run.setup.predictor.kind !== 'linear') {
    return `the flow models a trained linear predictor; this run's predictor is '${run.setup.predictor.kind}'`;
  }
  if (run.spectra.length < 2) return 'the run has fewer than two recorded spectra';
  if (run.spectra[0]!.wpEig.length === 0) return 'the run recorded no W_p eigenvalues';
  return null;
}

/** Maps a setup onto the flow's parameters. */
export function mapSetup(setup: BridgeRun['setup']): BridgeMapping {
  const a = setup.optim.lr;
  const simsiam = setup.method === 'simsiam';
  return {
    alphaP: setup.optim.predictorLrRatio,
    eta: setup.optim.weightDecay / a,
    beta: simsiam ? 0 : (1 - setup.emaMomentum) / a,
    target: simsiam ? 'simsiam' : 'ema',
    tau0: !simsiam && setup.targetInit === 'random' ? 0 : 1,
    dtPerStep: ((setup.lossReduction === 'mean' ? 1 : 2) * a) / (1 - setup.optim.momentum),
  };
}

/** Measured and predicted s_j of the top `modes` modes at the run's spectra steps. */
export interface BridgeResult {
  steps: number[];
  measured: number[][];
  predicted: number[][];
  mapping: BridgeMapping;
}

/** Integrates the flow from the first spectrum and samples it at every measured step. */
export function bridgePrediction(run: BridgeRun, sigma2: number, modes = 6): BridgeResult {
  const why = bridgeNotApplicable(run);
  if (why) throw new Error(`the linear-model bridge does not apply: ${why}`);
  const mapping = mapSetup(run.setup);
  const first = run.spectra[0]!;
  const m = Math.min(modes, first.fEig.length, first.wpEig.length);
  const p0 = first.wpEig.slice(0, m);
  const s0 = first.fEig.slice(0, m).map((s) => Math.max(0, s));
  const steps = run.spectra.map((x) => x.step);
  const t1 = Math.max(1e-9, (steps[steps.length - 1]! - first.step) * mapping.dtPerStep);
  const samples = 401;
  const sim = simulateModes({
    target: mapping.target,
    alphaP: mapping.alphaP,
    beta: mapping.beta,
    eta: mapping.eta,
    sigma2,
    tau0: mapping.tau0,
    modes: { p0, s0 },
    t1,
    samples,
    integrator: { method: 'rk4', dt: Math.min(0.01, t1 / (samples - 1)) },
  });
  const ts = sim.timeline.t;
  const predicted: number[][] = [];
  const measured: number[][] = [];
  for (let j = 0; j < m; j++) {
    const sj = sim.timeline.series[`s_${j}`]!;
    predicted.push(steps.map((st) => interp(ts, sj, (st - first.step) * mapping.dtPerStep)));
    measured.push(run.spectra.map((x) => x.fEig[j] ?? Number.NaN));
  }
  return { steps, measured, predicted, mapping };
}

function interp(xs: number[], ys: number[], x: number): number {
  if (x <= xs[0]!) return ys[0]!;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i]! >= x) {
      const u = (x - xs[i - 1]!) / (xs[i]! - xs[i - 1]!);
      return ys[i - 1]! + u * (ys[i]! - ys[i - 1]!);
    }
  }
  return ys[ys.length - 1]!;
}
