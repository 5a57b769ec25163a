/**
 * The training loop: BYOL / SimSiam with any registered predictor, on the best available tfjs
 * backend. Reports everything through events (spec/events.ts) and can stop, checkpoint and
 * resume exactly: all randomness is derived per step from the root seed, so a checkpoint plus the
 * setup reproduces the rest of the run. This file only orders the pieces of `train/` (data
 * pipeline, networks, objective, SGD, EMA, F̂/W_p, evaluation, checkpoint state); a new predictor
 * or backend changes one of them.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus, platform, arch } from 'node:os';
import type { Setup } from '../spec/setup.ts';
import type { RunBaseline, RunOutcome, RunSummary, TrainerEvent } from '../spec/events.ts';
import { fHatRho } from './predictors.ts';
import { APP_VERSION } from '../spec/version.ts';
import { setupHash, setupHashes } from '../spec/hash.ts';
import { initBackend, type BackendPreference } from './backend.ts';
import { loadDataset } from '../data/index.ts';
import type { Dataset } from '../data/types.ts';
import type { Checkpoint } from './checkpoint.ts';
import { BatchStream, batchSizeAt, stepPlan } from './train/batches.ts';
import { buildNetworks, disposeNetworks, trainableAt } from './train/networks.ts';
import { lossAndGrads, targetOutputs } from './train/objective.ts';
import { sgdHyper, sgdMomentumUpdate } from './train/sgd.ts';
import { emaUpdate } from './train/ema.ts';
import { readStep } from './train/step.ts';
import { fHatStep } from './train/fhat.ts';
import { createEvaluator, spectralReport, type RepresentationStats } from './train/evaluate.ts';
import { evalProtocolOf } from '../spec/metrics.ts';
import { captureCheckpoint, restoreCheckpoint, TrainingError } from './train/state.ts';

export type { Checkpoint } from './checkpoint.ts';
export { TrainingError } from './train/state.ts';
export { encodeCheckpoint, decodeCheckpoint } from './checkpoint.ts';

/** How to run a training. */
export interface TrainOptions {
  backend?: BackendPreference;
  /** Threads for wasm (default: every core this process may use; a sweep passes its share). */
  threads?: number;
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

/** One step's inputs: both augmented views and, for BYOL, the EMA target's outputs. */
interface StepInputs {
  v1: tf.Tensor4D;
  v2: tf.Tensor4D;
  targets: tf.Tensor2D[] | null;
}

function stepInputs(nets: ReturnType<typeof buildNetworks>, batches: BatchStream, step: number): StepInputs {
  const [v1, v2] = batches.views(step);
  return { v1, v2, targets: targetOutputs(nets, v1, v2) };
}

/** Submits queued GPU work now (webgpu batches command buffers until a read or a full batch). */
function flushGpu(): void {
  if (tf.getBackend() !== 'webgpu') return;
  const b = tf.backend() as unknown as { ensureCommandEncoderReady?: () => void; endComputePassEncoder?: () => void; submitQueue?: () => void };
  // The open compute pass must end before its command buffer is submitted (as the backend's own reads do).
  b.ensureCommandEncoderReady?.();
  b.endComputePassEncoder?.();
  b.submitQueue?.();
}

/** Trains a setup; resolves with the run's summary (also sent as the 'finished' event). */
export async function train(setup: Setup, opts: TrainOptions = {}): Promise<RunSummary> {
  const t0 = performance.now();
  const emit = (e: TrainerEvent) => opts.onEvent?.(e);
  const backend = await initBackend(opts.backend ?? 'auto', { threads: opts.threads });
  const data = opts.dataset ?? (await loadDataset(setup.data, { seed: setup.seed }));
  const hash = setupHash(setup);
  // A checkpoint taken before a schema upgrade names the setup by its hash of then.
  if (opts.resumeFrom && !setupHashes(setup).includes(opts.resumeFrom.setupHash)) {
    throw new TrainingError('the checkpoint belongs to a different setup (setup hash differs)');
  }
  const B = setup.optim.batchSize;
  const pool = data.pretrain;
  if (pool.count < B) {
    throw new TrainingError(`batch size ${B} is larger than the ${pool.count} pre-training images of '${data.name}'`);
  }
  const plan = stepPlan(setup, pool.count);
  const { stepsPerEpoch, totalSteps } = plan;

  // Networks: online = backbone + predictor; target = EMA copy of the backbone (BYOL) or the online one.
  const nets = buildNetworks(setup, { height: data.height, width: data.width, channels: data.channels });
  let fHat: Float64Array | null = null;
  const rho = fHatRho(setup);

  let startStep = 0;
  if (opts.resumeFrom) ({ fHat, step: startStep } = restoreCheckpoint(nets, opts.resumeFrom));

  emit({
    type: 'started',
    setupHash: hash,
    env: {
      backend: backend.kind,
      versions: backend.versions,
      appVersion: APP_VERSION,
      host: { platform: platform(), arch: arch(), cpus: cpus().length, node: process.versions.node },
      ...(backend.adapter ? { adapter: backend.adapter } : {}),
      threads: backend.threads,
    },
    dataset: { name: data.name, hash: data.hash, source: data.source, pretrainCount: pool.count },
    totalSteps,
    stepsPerEpoch,
    startStep,
  });

  const hyper = sgdHyper(setup);
  const batches = new BatchStream(pool, data, setup, plan);
  const evaluator = createEvaluator(setup, data, nets);
  const evaluate = async (step: number, epoch: number): Promise<{ probeAcc: number; knnAcc: number } | null> => {
    const r = await evaluator.evaluate();
    if (!r) return null;
    emit({ type: 'eval', step, epoch, probeAcc: r.probeAcc, knnAcc: r.knnAcc, probeTrainAcc: r.probeTrainAcc });
    return { probeAcc: r.probeAcc, knnAcc: r.knnAcc };
  };
  // Representation statistics on the fixed evaluation images, reused when asked twice at one step.
  let lastStats: { step: number; stats: RepresentationStats } | null = null;
  const statsAt = async (at: number): Promise<RepresentationStats> => {
    if (lastStats?.step !== at) lastStats = { step: at, stats: await evaluator.representationStats() };
    return lastStats.stats;
  };

  // The random-init baseline: every evaluation measured at step 0, before any update, so a result
  // reads against the untrained network of the same setup. A resumed run carries it in its checkpoint.
  let baseline: RunBaseline | null = null;
  if (opts.resumeFrom) {
    const b = opts.resumeFrom.state.baseline;
    if (b && typeof b === 'object') baseline = b as RunBaseline;
  } else {
    const ev0 = await evaluate(0, 0);
    const st0 = await statsAt(0);
    baseline = { probeAcc: ev0?.probeAcc ?? null, knnAcc: ev0?.knnAcc ?? null, collapseStd: st0.collapseStd, effectiveRank: st0.effectiveRank };
  }

  // The summary averages the last 10 steps; a resumed run takes those before its checkpoint from it.
  const window = (k: string) => {
    const v = opts.resumeFrom?.state[k];
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number').slice(-10) : [];
  };
  const recentLoss: number[] = window('recentLoss');
  const recentStd: number[] = window('recentStd');
  const stepRates: number[] = [];
  let lastRank: number | null = null;
  let lastEval: { probeAcc: number; knnAcc: number } | null = null;
  let finalStats: RepresentationStats | null = null;
  let outcome: RunOutcome = 'completed';
  let error: string | undefined;
  let divergedAtStep: number | undefined;
  let avgStepSec: number | null = null;
  let step = startStep;
  // The next step's inputs (views and EMA-target outputs), queued ahead: on a GPU they compute
  // while the CPU updates F̂ and W_p (DirectPred's eigendecomposition) for this step.
  let ahead: StepInputs | null = null;

  try {
    for (; step < totalSteps; step++) {
      if (opts.signal?.aborted) {
        outcome = 'cancelled';
        break;
      }
      const tStep = performance.now();
      const { v1, v2, targets } = ahead ?? stepInputs(nets, batches, step);
      ahead = null;
      const { value, grads, corr: corrT, mean: meanT, std: stdT } = lossAndGrads(nets, setup, v1, v2, targets, trainableAt(nets, step));
      tf.dispose([v1, v2, ...(targets ?? [])]);
      // The optimiser and the EMA need nothing from the CPU: queue them before reading back.
      sgdMomentumUpdate(grads, nets.keyOfVar, nets.online, nets.momenta, hyper);
      tf.dispose(Object.values(grads));
      if (nets.isEma) emaUpdate(nets.target, nets.online, setup.emaMomentum);
      const done = step + 1;
      const spectraNow = done % setup.eval.spectraEvery === 0 || done === totalSteps;
      const wpT = spectraNow ? (nets.pred.wp?.(nets.online) ?? null) : null;
      // The step's one readback: loss, collapse std, mean and E_B[ffᵀ] of f, and W_p when spectra are due.
      const reading = readStep(value, stdT, meanT, corrT, wpT);
      if (done < totalSteps) {
        ahead = stepInputs(nets, batches, done);
        flushGpu();
      }
      const { loss: lossVal, std: stdVal, corr, wp: wpRead } = await reading;

      if (!Number.isFinite(lossVal)) {
        outcome = 'diverged';
        divergedAtStep = step;
        error = `loss became ${lossVal} at step ${step}`;
        break;
      }

      const after = fHatStep(nets, fHat, corr, rho, step, wpRead);
      fHat = after.fHat;

      const epoch = done / stepsPerEpoch;
      const sec = (performance.now() - tStep) / 1000;
      avgStepSec = avgStepSec === null ? sec : 0.8 * avgStepSec + 0.2 * sec;
      const ips = batchSizeAt(plan, pool.count, step) / sec;
      if (step - startStep >= 1) stepRates.push(ips);
      recentLoss.push(lossVal);
      recentStd.push(stdVal);
      if (recentLoss.length > 10) recentLoss.shift();
      if (recentStd.length > 10) recentStd.shift();
      const values: Record<string, number> = { loss: lossVal, collapseStd: stdVal, imagesPerSec: ips, lr: hyper.lr };

      if (spectraNow) {
        const report = spectralReport(nets, after.wp, fHat);
        emit({ type: 'spectra', step: done, epoch, ...report.spectra });
        lastRank = (await statsAt(done)).effectiveRank;
        values.effectiveRank = lastRank;
        if (report.hasWp) values.asymmetry = report.spectra.asymmetry;
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
      if (ev > 0 && done % (ev * stepsPerEpoch) === 0 && done < totalSteps) lastEval = await evaluate(done, epoch);
      if (opts.checkpointEvery && opts.onCheckpoint && done % opts.checkpointEvery === 0 && done < totalSteps) {
        const c = await captureCheckpoint(nets, fHat, done, stepsPerEpoch, hash);
        c.state.recentLoss = [...recentLoss];
        c.state.recentStd = [...recentStd];
        c.state.baseline = baseline;
        await opts.onCheckpoint(c);
      }
      // Let the event loop breathe: IPC messages, abort signals, progress output.
      await new Promise((r) => setImmediate(r));
    }
    if (outcome === 'completed' || outcome === 'cancelled') {
      if (step > startStep || outcome === 'completed') {
        lastEval = await evaluate(step, step / stepsPerEpoch);
        finalStats = await statsAt(step);
      }
    }
  } catch (e) {
    outcome = 'failed';
    error = (e as Error).message;
    if (process.env.DPLAB_DEBUG) console.error(e);
  } finally {
    if (ahead) tf.dispose([ahead.v1, ahead.v2, ...(ahead.targets ?? [])]);
    disposeNetworks(nets);
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
    collapseStd: finalStats?.collapseStd ?? mean(recentStd),
    effectiveRank: finalStats?.effectiveRank ?? lastRank,
    probeAcc: lastEval?.probeAcc ?? null,
    knnAcc: lastEval?.knnAcc ?? null,
    imagesPerSec: sortedRates.length ? sortedRates[Math.floor(sortedRates.length / 2)]! : null,
    wallSec: (performance.now() - t0) / 1000,
    threads: backend.threads,
    baseline,
    evalProtocol: evalProtocolOf(setup.eval),
  };
  if (error) summary.error = error;
  if (divergedAtStep !== undefined) summary.divergedAtStep = divergedAtStep;
  emit({ type: 'finished', outcome, summary });
  return summary;
}
