/**
 * The lab-scale ConvNet's kernels one by one: `npm run bench -- conv-layers [--batch=32]
 * [--reps=40] [--threads=1] [--without=part,…]`. ConvNet 8-16 on 28×28×1 images (examples/invariance-lab.json):
 * conv1 1→8 at 28×28 and conv2 8→16 at 14×14, 3×3 'same', the 2×2 max-pool between them and the
 * global average pool after conv2.
 * For each conv: forward (Conv2D), filter gradient (Conv2DBackpropFilter) and input gradient
 * (Conv2DBackpropInput), CPU ms per call (median of 5 blocks of --reps calls) and GFLOP/s
 * (2·MACs), on wasm with every training kernel part installed and (--without) block by block in
 * turn without the named parts of kernels/index.ts, so a new kernel is measured against the path
 * it replaced in one process, under the same load and garbage.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src-main/engine/backend.ts';
import { ALL_TRAINING_KERNEL_PARTS, installTrainingKernels, uninstallTrainingKernels, type TrainingKernelPart } from '../src-main/engine/kernels/index.ts';
import { globalAvgPool } from '../src-main/engine/layers.ts';
import { machine, median } from './_measure.ts';

const arg = (name: string, fallback: number) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};
const batch = arg('batch', 32);
const reps = arg('reps', 40);
const threads = arg('threads', 1);
/** Parts whose effect is measured by leaving them out. */
const WITHOUT = (process.argv.find((s) => s.startsWith('--without='))?.slice(10).split(',') ?? []) as TrainingKernelPart[];
for (const p of WITHOUT) {
  if (!ALL_TRAINING_KERNEL_PARTS.includes(p)) {
    console.error(`conv-layers: --without: no part '${p}' (parts: ${ALL_TRAINING_KERNEL_PARTS.join(', ')})`);
    process.exit(2);
  }
}

await initBackend('wasm', { threads });

function rand(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32) * 2 - 1;
  }
  return tf.tensor(v, shape);
}

/** CPU ms per call of `f` (its outputs disposed) over one block of `reps` calls, after a warm-up. */
function cpuMs(f: () => tf.TensorInfo | tf.TensorInfo[]): number {
  const run = () => {
    const out = f();
    for (const t of Array.isArray(out) ? out : [out]) {
      if (t instanceof tf.Tensor) t.dispose();
      else tf.engine().disposeTensor(tf.engine().makeTensorFromTensorInfo(t));
    }
  };
  for (let i = 0; i < 3; i++) run();
  const c0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) run();
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000 / reps;
}

const layers = [
  { name: 'conv1 1→8, 28×28', x: [batch, 28, 28, 1], w: [3, 3, 1, 8] },
  { name: 'conv2 8→16, 14×14', x: [batch, 14, 14, 8], w: [3, 3, 8, 16] },
];

/** Every kernel measured: its row name, FLOP a call (0: not a convolution) and the call. */
const rows: { name: string; flop: number; call: () => tf.TensorInfo | tf.TensorInfo[] }[] = [];
for (const l of layers) {
  const x = rand(l.x, 1);
  const w = rand(l.w, 2);
  const dy = rand([...l.x.slice(0, 3), l.w[3]!], 3);
  const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
  const flop = 2 * l.x[0]! * l.x[1]! * l.x[2]! * l.w[0]! * l.w[1]! * l.w[2]! * l.w[3]!;
  rows.push(
    { name: `${l.name} forward`, flop, call: () => tf.engine().runKernel('Conv2D', { x, filter: w }, attrs) as tf.TensorInfo },
    { name: `${l.name} filter gradient`, flop, call: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: l.w }) as tf.TensorInfo },
    { name: `${l.name} input gradient`, flop, call: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: l.x }) as tf.TensorInfo },
  );
}
{
  const x = rand([batch, 28, 28, 8], 4);
  const y = tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid');
  const dy = rand(y.shape, 5);
  const pool = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
  rows.push(
    { name: 'max-pool 2×2, 28×28×8 forward', flop: 0, call: () => tf.engine().runKernel('MaxPool', { x }, pool) as tf.TensorInfo },
    { name: 'max-pool 2×2, 28×28×8 gradient', flop: 0, call: () => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, pool) as tf.TensorInfo },
  );
  // The global average pool (layers.ts: its kernel where the 'mean' part is installed, else tf.mean).
  const h = rand([batch, 14, 14, 16], 6);
  const r = rand([batch, 16], 7);
  rows.push(
    { name: 'global average pool 14×14×16 forward', flop: 0, call: () => globalAvgPool(h as tf.Tensor4D) },
    { name: 'global average pool 14×14×16 forward + gradient', flop: 0, call: () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(globalAvgPool(a as tf.Tensor4D), r)))(h) },
  );
}

const ROUNDS = 5;
console.log(`conv-layers: ${machine()}; B = ${batch}, ${threads} thread(s), median of ${ROUNDS} blocks of ${reps} calls` +
  `${WITHOUT.length ? `, alternating all parts / without ${WITHOUT.join(', ')} block by block` : ''}; CPU time of this process`);
console.log(`\n| kernel | ms/call | GFLOP/s |${WITHOUT.length ? ' without: ms/call | GFLOP/s | new / former |' : ''}`);
console.log(`| --- | ---: | ---: |${WITHOUT.length ? ' ---: | ---: | ---: |' : ''}`);
const cell = (ms: number, flop: number) => `${ms.toFixed(3)} | ${flop ? (flop / ms / 1e6).toFixed(1) : ''}`;
for (const row of rows) {
  const all: number[] = [];
  const without: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    all.push(cpuMs(row.call));
    if (WITHOUT.length === 0) continue;
    uninstallTrainingKernels('wasm');
    installTrainingKernels('wasm', ALL_TRAINING_KERNEL_PARTS.filter((p) => !WITHOUT.includes(p)));
    without.push(cpuMs(row.call));
    uninstallTrainingKernels('wasm');
    installTrainingKernels('wasm');
  }
  const [a, b] = [median(all), WITHOUT.length ? median(without) : 0];
  console.log(`| ${row.name} | ${cell(a, row.flop)} |${WITHOUT.length ? ` ${cell(b, row.flop)} | ${(a / b).toFixed(2)}× |` : ''}`);
}
