/**
 * Evaluation during and after training: a linear probe and k-NN on frozen backbone features, with
 * BN running statistics recomputed first ("precise BN"), and the spectral report (eigenvalues of
 * F̂ and W_p, their alignment, the effective rank of the embeddings).
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../../spec/setup.ts';
import { effectiveRank, spectra } from '../../spec/metrics.ts';
import { deriveSeed, permutation } from '../../math/seeds.ts';
import { eigh } from '../../math/eigh.ts';
import type { ForwardMode } from '../model.ts';
import { gatherBatch, normalizeInput } from '../augment.ts';
import { knnAccuracy, linearProbe, type FeatureSet } from '../probe.ts';
import type { Dataset, Split } from '../../data/types.ts';
import type { Networks } from './networks.ts';
import { imageShape } from './batches.ts';

/** A random subset (seeded) of a labelled split, as indices; `max` ≤ 0 means all labelled images. */
export function subsetIndices(split: Split, max: number, seed: number): Int32Array {
  const labelled: number[] = [];
  for (let i = 0; i < split.count; i++) if (split.labels[i]! >= 0) labelled.push(i);
  const perm = permutation(labelled.length, seed);
  const n = max > 0 ? Math.min(max, labelled.length) : labelled.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = labelled[perm[i]!]!;
  return out;
}

/** One evaluation's accuracies (fractions in [0, 1]). */
export interface EvalResult {
  probeAcc: number;
  knnAcc: number;
  probeTrainAcc: number;
}

/** Evaluates the current online backbone; fixed probe subsets so evaluations compare over time. */
export interface Evaluator {
  /** False for an unlabelled dataset (e.g. a folder of loose images): nothing to evaluate on. */
  readonly canEvaluate: boolean;
  /** Precise BN, then probe + k-NN; null when `canEvaluate` is false. */
  evaluate(): Promise<EvalResult | null>;
}

/** The evaluator of a run; its probe subsets are drawn once from the setup's seed. */
export function createEvaluator(setup: Setup, data: Dataset, nets: Networks): Evaluator {
  const { backbone, online, running } = nets;
  const { shape, pixelsPerImage: ppi } = imageShape(data);
  const pool = data.pretrain;
  const evalMode: ForwardMode = { training: false, running };
  const probeSeed = deriveSeed(setup.seed, 'probe');
  const probeTrainIdx = subsetIndices(data.train, setup.eval.probeTrain, probeSeed);
  const probeTestIdx = subsetIndices(data.test, setup.eval.probeTest, probeSeed + 1);
  // A dataset's own validation split (e.g. an image folder's val/) selects the probe's epoch.
  const validation = data.validation;
  const probeValIdx = validation ? subsetIndices(validation, setup.eval.probeTest, probeSeed + 2) : new Int32Array(0);
  const classes = Math.max(data.classNames.length, 1);

  const featuresOf = async (split: Split, idx: Int32Array): Promise<FeatureSet> => {
    const dim = backbone.encoder.featureDim;
    const x = new Float32Array(idx.length * dim);
    const y = new Int32Array(idx.length);
    const chunk = 256;
    for (let s = 0; s < idx.length; s += chunk) {
      const part = idx.subarray(s, Math.min(idx.length, s + chunk));
      const f = tf.tidy(() => backbone.features(normalizeInput(gatherBatch(split.images, ppi, part, shape)), online, evalMode));
      x.set(await f.data(), s * dim);
      f.dispose();
      part.forEach((src, i) => (y[s + i] = split.labels[src]!));
    }
    return { x, y, n: idx.length, dim };
  };

  // Precise BN: running statistics = batch statistics averaged over up to 8 batches of 256
  // un-augmented pre-training images, recomputed before every evaluation.
  const preciseBn = () => {
    const collect: NonNullable<ForwardMode['collect']> = new Map();
    const n = Math.min(pool.count, 8 * 256);
    const order = permutation(pool.count, deriveSeed(setup.seed, 'eval'));
    for (let s = 0; s + 1 < n; s += 256) {
      const part = order.subarray(s, Math.min(n, s + 256));
      if (part.length < 2) break;
      tf.tidy(() => {
        const x = normalizeInput(gatherBatch(pool.images, ppi, part, shape));
        backbone.features(x, online, { training: true, collect });
      });
    }
    for (const [name, acc] of collect) {
      const rm = running.get(`${name}.rm`);
      const rv = running.get(`${name}.rv`);
      if (rm && rv) {
        tf.tidy(() => {
          rm.assign(acc.mean.div(acc.batches));
          rv.assign(acc.variance.div(acc.batches));
        });
      }
      tf.dispose([acc.mean, acc.variance]);
    }
  };

  const canEvaluate = probeTrainIdx.length >= 10 && probeTestIdx.length >= 1;
  return {
    canEvaluate,
    async evaluate() {
      if (!canEvaluate) return null;
      preciseBn();
      const tr = await featuresOf(data.train, probeTrainIdx);
      const te = await featuresOf(data.test, probeTestIdx);
      const val = validation && probeValIdx.length > 0 ? await featuresOf(validation, probeValIdx) : undefined;
      const probe = await linearProbe(tr, te, classes, { epochs: setup.eval.probeEpochs, seed: probeSeed, ...(val ? { validation: val } : {}) });
      const knnAcc = await knnAccuracy(tr, te, classes, setup.eval.knnK);
      return { probeAcc: probe.testAcc, knnAcc, probeTrainAcc: probe.trainAcc };
    },
  };
}

/** The spectral report of a step: spectra of F̂ and W_p plus the effective rank of the batch covariance. */
export function spectralReport(
  nets: Networks,
  wp: Float64Array | null,
  fHat: Float64Array,
  corr: ArrayLike<number>,
  mean: ArrayLike<number>,
): { spectra: ReturnType<typeof spectra>; effectiveRank: number; hasWp: boolean } {
  const d = nets.d;
  const sp = spectra(fHat, wp, d);
  // Effective rank from the batch covariance E[ffᵀ] − μμᵀ of the embeddings.
  const cov = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] = corr[a * d + b]! - mean[a]! * mean[b]!;
  return { spectra: sp, effectiveRank: effectiveRank(eigh(cov, d).values), hasWp: wp !== null };
}
