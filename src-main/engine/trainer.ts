/**
 * The training loop: BYOL / SimSiam with any registered predictor, on the best available tfjs
 * backend. Reports everything through events (common/events.ts) and can stop, checkpoint and
 * resume exactly: all randomness is derived per step from the root seed, so a checkpoint plus the
 * setup reproduces the rest of the run. This file only orders the pieces of `train/` (data
 * pipeline, networks, objective, SGD, EMA, F̂/W_p, evaluation, checkpoint state); a new predictor
 * or backend changes one of them.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus, platform, arch } from 'node:os';
import type { Setup } from '../common/setup.ts';
import { checkpointPictureDue, type RunBaseline, type RunOutcome, type RunSummary, type TrainerEvent } from '../common/events.ts';
import { fHatRho } from './predictors.ts';
import { APP_VERSION } from '../common/version.ts';
import { setupHash, setupHashes } from '../common/hash.ts';
import { initBackend, type BackendPreference } from './backend.ts';
import { loadDataset } from '../data/index.ts';
import type { Dataset } from '../data/types.ts';
import type { Checkpoint } from './checkpoint.ts';
import { BatchStream, batchSizeAt, imageShape, stepPlan, type StepPlan } from './train/batches.ts';
import { buildNetworks, disposeNetworks, trainableAt, type Networks } from './train/networks.ts';
import { lossAndGrads, targetOutputs } from './train/objective.ts';
import { sgdHyper, sgdMomentumUpdate, type SgdHyper } from './train/sgd.ts';
import { emaUpdate } from './train/ema.ts';
import { readStep, type StepReading } from './train/step.ts';
import { fHatStep } from './train/fhat.ts';
import { createEvaluator, spectralReport, type Evaluator, type RepresentationStats } from './train/evaluate.ts';
import { evalProtocolOf } from '../common/metrics.ts';
import { captureCheckpoint, restoreCheckpoint, TrainingError } from './train/state.ts';
import { groupable, groupLossAndGrads, groupTargetOutputs, groupViews, readGroupStep, type Group, type GroupInputs } from './train/group.ts';
import { trainingKernelsActive } from './kernels/index.ts';

export type { Checkpoint } from './checkpoint.ts';
export { TrainingError } from './train/state.ts';
export { encodeCheckpoint, decodeCheckpoint } from './checkpoint.ts';
export { groupable } from './train/group.ts';

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

function stepInputs(nets: Networks, batches: BatchStream, step: number): StepInputs {
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

/** What a run holds fixed while it trains: its setup, data, networks and the means to report. */
interface RunContext {
  setup: Setup;
  opts: TrainOptions;
  emit: (e: TrainerEvent) => void;
  hash: string;
  nets: Networks;
  plan: StepPlan;
  poolCount: number;
  hyper: SgdHyper;
  batches: BatchStream;
  /** F̂'s moving-average rate ρ (Eq. 19). */
  rho: number;
  /** Probe and k-NN now (emitted as a 'projection' and an 'eval' event); null on an unlabelled dataset. */
  evaluate: (step: number, epoch: number) => Promise<Accuracies | null>;
  /** The representation picture alone now (a 'projection' event; nothing on an unlabelled dataset). */
  picture: (step: number, epoch: number) => Promise<void>;
  /** Representation statistics at a step, computed once per step however often asked. */
  statsAt: (step: number) => Promise<RepresentationStats>;
}

type Accuracies = { probeAcc: number; knnAcc: number };

/**
 * Everything the loop changes as it goes, and all the summary is made from. A resumed run starts
 * from its checkpoint's step, F̂, baseline and last losses, so its summary matches an unbroken run.
 */
