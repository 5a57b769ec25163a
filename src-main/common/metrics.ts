/**
 * Metrics of a run: a registry that names each scalar (label, meaning, which way is better) for the
 * CLI, archive and charts, and the pure computations of the paper's spectral quantities.
 */
import { eigh } from '../math/eigh.ts';
import { checkSetup } from './setup.ts';
import type { Setup } from './setup.ts';

/** Description of a logged scalar. */
export interface MetricInfo {
  name: string;
  label: string;
  description: string;
  /** 'higher' or 'lower' is better; 'none' when neither. */
  better: 'higher' | 'lower' | 'none';
  /** The values the metric can take (null: unbounded that side): ± std bands and error bars are clamped to it. */
  range: MetricRange;
}

/** Closed interval of a metric's possible values, in its logged units (accuracies as fractions); null = unbounded. */
export interface MetricRange {
  min: number | null;
  max: number | null;
}

const NON_NEGATIVE: MetricRange = { min: 0, max: null };
const FRACTION: MetricRange = { min: 0, max: 1 };
const UNBOUNDED: MetricRange = { min: null, max: null };

/** The registry of scalar metrics; adding one here makes it known to every view. */
export const METRICS: Record<string, MetricInfo> = {
  loss: {
    name: 'loss',
    label: 'loss',
    description: 'symmetrised BYOL loss of the step, ℓ(p₁,t₂) + ℓ(p₂,t₁) with ℓ = 2 − 2cos (0–8) or the squared error; half that for setups that average the terms (lossReduction "mean", every version-1 setup)',
    better: 'lower',
    range: NON_NEGATIVE,
  },
  imagesPerSec: { name: 'imagesPerSec', label: 'images/s', description: 'training throughput (images of the batch per second)', better: 'higher', range: NON_NEGATIVE },
  lr: { name: 'lr', label: 'lr', description: 'learning rate α of the step', better: 'none', range: NON_NEGATIVE },
  collapseStd: {
    name: 'collapseStd',
    label: 'collapse: output std × √d',
    description: 'per-dimension std of the l2-normalised online projector output times √d: ≈1 healthy, 0 collapsed',
    better: 'higher',
    range: NON_NEGATIVE,
  },
  effectiveRank: {
    name: 'effectiveRank',
    label: 'effective rank',
    description:
      'exp(Shannon entropy) of the normalised eigenvalues of the covariance of the projector outputs f over the fixed evaluation images (eval.statsImages, un-augmented): dimensionless, 1 collapsed … d (all directions equally used)',
    better: 'higher',
    range: NON_NEGATIVE,
  },
  probeAcc: {
    name: 'probeAcc',
    label: 'linear probe accuracy',
    description: 'linear probe accuracy on the held-out split; its epoch chosen on a validation split, or the best test epoch (eval.probeSelect)',
    better: 'higher',
    range: FRACTION,
  },
  knnAcc: {
    name: 'knnAcc',
    label: 'kNN accuracy',
    description: 'k-nearest-neighbour accuracy (cosine) on the held-out split; votes weighted exp(cos/0.07) or by majority (eval.knnVote)',
    better: 'higher',
    range: FRACTION,
  },
  asymmetry: { name: 'asymmetry', label: '‖W_p − W_pᵀ‖/‖W_p‖', description: 'asymmetry of the linear predictor', better: 'none', range: NON_NEGATIVE },
};

/** Names a run summary gives its final values, by the registry metric they are the last value of. */
const SUMMARY_NAMES: Record<string, string> = { finalLoss: 'loss' };

/**
 * The range of a metric by its registry name or its run-summary name (`finalLoss`); unbounded for a
 * name the registry does not know, so an unknown metric is never clamped.
 */
export function metricRange(name: string): MetricRange {
  const key = Object.hasOwn(SUMMARY_NAMES, name) ? SUMMARY_NAMES[name]! : name;
  return Object.hasOwn(METRICS, key) ? METRICS[key]!.range : UNBOUNDED;
}

/**
 * The scale of a run's loss, from its setup as stored (any version): the loss kind and whether the
 * two symmetric terms are summed (0–8 for 2 − 2cos, the official code's scale) or averaged (0–4).
 */
export function lossScaleLabel(setup: unknown): string {
  const r = checkSetup(setup ?? {}, { stored: true });
  const kind = r.ok ? r.setup.loss : 'cosine';
  const sum = !r.ok || r.setup.lossReduction === 'sum';
  if (kind === 'mse') return sum ? 'squared error, two terms summed' : 'squared error, mean of two terms';
  return sum ? '2 − 2cos, two terms summed: 0–8' : '2 − 2cos, mean of two terms: 0–4';
}

