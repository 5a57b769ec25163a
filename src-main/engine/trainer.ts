/**
 * The training loop: BYOL / SimSiam with any registered predictor, on the best available tfjs
 * backend. Reports everything through events (spec/events.ts) and can stop, checkpoint and
 * resume exactly: all randomness is derived per step from the root seed, so a checkpoint plus the
 * setup reproduces the rest of the run.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus, platform, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Setup } from '../spec/setup.ts';
import type { RunOutcome, RunSummary, TrainerEvent } from '../spec/events.ts';
import { deriveSeed, permutation, Rng } from '../math/seeds.ts';
import { buildBackbone, ParamBuilder, type ForwardMode, type Params } from './model.ts';
import { PREDICTORS, fHatRho } from './predictors.ts';
import { augmentView, gatherBatch, normalizeInput, planAugment } from './augment.ts';
import { effectiveRank, spectra } from '../spec/metrics.ts';
import { knnAccuracy, linearProbe, type FeatureSet } from './probe.ts';
import { setupHash } from './hash.ts';
import { eigh } from '../math/eigh.ts';
import { initBackend, type BackendPreference } from './backend.ts';
import { loadDataset } from '../data/index.ts';
import type { Dataset, Split } from '../data/types.ts';
import type { Checkpoint } from './checkpoint.ts';

export type { Checkpoint } from './checkpoint.ts';
export { encodeCheckpoint, decodeCheckpoint } from './checkpoint.ts';

/** How to run a training. */
export interface TrainOptions {
  backend?: BackendPreference;
  onEvent?: (e: TrainerEvent) => void;
  /** Aborting cancels: the run ends with outcome 'cancelled' after the current step. */
  signal?: AbortSignal;
  /** Steps between checkpoints; 0 or undefined: none. */
  checkpointEvery?: number;
  /** Receives each checkpoint; awaited before training continues. */
  onCheckpoint?: (c: Checkpoint) => void | Promise<void>;
  /** Continue exactly from this checkpoint. */
  resumeFrom?: Checkpoint;
  /** An already loaded dataset (tests, sweeps); otherwise loaded from `setup.data`. */
  dataset?: Dataset;
}

/** Raised before training starts when a setup cannot run (data missing, batch too large, …). */
export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Loss ℓ(p, t) per sample averaged over the batch: 2 − 2cos(p, t), or ‖p − t‖². */
function pairLoss(p: tf.Tensor2D, t: tf.Tensor2D, kind: Setup['loss']): tf.Scalar {
  if (kind === 'mse') return tf.sum(tf.square(p.sub(t)), 1).mean() as tf.Scalar;
  const pn = p.div(p.norm('euclidean', 1, true).add(1e-12));
  const tn = t.div(t.norm('euclidean', 1, true).add(1e-12));
  return tf.scalar(2).sub(pn.mul(tn).sum(1).mean().mul(2)) as tf.Scalar;
}

