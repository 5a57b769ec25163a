/**
 * Our side of bench/step.ts and bench/vs-pytorch.ts, one measurement per process (so a thread
 * count is a fresh backend): `node --import tsx bench/_ours.ts step|run --threads N --steps S
 * [--profile]`. Prints one JSON line with images/s of each timed step (the first is a warm-up).
 *   step: the trainer's own step (engine/train/step.ts) on the reference model, B = 64, 32×32×3,
 *         linear predictor (the setup of platform.md's reference throughput);
 *   run:  the default setup's `dplab run` training loop on the bundled Fashion-MNIST sample
 *         (28×28, B = 128, DirectPred, spectra every step), no evaluation.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend.ts';
import { parseSetup } from '../src-main/spec/setup.ts';
import { buildNetworks, disposeNetworks } from '../src-main/engine/train/networks.ts';
import { sgdHyper } from '../src-main/engine/train/sgd.ts';
import { trainStep } from '../src-main/engine/train/step.ts';
import { train } from '../src-main/engine/trainer.ts';

const args = process.argv.slice(2);
const mode = args[0];
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const threads = opt('threads', 1);
const steps = opt('steps', 10);

/** The reference model of platform.md with the trainer's defaults otherwise (SGD, EMA τ, loss). */
export const STEP_SETUP = parseSetup({
  predictor: { kind: 'linear' },
  data: { dataset: 'synthetic', synthetic: { size: 32, channels: 3, classes: 10, train: 128, test: 16 } },
  optim: { batchSize: 64 },
});

/** Per-kernel CPU time of one trainer step (tfjs's profiler with CPU instead of wall time). */
async function profileStep(nets: ReturnType<typeof buildNetworks>, v1: tf.Tensor4D, v2: tf.Tensor4D): Promise<void> {
  const hyper = sgdHyper(STEP_SETUP);
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
    await trainStep(nets, STEP_SETUP, hyper, v1, v2, 1);
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
  console.error(`per-kernel CPU time of one trainer step (${tf.getBackend()}, ${threads} thread(s); step total ${total.toFixed(0)} ms CPU incl. the profiler; ` +
    `'forward'/'unnamed scope' are customGrad wrappers that include their inner kernels; ${info.kernels.length} kernel calls):`);
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30)) {
    console.error(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.n).padStart(5)} calls`);
  }
}

async function stepMode(): Promise<number[]> {
  await initBackend('wasm', { threads });
  const nets = buildNetworks(STEP_SETUP, { height: 32, width: 32, channels: 3 });
  const hyper = sgdHyper(STEP_SETUP);
  const v1 = tf.randomUniform([64, 32, 32, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const v2 = tf.randomUniform([64, 32, 32, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  const rates: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    await trainStep(nets, STEP_SETUP, hyper, v1, v2, s);
    if (s > 0) rates.push((64 * 1000) / (performance.now() - t0));
  }
  if (args.includes('--profile')) await profileStep(nets, v1, v2);
  disposeNetworks(nets);
  tf.dispose([v1, v2]);
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
  console.error('usage: _ours.ts step|run --threads N --steps S [--profile]');
  process.exit(2);
}
console.log(JSON.stringify({ engine: 'ours', backend: tf.getBackend(), mode, threads, rates }));
