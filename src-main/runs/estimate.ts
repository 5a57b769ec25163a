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
}

/** Where one setup's figure comes from. */
export type EstimateBasis = 'recorded' | 'scaled' | 'none';

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
  return { steps: pool === null || pool < setup.optim.batchSize ? null : plannedSteps(setup, pool), height: ds.height, width: ds.width, channels: ds.channels };
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
 * median over runs of the same throughput key (seconds per step × steps + the fixed part), else the
 * median seconds per multiply-add of every run on the backend × this setup's cost (rough).
 */
export function runSeconds(setup: Setup, shape: StepShape, measured: readonly MeasuredRun[], backend: string): { sec: number | null; basis: EstimateBasis; basisRuns: number } {
  if (shape.steps === null || shape.steps <= 0) return { sec: null, basis: 'none', basisRuns: 0 };
  const usable = measured.filter((r) => r.backend === backend && r.steps > 0 && r.wallSec > 0 && Number.isFinite(r.wallSec));
  const key = throughputKey(setup, shape);
  const same = usable.filter((r) => throughputKey(r.setup, r.shape) === key);
  if (same.length) {
    const parts = same.map(split);
    return { sec: median(parts.map((p) => p.perStep)) * shape.steps + median(parts.map((p) => p.fixed)), basis: 'recorded', basisRuns: same.length };
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
  let reused = 0, unknown = 0, scaled = 0, totalSec = 0, longest = 0, basisRuns = 0;
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

/**
 * `setups` estimated from `archive`'s completed runs (the newest MEASURED_LIMIT): each run's step
 * shape from its dataset (generated, bundled or imported into `cacheDir`); with `reuse`, setups
 * whose hash the archive holds completed, queued or running count as reused.
 */
export function estimateFromArchive(archive: Archive, setups: readonly Setup[], opts: { backend: string; concurrency: number; cores: number; reuse?: boolean; cacheDir?: string }): ArchiveEstimate {
  // Shapes are resolved once per dataset spec and schedule (an imported dataset's metadata is a file read).
  const shapes = new Map<string, StepShape | null>();
  const shapeOf = (s: Setup) => {
    const key = JSON.stringify([s.data, s.optim.batchSize, s.optim.epochs, s.optim.maxSteps ?? null, s.optim.lastBatch]);
    if (!shapes.has(key)) shapes.set(key, setupStepShape(s, opts.cacheDir));
    return shapes.get(key)!;
  };
  const measured: MeasuredRun[] = [];
  for (const r of archive.listRuns({ status: 'completed', limit: MEASURED_LIMIT })) {
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
  if (opts.reuse) for (const r of archive.listRuns({ status: ['completed', 'queued', 'running'] })) held.add(r.setupHash);
  const planned = setups.map((setup) => ({ setup, shape: shapeOf(setup) ?? { steps: null, height: 0, width: 0, channels: 0 }, reused: held.has(setupHash(setup)) }));
  const e = estimateWall(planned, measured, opts);
  return { ...e, basis: e.unknown === e.runs - e.reused ? 'none' : e.scaled > 0 ? 'scaled' : 'recorded' };
}
