/**
 * What a training run reports while it runs. The trainer emits these; the CLI prints them, the run
 * manager forwards them from the trainer process to the archive writer and to the renderer.
 * Plain JSON-serialisable objects only (they cross process boundaries).
 */

import type { GpuAdapterInfo } from './backends.ts';
import type { EvalProtocol } from './metrics.ts';

/**
 * Every status a run can have in the archive, in life order (the one list: the archive's schema, the
 * contract, the CLI and the UI all use it).
 */
export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'diverged', 'cancelled', 'interrupted'] as const;
/** A run's status. */
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses of a run that has an owner process (queued in a manager or training). */
export const ACTIVE_STATUSES: ReadonlySet<RunStatus> = new Set(['queued', 'running']);
/** Statuses a run ends in; a run in one of these is not running. */
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set(RUN_STATUSES.filter((s) => s !== 'queued' && s !== 'running'));
/** Statuses a run can be resumed from (its newest checkpoint, or the start); completed and diverged runs are not. */
export const RESUMABLE_STATUSES: ReadonlySet<RunStatus> = new Set(['interrupted', 'cancelled', 'failed']);

/** Final state of a run as its trainer reports it. */
export type RunOutcome = Extract<RunStatus, 'completed' | 'diverged' | 'cancelled' | 'failed'>;

/** Environment a run trained in, recorded with it. */
export interface RunEnvironment {
  backend: string;
  versions: Record<string, string>;
  appVersion: string;
  host: { platform: string; arch: string; cpus: number; node: string };
  /** webgpu runs: the GPU adapter trained on. */
  adapter?: GpuAdapterInfo;
  /** Threads the backend computes on (wasm's pool size; null: native TensorFlow sizes its own). Absent in older records. */
  threads?: number | null;
}

/** Scalar metrics at one step. Keys are metric names from `common/metrics.ts` (loss, imagesPerSec, …). */
export interface ScalarsEvent {
  type: 'scalars';
  step: number;
  epoch: number;
  values: Record<string, number>;
}

/**
 * Spectra at one step: s_j, eigenvalues of F̂ (descending); eigenvalues of W_p's symmetric part
 * (descending); alignment cos(W_p u_j, u_j) per eigenvector u_j of F̂ (same order as s_j);
 * asymmetry ‖W_p − W_pᵀ‖_F / ‖W_p‖_F. Absent predictors give empty W_p arrays.
 */
export interface SpectraEvent {
  type: 'spectra';
  step: number;
  epoch: number;
  fEig: number[];
  wpEig: number[];
  alignment: number[];
  asymmetry: number;
}

/**
 * Linear-probe and kNN accuracy (fractions in [0,1]) on the held-out split. Every run evaluates at
 * step 0 (the random-init baseline) as well as at its evaluation epochs and its end.
 */
export interface EvalEvent {
  type: 'eval';
  step: number;
  epoch: number;
  probeAcc: number;
  knnAcc: number;
  /** Probe accuracy on its own training split (for spotting over-fitting). */
  probeTrainAcc: number;
}

/**
 * The representation picture at one evaluation: the encoder's features of a fixed, class-stratified
 * subset of the evaluation images (at most `PROJECTION_MAX_POINTS`) projected on their two leading
 * principal components (PC1 = x, PC2 = y; signs fixed so each axis's largest loading is positive).
 * Emitted with every evaluation: at random init (step 0), every `eval.everyEpochs` and at the end;
 * and at checkpoints, at most `PROJECTION_CHECKPOINT_MAX` per run (`checkpointPictureDue`).
 */
export interface ProjectionEvent {
  type: 'projection';
  step: number;
  epoch: number;
  /** Coordinates of each point on PC1 and PC2 (same length as `labels`). */
  x: number[];
  y: number[];
  /** Class of each point: an index into `classNames`. */
  labels: number[];
  /** The dataset's class names (index = class). */
  classNames: string[];
  /** Fractions of the features' total variance along PC1 and PC2. */
  explained: [number, number];
  /** Mean squared distance of the features from their centroid (0: every image maps to one point). */
  totalVariance: number;
  /** Total variance over the features' mean squared norm: → 0 when the cloud shrinks to a point away from the origin. */
  relativeVariance: number;
}

