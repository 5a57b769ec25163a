/**
 * Our side of bench/step.ts and bench/vs-pytorch.ts, one measurement per process (so a thread
 * count is a fresh backend): `node --import tsx bench/_ours.ts step|run --threads N --steps S
 * [--profile [--top K]]`. Prints one JSON line with images/s of each timed step (after a warm-up)
 * and, for step, images per CPU-second of this process (a figure other processes' load disturbs less).
 *   step: the trainer's own step (engine/train/step.ts through engine/reference-step.ts) on the
 *         reference model, B = 64, 32×32×3, linear predictor (platform.md's reference throughput);
 *   run:  the default setup's `dplab run` training loop on the bundled Fashion-MNIST sample
 *         (28×28, B = 128, DirectPred, spectra every step), no evaluation.
 * --profile (step) adds, on stderr, the per-kernel CPU time of one more step: tfjs kernel names
 * with total ms and calls, the top K (default 30), and the step's number of tfjs kernel calls.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend.ts';
import { parseSetup } from '../src-main/common/setup.ts';
import { ReferenceStep } from '../src-main/engine/reference-step.ts';
import { train } from '../src-main/engine/trainer.ts';

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
async function profileStep(ref: ReferenceStep, top: number): Promise<void> {
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

const rates = mode === 'step' ? await stepMode() : mode === 'run' ? await runMode() : null;
if (!rates) {
  console.error('usage: _ours.ts step|run --threads N --steps S [--profile [--top K]]');
  process.exit(2);
}
console.log(JSON.stringify({ engine: 'ours', backend: tf.getBackend(), mode, threads, rates, cpuRates }));
