/**
 * Images/s of one BYOL training step of platform.md's reference model at B = 64, 32×32×3, on each
 * available backend. Run: `npm run bench -- step [--steps=N] [--cpu-steps=N] [--profile] [--write]`.
 * --write puts the figures into the "## Training step" section of BENCHMARKS.md.
 *
 * Reference model: 4 conv 3×3 (32-64-128-256) + BN + ReLU, 2×2 max-pool after the first three,
 * global average pool; projector 256→512 (BN, ReLU)→128; linear predictor 128×128; symmetric
 * 2 − 2cos loss (BYOL, Grill et al. 2020); SGD with momentum; EMA target (τ = 0.996).
 * One step = both views through the online network (forward + backward) and the target (forward).
 * Images are random (no augmentation): the step itself is what is measured.
 */
import * as tf from '@tensorflow/tfjs';
import { execSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { initBackend, type BackendInfo } from '../src-main/engine/backend.ts';
import { installTrainingKernels, uninstallTrainingKernels, type TrainingKernelPart } from '../src-main/engine/kernels/index.ts';
import { batchNorm, batchNormRelu, conv2d, dense, globalAvgPool, heNormal, maxPool2 } from '../src-main/engine/layers.ts';

const B = 64;
const SIZE = 32;
const CHANNELS = [32, 64, 128, 256];
const TAU = 0.996;

type Params = Map<string, tf.Variable>;

function arg(name: string, fallback: number): number {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** Online parameters with He-normal weights, BN γ = 1, β = 0. */
function makeParams(seed: number): Params {
  const p: Params = new Map();
  const add = (name: string, t: tf.Tensor) => {
    p.set(name, tf.variable(t, true, `${name}_${seed}_${Math.random()}`));
  };
  let cin = 3;
  CHANNELS.forEach((c, i) => {
    add(`c${i}.w`, heNormal([3, 3, cin, c], 9 * cin, seed + i));
    add(`c${i}.g`, tf.ones([c]));
    add(`c${i}.b`, tf.zeros([c]));
    cin = c;
  });
  add('p1.w', heNormal([256, 512], 256, seed + 10));
  add('p1.g', tf.ones([512]));
  add('p1.b', tf.zeros([512]));
  add('p2.w', heNormal([512, 128], 512, seed + 11));
  add('p2.bias', tf.zeros([128]));
  add('q.w', heNormal([128, 128], 128, seed + 12));
  return p;
}

function bnRelu(x: tf.Tensor, p: Params, name: string, fused: boolean): tf.Tensor {
  const g = p.get(`${name}.g`) as unknown as tf.Tensor1D;
  const b = p.get(`${name}.b`) as unknown as tf.Tensor1D;
  return fused ? batchNormRelu(x, g, b, null).y : tf.relu(batchNorm(x, g, b, null).y);
}

/** Encoder + projector: z = g(f(x)). */
function project(p: Params, x: tf.Tensor4D, fused: boolean): tf.Tensor2D {
  let h: tf.Tensor4D = x;
  for (let i = 0; i < CHANNELS.length; i++) {
    h = bnRelu(conv2d(h, p.get(`c${i}.w`) as unknown as tf.Tensor4D), p, `c${i}`, fused) as tf.Tensor4D;
    if (i < CHANNELS.length - 1) h = maxPool2(h);
  }
  const f = globalAvgPool(h);
  const a = bnRelu(dense(f, p.get('p1.w') as unknown as tf.Tensor2D), p, 'p1', fused) as tf.Tensor2D;
  return dense(a, p.get('p2.w') as unknown as tf.Tensor2D, p.get('p2.bias') as unknown as tf.Tensor1D);
}

/** 2 − 2·cos(p, z) averaged over the batch; z is a constant (stop-gradient). */
function byolLoss(pred: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  const pn = tf.div(pred, tf.norm(pred, 'euclidean', 1, true));
  const zn = tf.div(z, tf.norm(z, 'euclidean', 1, true));
  return tf.sub(2, tf.mul(2, tf.mean(tf.sum(tf.mul(pn, zn), 1)))) as tf.Scalar;
}

class ByolStep {
  readonly online: Params;
  readonly target: Params;
  private readonly opt = tf.train.momentum(0.05, 0.9);
  constructor(private readonly fused: boolean) {
    this.online = makeParams(1);
    this.target = new Map();
    for (const [k, v] of this.online) if (k !== 'q.w') this.target.set(k, tf.variable(v.clone(), false));
  }
  step(v1: tf.Tensor4D, v2: tf.Tensor4D): number {
    const lossValue = tf.tidy(() => {
      const z1t = project(this.target, v1, this.fused);
      const z2t = project(this.target, v2, this.fused);
      const q = this.online.get('q.w') as unknown as tf.Tensor2D;
      const { value, grads } = tf.variableGrads(() => {
        const p1 = dense(project(this.online, v1, this.fused), q);
        const p2 = dense(project(this.online, v2, this.fused), q);
        return tf.add(byolLoss(p1, z2t), byolLoss(p2, z1t)) as tf.Scalar;
      }, [...this.online.values()]);
      this.opt.applyGradients(grads as unknown as Record<string, tf.Variable>);
      for (const [k, t] of this.target) t.assign(tf.add(tf.mul(TAU, t), tf.mul(1 - TAU, this.online.get(k)!)));
      return value;
    });
    const l = lossValue.dataSync()[0];
    lossValue.dispose();
    return l;
  }
  dispose(): void {
    for (const v of [...this.online.values(), ...this.target.values()]) v.dispose();
    this.opt.dispose();
  }
}

interface Result {
  label: string;
  /** Wall-clock throughput. */
  imagesPerSec: number;
  msPerStep: number;
  /** Throughput per second of this process's CPU time (user + system): robust when other processes share the cores. */
  imagesPerCpuSec: number;
  cpuMsPerStep: number;
  steps: number;
  loss: number;
}

function run(label: string, fused: boolean, warmup: number, steps: number): Result {
  const net = new ByolStep(fused);
  const v1 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const v2 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  for (let i = 0; i < warmup; i++) net.step(v1, v2);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let loss = NaN;
  for (let i = 0; i < steps; i++) loss = net.step(v1, v2);
  const ms = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
  net.dispose();
  v1.dispose();
  v2.dispose();
  const r = { label, imagesPerSec: (B * 1000) / ms, msPerStep: ms, imagesPerCpuSec: (B * 1000) / cpuMs, cpuMsPerStep: cpuMs, steps, loss };
  console.log(`${label.padEnd(52)} ${r.imagesPerSec.toFixed(1).padStart(7)} images/s wall ${ms.toFixed(0).padStart(6)} ms/step | ${r.imagesPerCpuSec.toFixed(1).padStart(7)} images/CPU-s ${cpuMs.toFixed(0).padStart(6)} CPU-ms/step  (${steps} steps, loss ${loss.toFixed(4)})`);
  return r;
}

async function profile(fused: boolean): Promise<void> {
  const net = new ByolStep(fused);
  const v1 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const v2 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  net.step(v1, v2);
  const info = await tf.profile(() => {
    net.step(v1, v2);
  });
  const byName = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byName.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    byName.set(k.name, e);
    total += ms;
  }
  console.log(`per-kernel time of one step (${tf.getBackend()}, total ${total.toFixed(0)} ms in ${info.kernels.length} kernel calls):`);
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.n).padStart(5)} calls`);
  }
  if (flag('profile-calls')) {
    const slow = [...info.kernels].sort((a, b) => (b.kernelTimeMs as number) - (a.kernelTimeMs as number)).slice(0, 40);
    for (const k of slow) console.log(`    ${k.name.padEnd(24)} ${(k.kernelTimeMs as number).toFixed(1).padStart(7)} ms  in ${JSON.stringify(k.inputShapes)}`);
  }
  net.dispose();
  v1.dispose();
  v2.dispose();
}

function machine(): string {
  let nproc = String(cpus().length);
  try {
    nproc = execSync('nproc').toString().trim();
  } catch {
    /* keep os.cpus() */
  }
  const model = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return `${model}, nproc ${nproc}, node ${process.versions.node}`;
}

function writeSection(results: Result[], info: BackendInfo[], command: string): void {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const lines = [
    '## Training step',
    '',
    'One BYOL step of the reference model of platform.md (4 conv 3×3 32-64-128-256 + BN + ReLU, max-pool',
    'after the first three, GAP; projector 256→512 (BN, ReLU)→128; linear predictor 128×128; symmetric',
    '2 − 2cos; SGD momentum; EMA target), B = 64, 32×32×3, random images, single thread.',
    '',
    `- command: \`${command}\``,
    `- machine: ${machine()}`,
    `- date: ${new Date().toISOString().slice(0, 16)}Z`,
    `- backends: ${info.map((i) => `${i.kind} (tfjs ${i.versions['tfjs-core']}${i.versions['wasm-simd'] ? `, SIMD ${i.versions['wasm-simd']}, threads ${i.versions['wasm-threads']}` : ''})`).join('; ')}`,
    '',
    `- load average at the end (other processes share the 2 cores): ${loadavg().map((l) => l.toFixed(1)).join(', ')}`,
    '',
    'images/CPU-s divides by this process\'s CPU time (user + system), which stays meaningful when other',
    'processes compete for the cores; images/s is wall-clock.',
    '',
    '| variant | images/s (wall) | ms/step | images/CPU-s | CPU-ms/step | timed steps |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.label} | ${r.imagesPerSec.toFixed(1)} | ${r.msPerStep.toFixed(0)} | ${r.imagesPerCpuSec.toFixed(1)} | ${r.cpuMsPerStep.toFixed(0)} | ${r.steps} |`),
    '',
    'Reference on this machine (platform.md): PyTorch 1.13 CPU, 1 thread: 135-169 images/s.',
    '',
  ];
  const section = lines.join('\n');
  const start = text.indexOf('## Training step');
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 3);
    text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '');
  } else {
    text = text.replace(/\n*$/, '\n\n') + section;
  }
  writeFileSync(file, text);
  console.log(`wrote the "Training step" section of ${file.pathname}`);
}

