/**
 * How long a setup (one run, a sweep's grid, a claim's arms) will take on this machine, told before
 * anything starts. The figure comes from throughput this lab has measured: finished runs in the
 * archive of the same throughput shape (what sets the cost of a step: images, network, predictor,
 * batch) on the same backend give seconds per training step and the run's fixed overhead
 * (data, evaluation); without one, a finished run of another shape on that backend is scaled by
 * the ratio of the two shapes' multiply-adds per step when they are within a factor of 8 (marked
 * rough). Nothing recorded near that size on the backend: no figure, and the caller says so. `estimateWall` is pure (`test/runs/estimate.test.ts`
 * feeds it a fake archive); `estimateFromArchive` reads a real one for the service's estimate.time
 * and `dplab run --estimate`.
 */
import { canonicalJson, migrateSetup, parseSetup, type Setup } from '../common/setup.ts';
import { setupHash } from '../common/hash.ts';
import { datasetShape } from '../data/index.ts';
import type { Archive } from '../archive/archive.ts';

/** What a setup's steps cost and how many it takes, resolved by the caller (dataset shapes live in data/). */
export interface StepShape {
  /** Training steps the run will take (its step plan); null when unknown (an unimported dataset). */
  steps: number | null;
  height: number;
  width: number;
  channels: number;
  /** Steps per epoch of the step plan (when steps are known): when the periodic evaluations fall. */
  stepsPerEpoch?: number;
}

/** A finished run as the estimate reads it: its setup, backend and measured wall time. */
export interface MeasuredRun {
  setup: Setup;
  backend: string;
  /** Steps it trained. */
  steps: number;
  /** Wall time of the whole run (load, training, evaluations), s. */
  wallSec: number;
  /** Median training throughput (images/s of the batch), when recorded. */
  imagesPerSec: number | null;
  shape: StepShape;
  /** Set when this is no run but a probe's measured pace (runs/probe.ts): never counted as a finished run. */
  pace?: PaceMeasure;
}

/** A probe's pace as a measured run of its setup (split() gives back its seconds per step and fixed part). */
export function paceRun(setup: Setup, shape: StepShape, pace: PaceMeasure): MeasuredRun {
  const B = setup.optim.batchSize;
  return { setup, shape, backend: pace.backend, steps: pace.steps, wallSec: pace.fixedSec + pace.perStepSec * pace.steps, imagesPerSec: B / pace.perStepSec, pace };
}

/** Where one setup's figure comes from: finished runs of its shape, scaled from another shape, a short probe run (runs/probe.ts), or nothing. */
export type EstimateBasis = 'recorded' | 'scaled' | 'probe' | 'none';

/**
 * This machine's pace for one probe key (probeKey), measured by a short probe training run
 * (runs/probe.ts): what a run of that shape costs per step and besides.
 */
export interface PaceMeasure {
  /** Seconds per training step (spectra and the loop's own work included). */
  perStepSec: number;
  /** Seconds a run spends besides its steps: process start, data, networks, first-step warm-up, the evaluations at step 0 and the end. */
  fixedSec: number;
  /** Seconds of one evaluation (probe + k-NN): a run pays it again at every `eval.everyEpochs`. */
  evalSec: number;
  /** Steps the probe trained. */
  steps: number;
  /** The backend the probe trained on, and its threads (null: the backend sizes its own pool). */
  backend: string;
  threads: number | null;
}

/** The estimate of a list of runs. */
export interface WallEstimate {
  /** Runs asked about (reused ones included). */
  runs: number;
  /** Runs the archive already holds by setup hash (no time: they are reused). */
  reused: number;
  /** Runs without a figure (nothing measured on this backend, or no step plan). */
  unknown: number;
  /** Runs whose figure is scaled from another shape (rough). */
  scaled: number;
  /** Runs whose figure comes from a probe's measured pace (no finished run of their shape). */
  probed: number;
  /** Seconds of training summed over the runs that have a figure. */
  totalSec: number;
  /** Wall time with `parallel` runs at once: max(longest run, total / parallel); null when no run has a figure. */
  wallSec: number | null;
  /** Runs that train at once: min(queue concurrency, cores), at least 1. */
  parallel: number;
  /** Measured runs the figures rest on. */
  basisRuns: number;
  backend: string;
}

/**
 * The fields that set a training step's cost, as one string: two setups with equal keys take the
 * same time per step on one backend (seed, learning rate, weight decay, epochs do not matter).
 */
