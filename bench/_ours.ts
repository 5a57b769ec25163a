/**
 * Our side of bench/step.ts and bench/vs-pytorch.ts, one measurement per process (so a thread
 * count is a fresh backend): `node --import tsx bench/_ours.ts step|run --threads N --steps S
 * [--profile [--top K]]`. Prints one JSON line with images/s of each timed step (after a warm-up)
 * and, for step, images per CPU-second of this process (a figure other processes' load disturbs less).
 *   step: the trainer's own step (engine/train/step.ts through engine/reference-step.ts) on the
 *         reference model, B = 64, 32×32×3, linear predictor (platform.md's reference throughput);
 *   run:  the default setup's `dplab run` training loop on the bundled Fashion-MNIST sample
 *         (28×28, B = 128, DirectPred, spectra every step), no evaluation;
 *   lab:  one step of the lab-scale run (examples/invariance-lab.json: ConvNet 8-16, d = 16, B = 32,
 *         28×28): its two augmented views, the trainer's step and the F̂/W_p update, as the loop does.
 * --profile (step, lab) adds, on stderr, the per-kernel CPU time of one more step: tfjs kernel names
 * with total ms and calls, the top K (default 30), and the step's number of tfjs kernel calls.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend.ts';
import { parseSetup } from '../src-main/common/setup.ts';
import { ReferenceStep } from '../src-main/engine/reference-step.ts';
import { train } from '../src-main/engine/trainer.ts';
import { readFileSync } from 'node:fs';
import { loadDataset } from '../src-main/data/index.ts';
import { buildNetworks, disposeNetworks } from '../src-main/engine/train/networks.ts';
import { BatchStream, stepPlan } from '../src-main/engine/train/batches.ts';
import { sgdHyper } from '../src-main/engine/train/sgd.ts';
import { trainStep } from '../src-main/engine/train/step.ts';
import { fHatStep } from '../src-main/engine/train/fhat.ts';
import { fHatRho } from '../src-main/engine/predictors.ts';

const args = process.argv.slice(2);
const mode = args[0];
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const threads = opt('threads', 1);
const steps = opt('steps', 10);
/** step mode: images per CPU-second of this process (all its threads) of each timed step. */
const cpuRates: number[] = [];

/**
 * Per-kernel CPU time of one step, by tfjs's profiler with this process's CPU time instead of wall
 * time (other processes share the cores). Kernels inside a customGrad's forward are counted in
 * their own rows and again in its wrapper's ('forward'/'unnamed scope'), so rows do not add up.
 */
async function profileStep(ref: { step: () => Promise<unknown> }, top: number): Promise<void> {
  const be = tf.backend() as unknown as { time: (f: () => void) => Promise<{ kernelMs: number }> };
  const wallTime = be.time;
  be.time = async (f) => {
    const c0 = process.cpuUsage();
    f();
    const d = process.cpuUsage(c0);
    return { kernelMs: (d.user + d.system) / 1000 };
  };
  const c0 = process.cpuUsage();
  const info = await tf.profile(async () => {
    await ref.step();
  });
  const stepCpu = process.cpuUsage(c0);
  be.time = wallTime;
  const byName = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.n++;
    byName.set(k.name, e);
  }
  const total = (stepCpu.user + stepCpu.system) / 1000;
  console.error(`per-kernel CPU time of one trainer step (${tf.getBackend()}, ${threads} thread(s)): ${info.kernels.length} tfjs kernel calls, ` +
    `step total ${total.toFixed(0)} ms CPU incl. the profiler; top ${top} kernels (share = of the step's total):`);
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.error(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ${String(e.n).padStart(5)} calls`);
  }
}

async function stepMode(): Promise<number[]> {
  await initBackend('wasm', { threads });
  const ref = new ReferenceStep(64);
  const rates: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await ref.step();
    const c = process.cpuUsage(c0);
    if (s > 0) {
      rates.push((ref.batch * 1000) / (performance.now() - t0));
      cpuRates.push((ref.batch * 1e6) / (c.user + c.system));
    }
  }
  if (args.includes('--profile')) await profileStep(ref, opt('top', 30));
  ref.dispose();
  return rates;
}

/** The lab-scale step as the trainer's loop makes it: views, step, F̂ and W_p. */
async function labMode(): Promise<number[]> {
  await initBackend('wasm', { threads });
  const setup = parseSetup({ ...(JSON.parse(readFileSync(new URL('../examples/invariance-lab.json', import.meta.url), 'utf8')) as object), seed: 0 });
  const data = await loadDataset(setup.data, { seed: setup.seed });
  const nets = buildNetworks(setup, { height: data.height, width: data.width, channels: data.channels });
  const plan = stepPlan(setup, data.pretrain.count);
  const batches = new BatchStream(data.pretrain, data, setup, plan);
  const hyper = sgdHyper(setup);
  let fHat: Float64Array | null = null;
  let n = 0;
  const lab = {
    step: async () => {
      const [v1, v2] = batches.views(n);
      const r = await trainStep(nets, setup, hyper, v1, v2, n);
      tf.dispose([v1, v2]);
      fHat = fHatStep(nets, fHat, r.corr, fHatRho(setup), n).fHat;
      n++;
    },
  };
  const rates: number[] = [];
  // Many more steps than the reference's: a lab step is ~20 ms, so one step's time is noisy.
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    await lab.step();
    if (s > 0) rates.push((setup.optim.batchSize * 1000) / (performance.now() - t0));
  }
  if (args.includes('--profile')) await profileStep(lab, opt('top', 30));
  disposeNetworks(nets);
  return rates;
}

async function runMode(): Promise<number[]> {
  const setup = parseSetup({
    optim: { maxSteps: steps + 1, epochs: 1000 },
    eval: { spectraEvery: 1, probeTrain: 0, probeTest: 0 },
  });
  const rates: number[] = [];
  const summary = await train(setup, {
    backend: 'wasm',
    threads,
    onEvent: (e) => {
      if (e.type === 'scalars' && e.step > 1) rates.push(e.values.imagesPerSec!);
    },
  });
  if (summary.outcome !== 'completed') throw new Error(`the run ended ${summary.outcome}: ${summary.error}`);
  return rates;
}

const rates = mode === 'step' ? await stepMode() : mode === 'run' ? await runMode() : mode === 'lab' ? await labMode() : null;
if (!rates) {
  console.error('usage: _ours.ts step|run|lab --threads N --steps S [--profile [--top K]]');
  process.exit(2);
}
console.log(JSON.stringify({ engine: 'ours', backend: tf.getBackend(), mode, threads, rates, cpuRates }));