/** Identity whose gradient is zero: tfjs has no stop-gradient op. */
const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: (args[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as (
  x: tf.Tensor2D,
) => tf.Tensor2D;

/** A random subset (seeded) of a labelled split, as indices. */
function subsetIndices(split: Split, max: number, seed: number): Int32Array {
  const labelled: number[] = [];
  for (let i = 0; i < split.count; i++) if (split.labels[i]! >= 0) labelled.push(i);
  const perm = permutation(labelled.length, seed);
  const n = max > 0 ? Math.min(max, labelled.length) : labelled.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = labelled[perm[i]!]!;
  return out;
}

/** Trains a setup; resolves with the run's summary (also sent as the 'finished' event). */
export async function train(setup: Setup, opts: TrainOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const emit = (e: TrainerEvent) => opts.onEvent?.(e);
  const backend = await initBackend(opts.backend ?? 'auto');
  const data = opts.dataset ?? (await loadDataset(setup.data, { seed: setup.seed }));
  const hash = setupHash(setup);
  if (opts.resumeFrom && opts.resumeFrom.setupHash !== hash) {
    throw new TrainingError('the checkpoint belongs to a different setup (setup hash differs)');
  }
  const B = setup.optim.batchSize;
  const pool = data.pretrain;
  if (pool.count < B) {
    throw new TrainingError(`batch size ${B} is larger than the ${pool.count} pre-training images of '${data.name}'`);
  }
  const shape: [number, number, number] = [data.height, data.width, data.channels];
  const ppi = data.height * data.width * data.channels;
  const stepsPerEpoch = Math.floor(pool.count / B);
  const plannedSteps = Math.max(1, Math.ceil(setup.optim.epochs * stepsPerEpoch));
  const totalSteps = setup.optim.maxSteps ? Math.min(setup.optim.maxSteps, plannedSteps) : plannedSteps;

  // Networks: online = backbone + predictor; target = EMA copy of the backbone (BYOL) or the online one.
  const backbone = buildBackbone(setup, { height: data.height, width: data.width, channels: data.channels });
  const predCfg = setup.predictor;
  const pred = PREDICTORS[predCfg.kind];
  const pb = new ParamBuilder(setup.seed);
  pred.build(pb, backbone.outDim, predCfg);
  const online: Params = new Map([...backbone.params, ...pb.params]);
  const running: Params = new Map([...backbone.running, ...pb.running]);
  const isEma = setup.method === 'byol';
  const target: Params = new Map();
  if (isEma) for (const [k, v] of backbone.params) target.set(k, tf.variable(v, false));
  // tfjs keys gradients by variable name; map them back to our parameter keys.
  const keyOfVar = new Map<string, string>();
  for (const [k, v] of online) keyOfVar.set(v.name, k);
  const momenta: Params = new Map();
  for (const [k, v] of online) {
    const zero = tf.zerosLike(v);
    momenta.set(k, tf.variable(zero, false));
    zero.dispose();
  }
  const d = backbone.outDim;
  let fHat: Float64Array | null = null;
  const rho = fHatRho(setup);

  let startStep = 0;
  if (opts.resumeFrom) {
    const c = opts.resumeFrom;
    const load = (store: Params, prefix: string) => {
      for (const [k, v] of store) {
        const t = c.tensors[`${prefix}/${k}`];
        if (!t) throw new TrainingError(`checkpoint lacks ${prefix}/${k}`);
        const x = tf.tensor(t.data, t.shape);
        v.assign(x);
        x.dispose();
      }
    };
    load(online, 'online');
    load(target, 'target');
    load(momenta, 'mom');
    load(running, 'run');
    if (c.tensors['fhat']) fHat = Float64Array.from(c.tensors['fhat'].data);
    startStep = c.step;
  }

  emit({
    type: 'started',
    setupHash: hash,
    env: {
      backend: backend.kind,
      versions: backend.versions,
      appVersion: appVersion(),
      host: { platform: platform(), arch: arch(), cpus: cpus().length, node: process.versions.node },
    },
    dataset: { name: data.name, hash: data.hash, source: data.source, pretrainCount: pool.count },
    totalSteps,
    stepsPerEpoch,
    startStep,
  });

  const trainMode: ForwardMode = { training: true };
  const targetMode: ForwardMode = { training: true };
  const evalMode: ForwardMode = { training: false, running };
  const lrBackbone = setup.optim.lr;
  const lrPred = setup.optim.lr * setup.optim.predictorLrRatio;

  // Probe subsets are fixed for the whole run (seeded), so evaluations are comparable over time.
  const probeSeed = deriveSeed(setup.seed, 'probe');
  const probeTrainIdx = subsetIndices(data.train, setup.eval.probeTrain, probeSeed);
  const probeTestIdx = subsetIndices(data.test, setup.eval.probeTest, probeSeed + 1);
  // A dataset's own validation split (e.g. an image folder's val/) selects the probe's epoch.
  const validation = data.validation;
  const probeValIdx = validation ? subsetIndices(validation, setup.eval.probeTest, probeSeed + 2) : new Int32Array(0);
  const classes = Math.max(data.classNames.length, 1);

  const featuresOf = (split: Split, idx: Int32Array): FeatureSet => {
    const dim = backbone.encoder.featureDim;
    const x = new Float32Array(idx.length * dim);
    const y = new Int32Array(idx.length);
    const chunk = 256;
    for (let s = 0; s < idx.length; s += chunk) {
      const part = idx.subarray(s, Math.min(idx.length, s + chunk));
      const f = tf.tidy(() => backbone.features(normalizeInput(gatherBatch(split.images, ppi, part, shape)), online, evalMode));
      x.set(f.dataSync(), s * dim);
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
      if (!rm || !rv) continue;
      const m = tf.tensor1d(Float32Array.from(acc.mean, (x) => x / acc.batches));
      const v = tf.tensor1d(Float32Array.from(acc.variance, (x) => x / acc.batches));
      rm.assign(m);
      rv.assign(v);
      tf.dispose([m, v]);
    }
  };

  // An unlabelled dataset (e.g. a folder of loose images) has nothing to evaluate on.
  const canEvaluate = probeTrainIdx.length >= 10 && probeTestIdx.length >= 1;
  const evaluate = (step: number, epoch: number): { probeAcc: number; knnAcc: number } | null => {
    if (!canEvaluate) return null;
    preciseBn();
    const tr = featuresOf(data.train, probeTrainIdx);
    const te = featuresOf(data.test, probeTestIdx);
    const val = validation && probeValIdx.length > 0 ? featuresOf(validation, probeValIdx) : undefined;
    const probe = linearProbe(tr, te, classes, { epochs: setup.eval.probeEpochs, seed: probeSeed, ...(val ? { validation: val } : {}) });
    const knnAcc = knnAccuracy(tr, te, classes, setup.eval.knnK);
    emit({ type: 'eval', step, epoch, probeAcc: probe.testAcc, knnAcc, probeTrainAcc: probe.trainAcc });
    return { probeAcc: probe.testAcc, knnAcc };
  };

  const checkpoint = (step: number): Checkpoint => {
    const tensors: Checkpoint['tensors'] = {};
    const save = (store: Params, prefix: string) => {
      for (const [k, v] of store) tensors[`${prefix}/${k}`] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
    };
    save(online, 'online');
    save(target, 'target');
    save(momenta, 'mom');
    save(running, 'run');
    if (fHat) tensors['fhat'] = { shape: [d, d], data: Float32Array.from(fHat) };
    return { step, epoch: step / stepsPerEpoch, setupHash: hash, tensors, state: {} };
  };

  const recentLoss: number[] = [];
  const recentStd: number[] = [];
  const stepRates: number[] = [];
  let lastRank: number | null = null;
  let lastEval: { probeAcc: number; knnAcc: number } | null = null;
  let outcome: RunOutcome = 'completed';
  let error: string | undefined;
  let divergedAtStep: number | undefined;
  let permEpoch = -1;
  let perm: Int32Array = new Int32Array(0);
  let avgStepSec: number | null = null;
  let step = startStep;

  try {
    for (; step < totalSteps; step++) {
      if (opts.signal?.aborted) {
        outcome = 'cancelled';
        break;
      }
      const tStep = performance.now();
      const epochIdx = Math.floor(step / stepsPerEpoch);
      if (epochIdx !== permEpoch) {
        perm = permutation(pool.count, deriveSeed(setup.seed, 'data-order', epochIdx));
        permEpoch = epochIdx;
      }
      const pos = (step % stepsPerEpoch) * B;
      const idx = perm.subarray(pos, pos + B);
      const rng = new Rng(deriveSeed(setup.seed, 'augment', step));
      const plan1 = planAugment(B, setup.augment, rng);
      const plan2 = planAugment(B, setup.augment, rng);
      const [v1, v2] = tf.tidy(() => {
        const x = gatherBatch(pool.images, ppi, idx, shape);
        return [augmentView(x, plan1, setup.augment), augmentView(x, plan2, setup.augment)];
      });
      // BYOL target outputs: EMA weights, batch statistics, no gradient.
      const targets = isEma
        ? tf.tidy(() => [v1, v2].map((v) => backbone.project(backbone.features(v, target, targetMode), target, targetMode)))
        : null;
      const sgdPred = pred.sgdAt(step, predCfg);
      const trainable: tf.Variable[] = [];
      for (const [k, v] of online) if (!k.startsWith('pred.') || sgdPred) trainable.push(v);
      let side: tf.Tensor[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const z1 = backbone.project(backbone.features(v1, online, trainMode), online, trainMode);
        const z2 = backbone.project(backbone.features(v2, online, trainMode), online, trainMode);
        const p1 = pred.forward(z1, online, trainMode, predCfg);
        const p2 = pred.forward(z2, online, trainMode, predCfg);
        let t1: tf.Tensor2D, t2: tf.Tensor2D;
        if (targets) [t1, t2] = targets as [tf.Tensor2D, tf.Tensor2D];
        else if (setup.stopGradient) [t1, t2] = [stopGradient(z1), stopGradient(z2)];
        else [t1, t2] = [z1, z2];
        const loss = pairLoss(p1, t2, setup.loss).add(pairLoss(p2, t1, setup.loss)).mul(0.5) as tf.Scalar;
        // Side statistics of the predictor input f (detached): E_B[ffᵀ] over both views, its mean,
        // and the collapse indicator std(z/‖z‖)·√d.
        const f = tf.concat([z1, z2], 0);
        const fT = tf.transpose(f);
        const corr = tf.matMul(fT, f).div(f.shape[0]);
        const mean = f.mean(0);
        const zn = z1.div(z1.norm('euclidean', 1, true).add(1e-12));
        const std = tf.moments(zn, 0).variance.sqrt().mean().mul(Math.sqrt(d));
        side = [tf.keep(corr), tf.keep(mean), tf.keep(std)];
        return loss;
      }, trainable);
      tf.dispose([v1, v2, ...(targets ?? [])]);
      const lossVal = (await value.data())[0]!;
      value.dispose();
      const [corrT, meanT, stdT] = side;
      const corr = corrT!.dataSync();
      const meanV = meanT!.dataSync();
      const stdVal = stdT!.dataSync()[0]!;
      tf.dispose(side);

      if (!Number.isFinite(lossVal)) {
        tf.dispose(Object.values(grads));
        outcome = 'diverged';
        divergedAtStep = step;
        error = `loss became ${lossVal} at step ${step}`;
        break;
      }

      // SGD with momentum (PyTorch form): v ← μv + g + wd·w; w ← w − lr·v.
      tf.tidy(() => {
        for (const [varName, g] of Object.entries(grads)) {
          const name = keyOfVar.get(varName)!;
          const isPred = name.startsWith('pred.');
          const w = online.get(name)!;
          const m = momenta.get(name)!;
          const wd = isPred ? setup.optim.predictorWeightDecay : setup.optim.weightDecay;
          const lr = isPred ? lrPred : lrBackbone;
          const v = m.mul(setup.optim.momentum).add(g).add(w.mul(wd));
          m.assign(v);
          w.assign(w.sub(v.mul(lr)));
        }
      });
      tf.dispose(Object.values(grads));
      // EMA target: W_a ← γ_a W_a + (1 − γ_a) W.
      if (isEma) {
        const g = setup.emaMomentum;
        tf.tidy(() => {
          for (const [k, t] of target) t.assign(t.mul(g).add(online.get(k)!.mul(1 - g)));
        });
      }
      // F̂ ← ρF̂ + (1 − ρ)E_B[ffᵀ] (paper Eq. 19), initialised with the first batch.
      if (!fHat) fHat = Float64Array.from(corr);
      else for (let i = 0; i < d * d; i++) fHat[i] = rho * fHat[i]! + (1 - rho) * corr[i]!;
      pred.afterStep?.(online, fHat, d, step, predCfg);

      const done = step + 1;
      const epoch = done / stepsPerEpoch;
      const sec = (performance.now() - tStep) / 1000;
      avgStepSec = avgStepSec === null ? sec : 0.8 * avgStepSec + 0.2 * sec;
      const ips = B / sec;
      if (step - startStep >= 1) stepRates.push(ips);
      recentLoss.push(lossVal);
      recentStd.push(stdVal);
      if (recentLoss.length > 10) recentLoss.shift();
      if (recentStd.length > 10) recentStd.shift();
      const values: Record<string, number> = { loss: lossVal, collapseStd: stdVal, imagesPerSec: ips, lr: lrBackbone };

      if (done % setup.eval.spectraEvery === 0 || done === totalSteps) {
        let wpArr: Float64Array | null = null;
        const wpT = pred.wp?.(online) ?? null;
        if (wpT) {
          wpArr = Float64Array.from(wpT.dataSync());
          wpT.dispose();
        }
        const sp = spectra(fHat, wpArr, d);
        emit({ type: 'spectra', step: done, epoch, ...sp });
        // Effective rank from the batch covariance E[ffᵀ] − μμᵀ of the embeddings.
        const cov = new Float64Array(d * d);
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b] = corr[a * d + b]! - meanV[a]! * meanV[b]!;
        lastRank = effectiveRank(eigh(cov, d).values);
        values.effectiveRank = lastRank;
        if (wpArr) values.asymmetry = sp.asymmetry;
      }
      emit({ type: 'scalars', step: done, epoch, values });
      emit({
        type: 'progress',
        step: done,
        totalSteps,
        epoch,
        etaSec: avgStepSec === null ? null : avgStepSec * (totalSteps - done),
      });

      const ev = setup.eval.everyEpochs;
      if (ev > 0 && done % (ev * stepsPerEpoch) === 0 && done < totalSteps) lastEval = evaluate(done, epoch);
      if (opts.checkpointEvery && opts.onCheckpoint && done % opts.checkpointEvery === 0 && done < totalSteps) {
        await opts.onCheckpoint(checkpoint(done));
      }
      // Let the event loop breathe: IPC messages, abort signals, progress output.
      await new Promise((r) => setImmediate(r));
    }
    if (outcome === 'completed' || outcome === 'cancelled') {
      if (step > startStep || outcome === 'completed') lastEval = evaluate(step, step / stepsPerEpoch);
    }
  } catch (e) {
    outcome = 'failed';
    error = (e as Error).message;
    if (process.env.DPLAB_DEBUG) console.error(e);
  } finally {
    tf.dispose([...online.values(), ...target.values(), ...momenta.values(), ...running.values()]);
  }

  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
  const sortedRates = stepRates.slice().sort((a, b) => a - b);
  const summary: RunSummary = {
    outcome,
    setupHash: hash,
    backend: backend.kind,
    steps: step,
    epochs: step / stepsPerEpoch,
    finalLoss: mean(recentLoss),
    collapseStd: mean(recentStd),
    effectiveRank: lastRank,
    probeAcc: lastEval?.probeAcc ?? null,
    knnAcc: lastEval?.knnAcc ?? null,
    imagesPerSec: sortedRates.length ? sortedRates[Math.floor(sortedRates.length / 2)]! : null,
    wallSec: (performance.now() - t0) / 1000,
  };
  if (error) summary.error = error;
  if (divergedAtStep !== undefined) summary.divergedAtStep = divergedAtStep;
  emit({ type: 'finished', outcome, summary });
  return summary;
}