/** A representation picture as stored (see ProjectionEvent; measurements null where they were not finite). */
export interface ProjectionRow {
  step: number;
  epoch: number;
  x: number[];
  y: number[];
  labels: number[];
  classNames: string[];
  explained: [number | null, number | null];
  totalVariance: number | null;
  relativeVariance: number | null;
}

/** Most points a projection holds (the subset is drawn once per run, stratified by class). */
export const PROJECTION_MAX_POINTS = 500;

/**
 * Most pictures a run records at checkpoints, besides its evaluations' (each ≤ 500 points, about
 * 6 KB stored): a run checkpointed every 100 steps for 100 000 steps still records no more.
 */
export const PROJECTION_CHECKPOINT_MAX = 8;

/**
 * Whether the checkpoint at step `step` (of `totalSteps`, checkpoints every `every` steps) records a
 * picture: the run is cut into `PROJECTION_CHECKPOINT_MAX + 1` equal spans and the first checkpoint
 * inside each span after the first gets one, so the pictures spread over the run and stay within
 * the cap. It depends on the step alone, so a resumed run records the same pictures as an unbroken one.
 */
export function checkpointPictureDue(step: number, every: number, totalSteps: number): boolean {
  if (!(every > 0) || !(totalSteps > 0) || step <= 0 || step >= totalSteps || step % every !== 0) return false;
  const span = (s: number) => Math.floor((Math.max(0, s) * (PROJECTION_CHECKPOINT_MAX + 1)) / totalSteps);
  return span(step) > span(step - every);
}

export interface ProgressEvent {
  type: 'progress';
  step: number;
  totalSteps: number;
  epoch: number;
  /** Seconds left at the recent rate; null before it is known. */
  etaSec: number | null;
}

export interface StartedEvent {
  type: 'started';
  setupHash: string;
  env: RunEnvironment;
  dataset: { name: string; hash: string; source: string; pretrainCount: number };
  totalSteps: number;
  stepsPerEpoch: number;
  /** Step the run starts from (0, or the checkpoint's step when resuming). */
  startStep: number;
}

/** End of a run with its summary. */
export interface FinishedEvent {
  type: 'finished';
  outcome: RunOutcome;
  summary: RunSummary;
}

/** Any event of a training run. */
export type TrainerEvent = StartedEvent | ScalarsEvent | SpectraEvent | EvalEvent | ProjectionEvent | ProgressEvent | FinishedEvent;

/** The JSON summary `dplab run` prints at the end. */
export interface RunSummary {
  outcome: RunOutcome;
  setupHash: string;
  backend: string;
  steps: number;
  epochs: number;
  /**
   * Mean loss of the last 10 steps on the setup's scale: two 2 − 2cos terms summed, 0–8 (the
   * official code's gradient scale), or averaged, 0–4, for `lossReduction` 'mean' (version-1 setups).
   */
  finalLoss: number | null;
  /**
   * Std of l2-normalised projector outputs per dimension × √d (≈1 healthy, 0 collapsed) on the
   * evaluation images at the end (older records, and a run that ends without a final evaluation:
   * the mean over its last 10 training batches).
   */
  collapseStd: number | null;
  /** exp(entropy of the normalised covariance eigenvalues) of the projector outputs on the evaluation images: 1 (collapsed) … d. */
  effectiveRank: number | null;
  probeAcc: number | null;
  knnAcc: number | null;
  imagesPerSec: number | null;
  wallSec: number;
  /** Threads the backend computed on (as in RunEnvironment). */
  threads?: number | null;
  /** Set when diverged or failed: what happened, with the step. */
  error?: string;
  divergedAtStep?: number;
  /** The same measurements at step 0, before any update (random init). Absent in older records. */
  baseline?: RunBaseline | null;
  /** How the probe and kNN were measured. Absent in older records, which used the defaults. */
  evalProtocol?: EvalProtocol;
}

/**
 * A run's random-init baseline: its evaluation at step 0 (probe and kNN accuracy, null on an
 * unlabelled dataset) and the representation statistics of the untrained network, measured as at the end.
 */
export interface RunBaseline {
  probeAcc: number | null;
  knnAcc: number | null;
  collapseStd: number | null;
  effectiveRank: number | null;
}
