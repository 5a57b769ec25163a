/**
 * Evaluation during and after training: a linear probe and k-NN on frozen backbone features, with
 * BN running statistics recomputed first ("precise BN"); the representation statistics (effective
 * rank, collapse std) of the projector output f on a fixed set of images; and the spectral report
 * (eigenvalues of F̂ and W_p, their alignment).
 */
import * as tf from '@tensorflow/tfjs';
import type { Setup } from '../../common/setup.ts';
import { effectiveRank, spectra } from '../../common/metrics.ts';
import { deriveSeed, permutation } from '../../math/seeds.ts';
import { eigh } from '../../math/eigh.ts';
import type { ForwardMode } from '../model.ts';
import { gatherBatch, normalizeInput } from '../augment.ts';
import { knnAccuracy, linearProbe, type FeatureSet } from '../probe.ts';
import type { Dataset, Split } from '../../data/types.ts';
import type { Networks } from './networks.ts';
import { imageShape } from './batches.ts';
import { projectionOf, stratifiedSubset, type Projection } from './projection.ts';
import { PROJECTION_MAX_POINTS } from '../../common/events.ts';

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
  /** The representation picture: probe-test features on their two leading principal components. */
  projection: Projection;
}

/**
 * Statistics of the projector output f over the evaluation image set (`eval.statsImages` images):
 * effective rank of its covariance (1 collapsed … d) and std(f/‖f‖) per dimension × √d (≈1
 * healthy, 0 collapsed).
 */
export interface RepresentationStats {
  effectiveRank: number;
  collapseStd: number;
  /** Images the statistics were computed on. */
  images: number;
}

/** Evaluates the current online backbone; fixed probe subsets so evaluations compare over time. */
export interface Evaluator {
  /** False for an unlabelled dataset (e.g. a folder of loose images): nothing to evaluate on. */
  readonly canEvaluate: boolean;
  /** Precise BN, then probe + k-NN; null when `canEvaluate` is false. */
  evaluate(): Promise<EvalResult | null>;
  /**
   * The representation picture alone (precise BN, then the features of the picture's ≤ 500 images:
   * no probe, no k-NN), the same as `evaluate` would draw now; null when `canEvaluate` is false.
   */
  picture(): Promise<Projection | null>;
  /** Effective rank and collapse std of f on the fixed evaluation images; changes no state. */
  representationStats(): Promise<RepresentationStats>;
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
  // The picture's points: a class-stratified subset of the probe's test images, fixed for the run.
  const pcaPos = stratifiedSubset(Array.from(probeTestIdx, (i) => data.test.labels[i]!), PROJECTION_MAX_POINTS, deriveSeed(setup.seed, 'eval', 2));

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

  // The fixed evaluation images of the representation statistics, in equal chunks of ≤ 256 so that
  // every chunk's BN batch statistics rest on about as many images (a run with fewer pre-training
  // images uses them all).
  const statsIdx = permutation(pool.count, deriveSeed(setup.seed, 'eval', 1)).slice(0, Math.min(pool.count, setup.eval.statsImages));
  const statsChunks = Math.ceil(statsIdx.length / 256);
  const statsChunk = Math.ceil(statsIdx.length / statsChunks);
  const TRAIN: ForwardMode = { training: true };

  const canEvaluate = probeTrainIdx.length >= 10 && probeTestIdx.length >= 1;
  return {
    canEvaluate,
    async evaluate() {
      if (!canEvaluate) return null;
      preciseBn();
      const tr = await featuresOf(data.train, probeTrainIdx);
      const te = await featuresOf(data.test, probeTestIdx);
      const val = validation && probeValIdx.length > 0 ? await featuresOf(validation, probeValIdx) : undefined;
      const select = setup.eval.probeSelect;
      const probe = await linearProbe(tr, te, classes, { epochs: setup.eval.probeEpochs, seed: probeSeed, select, ...(val ? { validation: val } : {}) });
      const knnAcc = await knnAccuracy(tr, te, classes, setup.eval.knnK, setup.eval.knnVote);
      return { probeAcc: probe.testAcc, knnAcc, probeTrainAcc: probe.trainAcc, projection: projectionOf(te, pcaPos, data.classNames) };
    },
    async picture() {
      if (!canEvaluate) return null;
      preciseBn();
      // Only the picture's images, in the subset's order: positions 0 … m−1 of their features.
      const idx = Int32Array.from(pcaPos, (p) => probeTestIdx[p]!);
      const te = await featuresOf(data.test, idx);
      return projectionOf(te, Int32Array.from(idx, (_, i) => i), data.classNames);
    },
    async representationStats() {
      const d = nets.d;
      // Sums over the images of f fᵀ, f, u = f/‖f‖ and u², accumulated on the backend.
      let sums: tf.Tensor[] = [tf.zeros([d, d]), tf.zeros([d]), tf.zeros([d]), tf.zeros([d])];
      for (let s = 0; s < statsIdx.length; s += statsChunk) {
        const part = statsIdx.subarray(s, Math.min(statsIdx.length, s + statsChunk));
        const next = tf.tidy(() => {
          const x = normalizeInput(gatherBatch(pool.images, ppi, part, shape));
          const f = backbone.project(backbone.features(x, online, TRAIN), online, TRAIN);
          const u = f.div(f.norm('euclidean', 1, true).add(1e-12));
          const add = [tf.matMul(f, f, true, false), f.sum(0), u.sum(0), u.square().sum(0)];
          return sums.map((t, i) => t.add(add[i]!));
        });
        tf.dispose(sums);
        sums = next;
      }
      const [ffT, fSum, uSum, u2Sum] = await Promise.all(sums.map((t) => t.data()));
      tf.dispose(sums);
      const n = statsIdx.length;
      // Covariance E[ffᵀ] − μμᵀ in float64, then exp(entropy) of its normalised eigenvalues.
      const cov = new Float64Array(d * d);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] = ffT![a * d + b]! / n - (fSum![a]! / n) * (fSum![b]! / n);
      let std = 0;
      for (let a = 0; a < d; a++) std += Math.sqrt(Math.max(0, u2Sum![a]! / n - (uSum![a]! / n) ** 2));
      return { effectiveRank: effectiveRank(eigh(cov, d).values), collapseStd: (std / d) * Math.sqrt(d), images: n };
    },
  };
}

/**
 * The one-batch effective rank (what each spectra step reported before the evaluation image set):
 * exp(entropy) of the eigenvalues of E_B[ffᵀ] − μμᵀ over one training batch's two views. Kept to
 * measure how much the image set steadies the estimate.
 */
export function batchEffectiveRank(corr: ArrayLike<number>, mean: ArrayLike<number>, d: number): number {
  const cov = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] = corr[a * d + b]! - mean[a]! * mean[b]!;
  return effectiveRank(eigh(cov, d).values);
}

/** The spectral report of a step: spectra of F̂ and W_p (the effective rank comes from `representationStats`). */
export function spectralReport(nets: Networks, wp: Float64Array | null, fHat: Float64Array): { spectra: ReturnType<typeof spectra>; hasWp: boolean } {
  // F̂ is the first d·d entries (an `optimal` predictor's Ĉ follows them).
  return { spectra: spectra(fHat.subarray(0, nets.d * nets.d), wp, nets.d), hasWp: wp !== null };
}
