/**
 * One training-kernel part against its absence on the lab-scale step, in one process:
 * `npm run bench -- kernel-part [--part=identity] [--rounds=4] [--steps=150]`.
 * Each round trains fresh networks of examples/invariance-lab.json (seed 0, wasm, one thread) for
 * `steps` steps twice, with every part installed and without `part`, in an order that alternates
 * from round to round; it reports the median wall and CPU milliseconds of a step on each side, their
 * ratio within the round, the tfjs kernel calls of one step, and whether the two sides' losses were
 * bit for bit the same (a part must not change results).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { initBackend } from '../src-main/engine/backend.ts';
import { parseSetup } from '../src-main/common/setup.ts';
import { loadDataset } from '../src-main/data/index.ts';
import { ALL_TRAINING_KERNEL_PARTS, installTrainingKernels, uninstallTrainingKernels, type TrainingKernelPart } from '../src-main/engine/kernels/index.ts';
import { buildNetworks, disposeNetworks } from '../src-main/engine/train/networks.ts';
import { BatchStream, stepPlan } from '../src-main/engine/train/batches.ts';
import { sgdHyper } from '../src-main/engine/train/sgd.ts';
import { trainStep } from '../src-main/engine/train/step.ts';
import { machine, median } from './_measure.ts';

const arg = (name: string, fallback: string) => process.argv.find((s) => s.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const part = arg('part', 'identity') as TrainingKernelPart;
if (!ALL_TRAINING_KERNEL_PARTS.includes(part)) {
  console.error(`kernel-part: no part '${part}' (parts: ${ALL_TRAINING_KERNEL_PARTS.join(', ')})`);
  process.exit(2);
}
const rounds = Number(arg('rounds', '4'));
const steps = Number(arg('steps', '150'));

await initBackend('wasm', { threads: 1 });
const setup = parseSetup({ ...(JSON.parse(readFileSync(new URL('../examples/invariance-lab.json', import.meta.url), 'utf8')) as object), seed: 0 });
const data = await loadDataset(setup.data, { seed: setup.seed });

function install(withPart: boolean): void {
  uninstallTrainingKernels('wasm');
  installTrainingKernels('wasm', ALL_TRAINING_KERNEL_PARTS.filter((p) => withPart || p !== part));
}

/** `steps` steps of fresh networks: median wall and CPU ms of a step (the first left out), losses, kernel calls of one more step. */
async function side(withPart: boolean) {
  install(withPart);
  const nets = buildNetworks(setup, { height: data.height, width: data.width, channels: data.channels });
  const batches = new BatchStream(data.pretrain, data, setup, stepPlan(setup, data.pretrain.count));
  const hyper = sgdHyper(setup);
  const wall: number[] = [];
  const cpu: number[] = [];
  const losses: number[] = [];
  for (let n = 0; n < steps; n++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const [v1, v2] = batches.views(n);
    const r = await trainStep(nets, setup, hyper, v1, v2, n);
    tf.dispose([v1, v2]);
    const c = process.cpuUsage(c0);
    if (n > 0) (wall.push(performance.now() - t0), cpu.push((c.user + c.system) / 1000));
    losses.push(r.loss);
  }
  const info = await tf.profile(async () => {
    const [v1, v2] = batches.views(steps);
    await trainStep(nets, setup, hyper, v1, v2, steps);
    tf.dispose([v1, v2]);
  });
  disposeNetworks(nets);
  return { wallMs: median(wall), cpuMs: median(cpu), losses, calls: info.kernels.length };
}

console.log(`kernel-part '${part}': lab-scale step (examples/invariance-lab.json, seed 0, B = 32), wasm, 1 thread, ${steps} steps a side; ${machine()}`);
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [true, false] : [false, true];
  const got = new Map<boolean, Awaited<ReturnType<typeof side>>>();
  for (const w of order) got.set(w, await side(w));
  const on = got.get(true)!;
  const off = got.get(false)!;
  const same = on.losses.every((x, i) => Object.is(x, off.losses[i]));
  ratios.push(on.cpuMs / off.cpuMs);
  console.log(
    `round ${r + 1}: with ${on.wallMs.toFixed(2)} ms wall / ${on.cpuMs.toFixed(2)} ms CPU, ${on.calls} calls; without ${off.wallMs.toFixed(2)} / ${off.cpuMs.toFixed(2)} ms, ${off.calls} calls; ` +
      `CPU ratio with/without ${(on.cpuMs / off.cpuMs).toFixed(3)}, wall ${(on.wallMs / off.wallMs).toFixed(3)}; losses ${same ? 'bit for bit the same' : 'DIFFER'} (load ${loadavg()[0]!.toFixed(1)})`,
  );
}
install(true);
console.log(`median CPU ratio with/without: ${median(ratios).toFixed(3)}`);