export function throughputKey(setup: Setup, shape: Pick<StepShape, 'height' | 'width' | 'channels'>): string {
  const p = setup.predictor as Record<string, unknown>;
  return canonicalJson({
    image: [shape.height, shape.width, shape.channels],
    encoder: setup.encoder,
    projector: [setup.projector.hidden, setup.projector.out],
    // The eigendecomposition (DirectPred) or a hidden layer (mlp) costs per step; how often too.
    predictor: [setup.predictor.kind, p.hidden ?? null, p.freq ?? null],
    method: setup.method,
    batch: setup.optim.batchSize,
  });
}

/**
 * The key a probe's pace is kept under: the throughput key plus what sets a run's fixed part (the
 * dataset to load, the evaluation protocol), so a probe of one setup serves every seed, learning
 * rate and step count of it, never a setup that loads or evaluates differently.
 */
export function probeKey(setup: Setup, shape: Pick<StepShape, 'height' | 'width' | 'channels'>): string {
  return canonicalJson({ throughput: throughputKey(setup, shape), data: setup.data, eval: setup.eval });
}

/** Evaluations a run makes between its step-0 and final ones (every `eval.everyEpochs`, as the trainer's loop). */
export function periodicEvals(setup: Setup, steps: number, stepsPerEpoch: number): number {
  const every = setup.eval.everyEpochs * stepsPerEpoch;
  return every > 0 ? Math.floor((steps - 1) / every) : 0;
}

/**
 * Multiply-adds of one training step, up to a constant factor: the encoder's convolutions over both
 * views of the batch, the projector and the predictor. Only ratios between setups are used.
 */
export function stepCost(setup: Setup, shape: Pick<StepShape, 'height' | 'width' | 'channels'>): number {
  let macs = 0;
  let h = shape.height;
  let w = shape.width;
  let cin = shape.channels;
  let features: number;
  if (setup.encoder.kind === 'resnet18') {
    // Stem, then four stages of two basic blocks (two 3×3 convs each), stride 2 from the second stage.
    macs += h * w * 9 * cin * 64;
    cin = 64;
    for (const [s, c] of [64, 128, 256, 512].entries()) {
      if (s > 0) (h = Math.ceil(h / 2)), (w = Math.ceil(w / 2));
      macs += h * w * 9 * (cin * c + 3 * c * c);
      cin = c;
    }
    features = 512;
  } else {
    const e = setup.encoder;
    e.widths.forEach((c, i) => {
      macs += h * w * 9 * cin * c * (e.residual ? 3 : 1);
      cin = c;
      if (i < e.widths.length - 1 && h >= 2 && w >= 2) (h = Math.floor(h / 2)), (w = Math.floor(w / 2));
    });
    features = cin;
  }
  const d = setup.projector.out;
  macs += features * setup.projector.hidden + setup.projector.hidden * d;
  const p = setup.predictor as Record<string, unknown>;
  if (setup.predictor.kind === 'mlp') macs += 2 * d * Number(p.hidden ?? 512);
  else if (setup.predictor.kind !== 'none') macs += d * d;
  return macs * setup.optim.batchSize * 2;
}

/**
 * Training steps of `setup` on a pre-training pool of `pool` images: the trainer's step plan
 * (engine/train/batches.ts `stepPlan`, which this room may not load: it brings TensorFlow.js; the
 * test holds the two equal).
 */
export function plannedSteps(setup: Setup, pool: number): number {
  const B = setup.optim.batchSize;
  const perEpoch = setup.optim.lastBatch === 'keep' ? Math.ceil(pool / B) : Math.floor(pool / B);
  const planned = Math.max(1, Math.ceil(setup.optim.epochs * perEpoch));
  return setup.optim.maxSteps ? Math.min(setup.optim.maxSteps, planned) : planned;
}

/**
 * The step shape of a setup from its dataset's shape (generated, bundled or imported into
 * `cacheDir`); steps null when the dataset is not known here (not imported yet).
 */
export function setupStepShape(setup: Setup, cacheDir?: string): StepShape | null {
  const ds = datasetShape(setup.data, cacheDir);
  if (!ds) return null;
  const train = ds.buffers.find((b) => b.what.startsWith('train'))?.images;
  const pool = train === undefined ? null : setup.data.trainSize ? Math.min(setup.data.trainSize, train) : train;
  const B = setup.optim.batchSize;
  if (pool === null || pool < B) return { steps: null, height: ds.height, width: ds.width, channels: ds.channels };
  const stepsPerEpoch = setup.optim.lastBatch === 'keep' ? Math.ceil(pool / B) : Math.floor(pool / B);
  return { steps: plannedSteps(setup, pool), height: ds.height, width: ds.width, channels: ds.channels, stepsPerEpoch };
}