/** The paper's Fig. 2 quantities at one step. */
export interface Spectra {
  /** s_j: eigenvalues of F̂, descending. */
  fEig: number[];
  /** Eigenvalues of (W_p + W_pᵀ)/2, descending (empty without a linear predictor). */
  wpEig: number[];
  /** cos(W_p u_j, u_j) for each eigenvector u_j of F̂ (order of fEig). */
  alignment: number[];
  /** ‖W_p − W_pᵀ‖_F / ‖W_p‖_F. */
  asymmetry: number;
}

/** Spectra of F̂ (d×d row-major) and of the paper's W_p (d×d row-major, p = W_p f) when linear. */
export function spectra(fHat: ArrayLike<number>, wp: ArrayLike<number> | null, d: number): Spectra {
  const F = eigh(fHat, d);
  const fEig = Array.from(F.values);
  if (!wp) return { fEig, wpEig: [], alignment: [], asymmetry: 0 };
  const wpEig = Array.from(eigh(wp, d).values);
  const alignment: number[] = [];
  for (let j = 0; j < d; j++) {
    // v = W_p u_j; cos = u_jᵀ v / ‖v‖ (‖u_j‖ = 1).
    let dot = 0;
    let norm2 = 0;
    for (let a = 0; a < d; a++) {
      let v = 0;
      for (let b = 0; b < d; b++) v += wp[a * d + b]! * F.vectors[b * d + j]!;
      dot += F.vectors[a * d + j]! * v;
      norm2 += v * v;
    }
    alignment.push(norm2 > 0 ? dot / Math.sqrt(norm2) : 0);
  }
  let anti = 0;
  let all = 0;
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      const x = wp[a * d + b]!;
      const diff = x - wp[b * d + a]!;
      anti += diff * diff;
      all += x * x;
    }
  }
  return { fEig, wpEig, alignment, asymmetry: all > 0 ? Math.sqrt(anti / all) : 0 };
}

/** exp(Shannon entropy) of λ/Σλ over the non-negative eigenvalues λ of a covariance: 1 … d. */
export function effectiveRank(eigenvalues: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < eigenvalues.length; i++) total += Math.max(eigenvalues[i]!, 0);
  if (!(total > 0)) return 0;
  let h = 0;
  for (let i = 0; i < eigenvalues.length; i++) {
    const p = Math.max(eigenvalues[i]!, 0) / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** Temperature T of the weighted kNN vote exp(cos/T): instance discrimination's value, common in SSL codebases. */
export const KNN_TEMPERATURE = 0.07;

/** How a run's probe and kNN accuracies were measured (recorded in its summary). */
export interface EvalProtocol {
  /** 'validation': epoch chosen on held-out validation data (honest); 'best-test': best test epoch (the official code's). */
  probeSelect: 'validation' | 'best-test';
  knnVote: 'weighted' | 'majority';
  knnK: number;
  /** T of the weighted vote; null for a majority vote. */
  knnTemperature: number | null;
}

/** The evaluation protocol of a setup's `eval` block; an older setup without the fields gets the defaults, which are what it ran. */
export function evalProtocolOf(ev: Partial<Pick<Setup['eval'], 'probeSelect' | 'knnVote' | 'knnK'>> | undefined): EvalProtocol {
  const knnVote = ev?.knnVote === 'majority' ? 'majority' : 'weighted';
  return {
    probeSelect: ev?.probeSelect === 'best-test' ? 'best-test' : 'validation',
    knnVote,
    knnK: typeof ev?.knnK === 'number' ? ev.knnK : 20,
    knnTemperature: knnVote === 'weighted' ? KNN_TEMPERATURE : null,
  };
}

/** One line naming an evaluation protocol, for every place results are reported. */
export function describeEvalProtocol(p: EvalProtocol): string {
  const probe = p.probeSelect === 'validation' ? 'probe epoch chosen on validation' : 'probe at best test epoch (official code; optimistic)';
  const knn = p.knnVote === 'weighted' ? `kNN k=${p.knnK} weighted exp(cos/${p.knnTemperature ?? KNN_TEMPERATURE})` : `kNN k=${p.knnK} majority vote`;
  return `${probe} · ${knn}`;
}

/** The protocol a stored run was evaluated with: its summary's record, else read off its setup. */
export function runEvalProtocol(run: { setup: unknown; summary: { evalProtocol?: EvalProtocol } | null }): EvalProtocol {
  if (run.summary?.evalProtocol) return run.summary.evalProtocol;
  const ev = run.setup && typeof run.setup === 'object' ? (run.setup as { eval?: unknown }).eval : undefined;
  return evalProtocolOf(ev && typeof ev === 'object' ? (ev as Partial<Setup['eval']>) : undefined);
}

/** The final metrics every run also measures at step 0 (its random-init baseline), in report order. */
export const BASELINE_METRICS = ['probeAcc', 'knnAcc', 'collapseStd', 'effectiveRank'] as const;
/** One of `BASELINE_METRICS`. */
export type BaselineMetric = (typeof BASELINE_METRICS)[number];