class LoopState {
  /** Steps done so far (the step being trained, inside the loop). */
  step: number;
  /** Last 10 losses and collapse stds: the summary averages them. */
  readonly recentLoss: number[];
  readonly recentStd: number[];
  /** Images/s of each step after the first of this process (the summary takes the median). */
  readonly stepRates: number[] = [];
  /** Exponential average of the seconds per step, for the ETA. */
  avgStepSec: number | null = null;
  lastRank: number | null = null;
  lastEval: Accuracies | null = null;
  finalStats: RepresentationStats | null = null;
  outcome: RunOutcome = 'completed';
  error: string | undefined;
  divergedAtStep: number | undefined;
  /** The next step's inputs, queued ahead: on a GPU they compute while the CPU updates F̂ and W_p. */
  ahead: StepInputs | null = null;

  constructor(
    readonly startStep: number,
    public fHat: Float64Array | null,
    public baseline: RunBaseline | null,
    resumed: Checkpoint['state'] | undefined,
  ) {
    this.step = startStep;
    const window = (k: string) => {
      const v = resumed?.[k];
      return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number').slice(-10) : [];
    };
    this.recentLoss = window('recentLoss');
    this.recentStd = window('recentStd');
  }

  /** Books one finished step's loss, collapse std and timing. */
  record(loss: number, std: number, sec: number, imagesPerSec: number): void {
    this.avgStepSec = this.avgStepSec === null ? sec : 0.8 * this.avgStepSec + 0.2 * sec;
    if (this.step - this.startStep >= 1) this.stepRates.push(imagesPerSec);
    this.recentLoss.push(loss);
    this.recentStd.push(std);
    if (this.recentLoss.length > 10) this.recentLoss.shift();
    if (this.recentStd.length > 10) this.recentStd.shift();
  }
}

/** The 'started' event: where the run trains (backend, versions, host), on what, and from which step. */
function startedEvent(hash: string, backend: Awaited<ReturnType<typeof initBackend>>, data: Dataset, plan: StepPlan, startStep: number): TrainerEvent {
  return {
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
    dataset: { name: data.name, hash: data.hash, source: data.source, pretrainCount: data.pretrain.count },
    totalSteps: plan.totalSteps,
    stepsPerEpoch: plan.stepsPerEpoch,
    startStep,
  };
}

/** The run's evaluations: each emitted as it is made; representation statistics reused when asked twice at one step. */
function evaluations(evaluator: Evaluator, emit: (e: TrainerEvent) => void): Pick<RunContext, 'evaluate' | 'picture' | 'statsAt'> {
  let lastStats: { step: number; stats: RepresentationStats } | null = null;
  return {
    evaluate: async (step, epoch) => {
      const r = await evaluator.evaluate();
      if (!r) return null;
      // The picture first: a reader that sees the evaluation finds its picture already recorded.
      emit({ type: 'projection', step, epoch, ...r.projection });
      emit({ type: 'eval', step, epoch, probeAcc: r.probeAcc, knnAcc: r.knnAcc, probeTrainAcc: r.probeTrainAcc });
      return { probeAcc: r.probeAcc, knnAcc: r.knnAcc };
    },
    picture: async (step, epoch) => {
      const p = await evaluator.picture();
      if (p) emit({ type: 'projection', step, epoch, ...p });
    },
    statsAt: async (at) => {
      if (lastStats?.step !== at) lastStats = { step: at, stats: await evaluator.representationStats() };
      return lastStats.stats;
    },
  };
}

/**
 * The random-init baseline: every evaluation measured at step 0, before any update, so a result
 * reads against the untrained network of the same setup. A resumed run carries it in its checkpoint.
 */
async function baselineOf(ctx: RunContext, resumeFrom: Checkpoint | undefined): Promise<RunBaseline | null> {
  if (resumeFrom) {
    const b = resumeFrom.state.baseline;
    return b && typeof b === 'object' ? (b as RunBaseline) : null;
  }
  const ev0 = await ctx.evaluate(0, 0);
  const st0 = await ctx.statsAt(0);
  return { probeAcc: ev0?.probeAcc ?? null, knnAcc: ev0?.knnAcc ?? null, collapseStd: st0.collapseStd, effectiveRank: st0.effectiveRank };
}