/** How far apart (as a factor of multiply-adds per step) a measured run's cost may be from a setup's to be scaled from. */
export const SCALE_RANGE = 8;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Seconds per training step and fixed seconds per run of one measured run. */
function split(r: MeasuredRun): { perStep: number; fixed: number } {
  const total = r.wallSec / r.steps;
  if (r.imagesPerSec !== null && r.imagesPerSec > 0) {
    const perStep = Math.min(total, r.setup.optim.batchSize / r.imagesPerSec);
    return { perStep, fixed: Math.max(0, r.wallSec - perStep * r.steps) };
  }
  return { perStep: total, fixed: 0 };
}

/**
 * Seconds one run of `setup` takes on `backend` from the measured runs, and on what basis: the
 * median over finished runs of the same throughput key (seconds per step × steps + the fixed part);
 * else a probe's pace of the same probe key (its periodic evaluations added); else the median
 * seconds per multiply-add of every run or probe on the backend × this setup's cost (rough).
 */
export function runSeconds(setup: Setup, shape: StepShape, measured: readonly MeasuredRun[], backend: string): { sec: number | null; basis: EstimateBasis; basisRuns: number } {
  if (shape.steps === null || shape.steps <= 0) return { sec: null, basis: 'none', basisRuns: 0 };
  const usable = measured.filter((r) => r.backend === backend && r.steps > 0 && r.wallSec > 0 && Number.isFinite(r.wallSec));
  const key = throughputKey(setup, shape);
  const same = usable.filter((r) => !r.pace && throughputKey(r.setup, r.shape) === key);
  if (same.length) {
    const parts = same.map(split);
    return { sec: median(parts.map((p) => p.perStep)) * shape.steps + median(parts.map((p) => p.fixed)), basis: 'recorded', basisRuns: same.length };
  }
  const pkey = probeKey(setup, shape);
  const pace = usable.find((r) => r.pace && probeKey(r.setup, r.shape) === pkey)?.pace;
  if (pace) {
    const evals = shape.stepsPerEpoch ? periodicEvals(setup, shape.steps, shape.stepsPerEpoch) : 0;
    return { sec: pace.perStepSec * shape.steps + pace.fixedSec + pace.evalSec * evals, basis: 'probe', basisRuns: 1 };
  }
  // Per-step time is not proportional to multiply-adds across sizes (a tiny network is dominated by
  // per-operation overhead: scaling it up to a large one overestimates a hundredfold), so only runs
  // within SCALE_RANGE of this setup's cost are scaled from.
  const cost = stepCost(setup, shape);
  const near = usable.filter((r) => {
    const ratio = cost / stepCost(r.setup, r.shape);
    return ratio <= SCALE_RANGE && ratio >= 1 / SCALE_RANGE;
  });
  if (near.length) {
    const perCost = median(near.map((r) => split(r).perStep / stepCost(r.setup, r.shape)));
    // The fixed part (start-up, data, the evaluations) is taken as measured, not scaled: it follows
    // the evaluation sets more than the network, and leaving it out made a short run read as
    // seconds when it takes tens of them.
    const fixed = median(near.map((r) => split(r).fixed));
    return { sec: perCost * cost * shape.steps + fixed, basis: 'scaled', basisRuns: near.length };
  }
  return { sec: null, basis: 'none', basisRuns: 0 };
}

/**
 * The wall time of `planned` runs on this machine: each run's seconds (runSeconds), reused runs at
 * none, then spread over min(concurrency, cores) runs at once.
 */
export function estimateWall(
  planned: readonly { setup: Setup; shape: StepShape; reused?: boolean }[],
  measured: readonly MeasuredRun[],
  opts: { backend: string; concurrency: number; cores: number },
): WallEstimate {
  const parallel = Math.max(1, Math.min(Math.floor(opts.concurrency), Math.floor(opts.cores)));
  let reused = 0, unknown = 0, scaled = 0, probed = 0, totalSec = 0, longest = 0, basisRuns = 0;
  for (const p of planned) {
    if (p.reused) {
      reused++;
      continue;
    }
    const r = runSeconds(p.setup, p.shape, measured, opts.backend);
    if (r.sec === null) {
      unknown++;
      continue;
    }
    if (r.basis === 'scaled') scaled++;
    if (r.basis === 'probe') probed++;
    basisRuns = Math.max(basisRuns, r.basisRuns);
    totalSec += r.sec;
    longest = Math.max(longest, r.sec);
  }
  const known = planned.length - reused - unknown;
  return {
    runs: planned.length,
    reused,
    unknown,
    scaled,
    probed,
    totalSec,
    wallSec: known > 0 ? Math.max(longest, totalSec / parallel) : reused === planned.length ? 0 : null,
    parallel,
    basisRuns,
    backend: opts.backend,
  };
}