const steps = arg('steps', 10);
const cpuSteps = arg('cpu-steps', 1);
const results: Result[] = [];
const infos: BackendInfo[] = [];

// Native TensorFlow first if it is installed (it is not on the project's machines).
for (const kind of ['tfjs-node-gpu', 'tfjs-node'] as const) {
  try {
    const info = await initBackend(kind);
    infos.push(info);
    results.push(run(`${kind} (native TensorFlow)`, false, 2, steps));
  } catch (e) {
    console.log(`${kind}: skipped (${(e as Error).message.split('.')[0]})`);
  }
}

const wasm = await initBackend('wasm');
infos.push(wasm);
if (flag('profile')) await profile(true);
results.push(run('wasm, our kernels, fused BN+ReLU', true, 2, steps));
results.push(run('wasm, our kernels, BN then tf.relu', false, 2, steps));
// Stock wasm kernels and tf-ops batch norm, plus only the one kernel wasm cannot train without.
uninstallTrainingKernels('wasm');
installTrainingKernels('wasm', ['conv-filter'] satisfies TrainingKernelPart[]);
if (flag('profile')) await profile(false);
results.push(run('wasm, stock kernels + our Conv2DBackpropFilter only', false, 1, Math.max(2, Math.round(steps / 4))));
uninstallTrainingKernels('wasm');
installTrainingKernels('wasm');

if (cpuSteps > 0) {
  const cpu = await initBackend('cpu');
  infos.push(cpu);
  results.push(run('cpu (pure JS), stock conv gradients', false, 0, cpuSteps));
}

if (flag('write')) {
  const extra = process.argv.slice(2).filter((a) => a.startsWith('--') && a !== '--write');
  writeSection(results, infos, `npm run bench -- step${extra.length ? ' ' + extra.join(' ') : ''}`);
}