/**
 * Trains step `s.step` and reports it (scalars, progress, spectra, evaluations and checkpoints when
 * due). Returns false when the loss diverged (the state then says so) and the loop must stop.
 */
async function trainStep(ctx: RunContext, s: LoopState): Promise<boolean> {
  const { setup, nets, plan } = ctx;
  const { totalSteps } = plan;
  const step = s.step;
  const tStep = performance.now();
  const { v1, v2, targets } = s.ahead ?? stepInputs(nets, ctx.batches, step);
  s.ahead = null;
  const { value, grads, corr: corrT, mean: meanT, std: stdT } = lossAndGrads(nets, setup, v1, v2, targets, trainableAt(nets, step));
  tf.dispose([v1, v2, ...(targets ?? [])]);
  // The optimiser and the EMA need nothing from the CPU: queue them before reading back.
  sgdMomentumUpdate(grads, nets.keyOfVar, nets.online, nets.momenta, ctx.hyper);
  tf.dispose(Object.values(grads));
  if (nets.isEma) emaUpdate(nets.target, nets.online, setup.emaMomentum);
  const done = step + 1;
  const spectraNow = done % setup.eval.spectraEvery === 0 || done === totalSteps;
  const wpT = spectraNow ? (nets.pred.wp?.(nets.online) ?? null) : null;
  // The step's one readback: loss, collapse std, mean and E_B[ffᵀ] of f, and W_p when spectra are due.
  const reading = readStep(value, stdT, meanT, corrT, wpT);
  if (done < totalSteps) {
    s.ahead = stepInputs(nets, ctx.batches, done);
    flushGpu();
  }
  return finishStep(ctx, s, await reading, tStep);
}

/**
 * The CPU half of step `s.step` once its reading is back: F̂ and W_p, the step's events, and the
 * evaluation and checkpoint when due. `tStep`: when the step began. Returns false when the loss
 * diverged (the state then says so).
 */
async function finishStep(ctx: RunContext, s: LoopState, reading: StepReading, tStep: number): Promise<boolean> {
  const { setup, opts, emit, nets, plan } = ctx;
  const { totalSteps, stepsPerEpoch } = plan;
  const step = s.step;
  const done = step + 1;
  const spectraNow = done % setup.eval.spectraEvery === 0 || done === totalSteps;
  const { loss, std, corr, wp: wpRead } = reading;
  if (!Number.isFinite(loss)) {
    s.outcome = 'diverged';
    s.divergedAtStep = step;
    s.error = `loss became ${loss} at step ${step}`;
    return false;
  }
  const after = fHatStep(nets, s.fHat, corr, ctx.rho, step, wpRead);
  s.fHat = after.fHat;

  const epoch = done / stepsPerEpoch;
  const sec = (performance.now() - tStep) / 1000;
  const ips = batchSizeAt(plan, ctx.poolCount, step) / sec;
  s.record(loss, std, sec, ips);
  const values: Record<string, number> = { loss, collapseStd: std, imagesPerSec: ips, lr: ctx.hyper.lr };
  if (spectraNow) {
    const report = spectralReport(nets, after.wp, after.fHat);
    emit({ type: 'spectra', step: done, epoch, ...report.spectra });
    s.lastRank = (await ctx.statsAt(done)).effectiveRank;
    values.effectiveRank = s.lastRank;
    if (report.hasWp) values.asymmetry = report.spectra.asymmetry;
  }
  emit({ type: 'scalars', step: done, epoch, values });
  emit({ type: 'progress', step: done, totalSteps, epoch, etaSec: s.avgStepSec === null ? null : s.avgStepSec * (totalSteps - done) });

  const ev = setup.eval.everyEpochs;
  const evalNow = ev > 0 && done % (ev * stepsPerEpoch) === 0 && done < totalSteps;
  if (evalNow) s.lastEval = await ctx.evaluate(done, epoch);
  if (opts.checkpointEvery && opts.onCheckpoint && done % opts.checkpointEvery === 0 && done < totalSteps) {
    // A few checkpoints also record the representation picture (an evaluation's step has one already).
    if (!evalNow && checkpointPictureDue(done, opts.checkpointEvery, totalSteps)) await ctx.picture(done, epoch);
    const c = await captureCheckpoint(nets, s.fHat, done, stepsPerEpoch, ctx.hash);
    c.state.recentLoss = [...s.recentLoss];
    c.state.recentStd = [...s.recentStd];
    c.state.baseline = s.baseline;
    await opts.onCheckpoint(c);
  }
  return true;
}

