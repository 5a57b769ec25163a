/**
 * Evaluation of frozen features: a linear probe (multinomial logistic regression) and kNN.
 * By default the probe is fitted on part of the labelled train split and its epoch chosen on the
 * rest (validation); the held-out test split is only reported on, never used for selection. The
 * official code's protocol (best test epoch) is an option, named wherever results are reported.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, permutation } from '../math/seeds.ts';
import { KNN_TEMPERATURE } from '../common/metrics.ts';

/** Features of labelled images: n×dim row-major. */
export interface FeatureSet {
  x: Float32Array;
  y: Int32Array;
  n: number;
  dim: number;
}

/** Probe outcome: accuracy (fraction) on validation (selection), on the held-out set, and on its fit set. */
export interface ProbeResult {
  valAcc: number;
  testAcc: number;
  trainAcc: number;
  bestEpoch: number;
}

function standardize(train: FeatureSet, ...others: FeatureSet[]): tf.Tensor2D[] {
  return tf.tidy(() => {
    const xt = tf.tensor2d(train.x, [train.n, train.dim]);
    const { mean, variance } = tf.moments(xt, 0);
    const scale = tf.rsqrt(variance.add(1e-6));
    return [xt, ...others.map((o) => tf.tensor2d(o.x, [o.n, o.dim]))].map((t) => t.sub(mean).mul(scale) as tf.Tensor2D);
  });
}

async function accuracy(logits: tf.Tensor2D, y: Int32Array): Promise<number> {
  const pred = tf.tidy(() => logits.argMax(1));
  // Asynchronous: the webgpu backend cannot read synchronously in Node.
  const p = await pred.data();
  pred.dispose();
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) ok++;
  return y.length ? ok / y.length : 0;
}

/** Fits a softmax-regression probe with Adam; resolves with accuracies at the epoch best on validation. */
export async function linearProbe(
  train: FeatureSet,
  test: FeatureSet,
  classes: number,
  opts: {
    epochs: number;
    seed: number;
    lr?: number;
    batch?: number;
    valFraction?: number;
    /** The dataset's own validation split; without it a seeded `valFraction` of `train` is held out. */
    validation?: FeatureSet;
    /** 'best-test': fit on all of `train`, report the epoch best on `test` (the official code's protocol). */
    select?: 'validation' | 'best-test';
  },
): Promise<ProbeResult> {
  const perm = permutation(train.n, opts.seed);
  const nVal = Math.max(1, Math.floor(train.n * (opts.valFraction ?? 0.2)));
  const pick = (idx: Int32Array): FeatureSet => {
    const x = new Float32Array(idx.length * train.dim);
    const y = new Int32Array(idx.length);
    idx.forEach((src, i) => {
      x.set(train.x.subarray(src * train.dim, (src + 1) * train.dim), i * train.dim);
      y[i] = train.y[src]!;
    });
    return { x, y, n: idx.length, dim: train.dim };
  };
  const bestTest = opts.select === 'best-test';
  const fit = opts.validation || bestTest ? train : pick(perm.subarray(nVal));
  // Best-test selection: the "validation" set is the test set itself.
  const val = bestTest ? test : (opts.validation ?? pick(perm.subarray(0, nVal)));
  const [xf, xv, xt] = standardize(fit, val, test);
  const yf = tf.tidy(() => tf.oneHot(tf.tensor1d(fit.y, 'int32'), classes).toFloat() as tf.Tensor2D);
  // Inside tidy the zero initial values are released; the variables keep their data.
  const [W, b] = tf.tidy(() => [tf.variable(tf.zeros([train.dim, classes])), tf.variable(tf.zeros([classes]))]);
  const optimizer = tf.train.adam(opts.lr ?? 0.01);
  const batch = opts.batch ?? 256;
  const rng = new Rng(opts.seed ^ 0x5bd1e995);
  let best: ProbeResult = { valAcc: -1, testAcc: 0, trainAcc: 0, bestEpoch: 0 };
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = permutation(fit.n, rng.int(2 ** 31));
      for (let s = 0; s < fit.n; s += batch) {
        const idx = tf.tensor1d(order.subarray(s, Math.min(fit.n, s + batch)), 'int32');
        optimizer.minimize(() =>
          tf.tidy(() => {
            const logits = tf.matMul(tf.gather(xf!, idx), W).add(b);
            return tf.losses.softmaxCrossEntropy(tf.gather(yf, idx), logits) as tf.Scalar;
          }),
        );
        idx.dispose();
      }
      const lv = tf.tidy(() => tf.matMul(xv!, W).add(b) as tf.Tensor2D);
      const valAcc = await accuracy(lv, val.y);
      lv.dispose();
      if (valAcc > best.valAcc) {
        const lt = tf.tidy(() => tf.matMul(xt!, W).add(b) as tf.Tensor2D);
        const lf = tf.tidy(() => tf.matMul(xf!, W).add(b) as tf.Tensor2D);
        best = { valAcc, testAcc: await accuracy(lt, test.y), trainAcc: await accuracy(lf, fit.y), bestEpoch: epoch + 1 };
        lt.dispose();
        lf.dispose();
      }
    }
  } finally {
    tf.dispose([xf!, xv!, xt!, yf, W, b]);
    optimizer.dispose();
  }
  return best;
}

/**
 * kNN accuracy with cosine similarity: 'weighted' votes exp(cos/T), T = 0.07; 'majority' one vote
 * per neighbour, a tie going to the class with the larger summed cosine similarity.
 */
export async function knnAccuracy(bank: FeatureSet, query: FeatureSet, classes: number, k: number, vote: 'weighted' | 'majority' = 'weighted'): Promise<number> {
  const kk = Math.min(k, bank.n);
  const bankT = tf.tidy(() => {
    const bn = tf.tensor2d(bank.x, [bank.n, bank.dim]);
    return tf.transpose(bn.div(bn.norm('euclidean', 1, true).add(1e-12)));
  });
  const bankY = tf.tensor1d(bank.y, 'int32');
  let ok = 0;
  const chunk = 256;
  try {
    for (let s = 0; s < query.n; s += chunk) {
      const m = Math.min(query.n, s + chunk) - s;
      const pred = tf.tidy(() => {
        const q = tf.tensor2d(query.x.subarray(s * query.dim, (s + m) * query.dim), [m, query.dim]);
        const sim = tf.matMul(q.div(q.norm('euclidean', 1, true).add(1e-12)), bankT);
        const { values, indices } = tf.topk(sim, kk);
        const labels = tf.gather(bankY, indices.reshape([-1])).reshape([m, kk]);
        // Majority: a count, plus summed similarity scaled below one vote (|Σcos| ≤ k) to break ties.
        const w = vote === 'weighted' ? values.div(KNN_TEMPERATURE).exp() : values.div(4 * kk).add(1);
        const votes = tf.oneHot(labels, classes).mul(w.expandDims(2)).sum(1);
        return votes.argMax(1);
      });
      const p = await pred.data();
      pred.dispose();
      for (let i = 0; i < m; i++) if (p[i] === query.y[s + i]) ok++;
    }
  } finally {
    bankT.dispose();
    bankY.dispose();
  }
  return query.n ? ok / query.n : 0;
}