/** Finished runs read per estimate: enough for every shape a lab uses, bounded so an estimate stays cheap. */
const MEASURED_LIMIT = 2000;

/** The estimate with the basis of its figures as one word. */
export type ArchiveEstimate = WallEstimate & { basis: EstimateBasis };

/** One run an estimate plans: its setup, step shape, and whether the archive already holds it. */
export interface PlannedRun {
  setup: Setup;
  shape: StepShape;
  reused: boolean;
}

/** What an estimate reads: the runs asked about and the finished runs measured on this machine. */
export interface EstimateInputs {
  planned: PlannedRun[];
  measured: MeasuredRun[];
}

/**
 * The inputs of an estimate of `setups` from `archive`'s completed runs (the newest MEASURED_LIMIT;
 * no archive: none): each run's step shape from its dataset (generated, bundled or imported into
 * `cacheDir`); with `reuse`, setups whose hash the archive holds completed, queued or running count
 * as reused.
 */
export function archiveInputs(archive: Archive | null, setups: readonly Setup[], opts: { reuse?: boolean; cacheDir?: string }): EstimateInputs {
  // Shapes are resolved once per dataset spec and schedule (an imported dataset's metadata is a file read).
  const shapes = new Map<string, StepShape | null>();
  const shapeOf = (s: Setup) => {
    const key = JSON.stringify([s.data, s.optim.batchSize, s.optim.epochs, s.optim.maxSteps ?? null, s.optim.lastBatch]);
    if (!shapes.has(key)) shapes.set(key, setupStepShape(s, opts.cacheDir));
    return shapes.get(key)!;
  };
  const measured: MeasuredRun[] = [];
  for (const r of archive?.listRuns({ status: 'completed', limit: MEASURED_LIMIT }) ?? []) {
    const sum = r.summary;
    if (!sum || !(sum.steps > 0) || !(sum.wallSec > 0)) continue;
    let setup: Setup;
    try {
      setup = parseSetup(migrateSetup(r.setup), { stored: true });
    } catch {
      continue; // a setup of a newer lab: nothing to measure by here
    }
    const shape = shapeOf(setup);
    if (shape) measured.push({ setup, backend: sum.backend || r.backend || '', steps: sum.steps, wallSec: sum.wallSec, imagesPerSec: sum.imagesPerSec, shape });
  }
  const held = new Set<string>();
  if (opts.reuse && archive) for (const r of archive.listRuns({ status: ['completed', 'queued', 'running'] })) held.add(r.setupHash);
  const planned = setups.map((setup) => ({ setup, shape: shapeOf(setup) ?? { steps: null, height: 0, width: 0, channels: 0 }, reused: held.has(setupHash(setup)) }));
  return { planned, measured };
}

/** The estimate of `inputs` with probes' paces (`paces`, as paceRun makes them) beside the finished runs. */
export function estimateInputs(inputs: EstimateInputs, paces: readonly MeasuredRun[], opts: { backend: string; concurrency: number; cores: number }): ArchiveEstimate {
  const e = estimateWall(inputs.planned, [...inputs.measured, ...paces], opts);
  const basis: EstimateBasis = e.unknown === e.runs - e.reused ? 'none' : e.scaled > 0 ? 'scaled' : e.probed > 0 ? 'probe' : 'recorded';
  return { ...e, basis };
}

/**
 * The planned runs that get no figure from `inputs` and `paces` but could from a probe (their step
 * plan is known), one per probe key, in plan order: what a probe would measure next.
 */
export function unmeasured(inputs: EstimateInputs, paces: readonly MeasuredRun[], backend: string): PlannedRun[] {
  const measured = [...inputs.measured, ...paces];
  const seen = new Set<string>();
  const out: PlannedRun[] = [];
  for (const p of inputs.planned) {
    if (p.reused || p.shape.steps === null || p.shape.steps <= 0) continue;
    const key = probeKey(p.setup, p.shape);
    if (seen.has(key)) continue;
    seen.add(key);
    if (runSeconds(p.setup, p.shape, measured, backend).sec === null) out.push(p);
  }
  return out;
}

/** `setups` estimated from `archive`'s completed runs alone (archiveInputs, estimateInputs). */
export function estimateFromArchive(archive: Archive, setups: readonly Setup[], opts: { backend: string; concurrency: number; cores: number; reuse?: boolean; cacheDir?: string }): ArchiveEstimate {
  return estimateInputs(archiveInputs(archive, setups, opts), [], opts);
}