/** The fixed context of a run on `data` with built (and, when resuming, restored) networks. */
function runContext(setup: Setup, data: Dataset, nets: Networks, plan: StepPlan, opts: TrainOptions, emit: (e: TrainerEvent) => void, hash: string): RunContext {
  const batches = new BatchStream(data.pretrain, data, setup, plan);
  const evals = evaluations(createEvaluator(setup, data, nets), emit);
  return { setup, opts, emit, hash, nets, plan, poolCount: data.pretrain.count, hyper: sgdHyper(setup), batches, rho: fHatRho(setup), ...evals };
}

/** A finished run, or one cancelled after at least one step, is evaluated where it stopped. */
async function finalEvaluation(ctx: RunContext, s: LoopState): Promise<void> {
  if ((s.outcome === 'completed' || s.outcome === 'cancelled') && (s.step > s.startStep || s.outcome === 'completed')) {
    s.lastEval = await ctx.evaluate(s.step, s.step / ctx.plan.stepsPerEpoch);
    s.finalStats = await ctx.statsAt(s.step);
  }
}

/** The run's summary from its final state. */
function summarise(ctx: RunContext, s: LoopState, backendKind: RunSummary['backend'], threads: RunSummary['threads'], wallSec: number): RunSummary {
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null);
  const sortedRates = s.stepRates.slice().sort((a, b) => a - b);
  const summary: RunSummary = {
    outcome: s.outcome,
    setupHash: ctx.hash,
    backend: backendKind,
    steps: s.step,
    epochs: s.step / ctx.plan.stepsPerEpoch,
    finalLoss: mean(s.recentLoss),
    collapseStd: s.finalStats?.collapseStd ?? mean(s.recentStd),
    effectiveRank: s.finalStats?.effectiveRank ?? s.lastRank,
    probeAcc: s.lastEval?.probeAcc ?? null,
    knnAcc: s.lastEval?.knnAcc ?? null,
    imagesPerSec: sortedRates.length ? sortedRates[Math.floor(sortedRates.length / 2)]! : null,
    wallSec,
    threads,
    baseline: s.baseline,
    evalProtocol: evalProtocolOf(ctx.setup.eval),
  };
  if (s.error) summary.error = s.error;
  if (s.divergedAtStep !== undefined) summary.divergedAtStep = s.divergedAtStep;
  return summary;
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

  // Networks: online = backbone + predictor; target = EMA copy of the backbone (BYOL) or the online one.
  const nets = buildNetworks(setup, { height: data.height, width: data.width, channels: data.channels });
  const restored = opts.resumeFrom ? restoreCheckpoint(nets, opts.resumeFrom) : { fHat: null, step: 0 };

  emit(startedEvent(hash, backend, data, plan, restored.step));
  const ctx = runContext(setup, data, nets, plan, opts, emit, hash);
  const s = new LoopState(restored.step, restored.fHat, await baselineOf(ctx, opts.resumeFrom), opts.resumeFrom?.state);

  try {
    for (; s.step < plan.totalSteps; s.step++) {
      if (opts.signal?.aborted) {
        s.outcome = 'cancelled';
        break;
      }
      if (!(await trainStep(ctx, s))) break;
      // Let the event loop breathe: IPC messages, abort signals, progress output.
      await new Promise((r) => setImmediate(r));
    }
    await finalEvaluation(ctx, s);
  } catch (e) {
    s.outcome = 'failed';
    s.error = (e as Error).message;
    if (process.env.DPLAB_DEBUG) console.error(e);
  } finally {
    if (s.ahead) tf.dispose([s.ahead.v1, s.ahead.v2, ...(s.ahead.targets ?? [])]);
    disposeNetworks(nets);
  }

  const summary = summarise(ctx, s, backend.kind, backend.threads, (performance.now() - t0) / 1000);
  emit({ type: 'finished', outcome: s.outcome, summary });
  return summary;
}

/** How to train a group of seeds (trainGroup): TrainOptions per member where they differ. */
export interface GroupOptions {
  /** wasm or 'auto' (which must resolve to wasm): groups use wasm's grouped batch-norm kernel. */
  backend?: BackendPreference;
  threads?: number;
  /** Each member's events, as its solo run would emit them (`member`: its index in the setups). */
  onEvent?: (member: number, e: TrainerEvent) => void;
  /** Aborting cancels every member after the current step. */
  signal?: AbortSignal;
  checkpointEvery?: number;
  /** Receives each member's checkpoints (each resumes as a solo run of that member would). */
  onCheckpoint?: (member: number, c: Checkpoint) => void | Promise<void>;
  /** Already loaded datasets, one per member (each solo run loads its data with its own seed). */
  datasets?: Dataset[];
}

/**
 * Trains setups that differ only in their seed (and name) as one batched model (train/group.ts),
 * sharing the kernel calls the members' layers allow; resolves with each member's summary. (At lab
 * scale on a CPU this is no faster than the runs one after another: BENCHMARKS.md.)
 * Every member's events, checkpoints and summary are those of its solo `train` run, bit for bit,
 * but for timings (a member's images/s is its batch over the group's step time). Throws a
 * TrainingError naming the reason when the setups cannot train as a group (see `groupable`).
 */
export async function trainGroup(setups: Setup[], opts: GroupOptions = {}): Promise<RunSummary[]> {
  const t0 = performance.now();
  const why = groupable(setups);
  if (why) throw new TrainingError(`cannot train as a group: ${why}`);
  if (opts.datasets && opts.datasets.length !== setups.length) throw new TrainingError(`trainGroup: ${opts.datasets.length} datasets for ${setups.length} setups`);
  const backend = await initBackend(opts.backend ?? 'auto', { threads: opts.threads });
  const onWasm = groupable(setups, backend.kind);
  if (onWasm || !trainingKernelsActive(tf.getBackend())) throw new TrainingError(`cannot train as a group: ${onWasm ?? 'the wasm training kernels are off'}`);
  const S = setups.length;
  const datas: Dataset[] = [];
  for (let m = 0; m < S; m++) datas.push(opts.datasets?.[m] ?? (await loadDataset(setups[m]!.data, { seed: setups[m]!.seed })));
  const d0 = datas[0]!;
  const B = setups[0]!.optim.batchSize;
  for (const [m, data] of datas.entries()) {
    if (data.pretrain.count < B) throw new TrainingError(`batch size ${B} is larger than the ${data.pretrain.count} pre-training images of '${data.name}'`);
    if (data.pretrain.count !== d0.pretrain.count || data.height !== d0.height || data.width !== d0.width || data.channels !== d0.channels) {
      throw new TrainingError(`cannot train as a group: member ${m}'s data (${data.pretrain.count} images of ${data.height}×${data.width}×${data.channels}) differs from member 0's`);
    }
  }
  const plan = stepPlan(setups[0]!, d0.pretrain.count);
  const members: { ctx: RunContext; s: LoopState; active: boolean }[] = [];
  let ahead: GroupInputs | null = null;
  try {
    for (let m = 0; m < S; m++) {
      const setup = setups[m]!;
      const data = datas[m]!;
      const emit = (e: TrainerEvent) => opts.onEvent?.(m, e);
      const hash = setupHash(setup);
      const nets = buildNetworks(setup, { height: data.height, width: data.width, channels: data.channels });
      emit(startedEvent(hash, backend, data, plan, 0));
      const memberOpts: TrainOptions = {
        ...(opts.checkpointEvery ? { checkpointEvery: opts.checkpointEvery } : {}),
        ...(opts.onCheckpoint ? { onCheckpoint: (c: Checkpoint) => opts.onCheckpoint!(m, c) } : {}),
      };
      members.push({ ctx: runContext(setup, data, nets, plan, memberOpts, emit, hash), s: new LoopState(0, null, null, undefined), active: true });
    }
    for (const mb of members) mb.s.baseline = await baselineOf(mb.ctx, undefined);
    const g: Group = { setup: setups[0]!, members: members.map((mb) => mb.ctx.nets) };
    const streams = members.map((mb) => mb.ctx.batches);
    const shape = imageShape(d0).shape;
    const inputsAt = (step: number): GroupInputs => {
      const [v1, v2] = groupViews(g, streams, step, shape);
      return { v1, v2, targets: groupTargetOutputs(g, v1, v2) };
    };
    for (let step = 0; step < plan.totalSteps; step++) {
      if (opts.signal?.aborted) {
        for (const mb of members) if (mb.active) mb.s.outcome = 'cancelled';
        break;
      }
      const tStep = performance.now();
      const { v1, v2, targets } = ahead ?? inputsAt(step);
      ahead = null;
      const trainable = g.members.flatMap((n) => trainableAt(n, step));
      const { value, grads, corr, mean, std } = groupLossAndGrads(g, v1, v2, targets, trainable);
      tf.dispose([v1, v2, ...(targets ?? [])]);
      for (const [m, mb] of members.entries()) {
        const nets = mb.ctx.nets;
        if (mb.active) sgdMomentumUpdate(grads[m]!, nets.keyOfVar, nets.online, nets.momenta, mb.ctx.hyper);
        tf.dispose(Object.values(grads[m]!));
        if (mb.active && nets.isEma) emaUpdate(nets.target, nets.online, mb.ctx.setup.emaMomentum);
      }
      const done = step + 1;
      const spectraNow = done % g.setup.eval.spectraEvery === 0 || done === plan.totalSteps;
      const wps = members.map((mb) => (spectraNow ? (mb.ctx.nets.pred.wp?.(mb.ctx.nets.online) ?? null) : null));
      const reading = readGroupStep(value, std, mean, corr, wps);
      if (done < plan.totalSteps) ahead = inputsAt(done);
      const readings = await reading;
      for (const [m, mb] of members.entries()) {
        if (!mb.active) continue;
        if (await finishStep(mb.ctx, mb.s, readings[m]!, tStep)) mb.s.step++;
        else mb.active = false;
      }
      if (!members.some((mb) => mb.active)) break;
      await new Promise((r) => setImmediate(r));
    }
    for (const mb of members) await finalEvaluation(mb.ctx, mb.s);
  } catch (e) {
    for (const mb of members) {
      if (mb.s.outcome === 'diverged') continue;
      mb.s.outcome = 'failed';
      mb.s.error = (e as Error).message;
    }
    if (process.env.DPLAB_DEBUG) console.error(e);
    if (members.length < S) throw e;
  } finally {
    if (ahead) tf.dispose([ahead.v1, ahead.v2, ...(ahead.targets ?? [])]);
    for (const mb of members) disposeNetworks(mb.ctx.nets);
  }
  const wallSec = (performance.now() - t0) / 1000;
  return members.map((mb) => {
    const summary = summarise(mb.ctx, mb.s, backend.kind, backend.threads, wallSec);
    mb.ctx.emit({ type: 'finished', outcome: mb.s.outcome, summary });
    return summary;
  });
}
