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

function bnRelu(x: tf.Tensor, p: Params, name: string, fused: boolean, groups: number): tf.Tensor {
  const g = p.get(`${name}.g`) as unknown as tf.Tensor1D;
  const b = p.get(`${name}.b`) as unknown as tf.Tensor1D;
  return fused ? batchNormRelu(x, g, b, null, 1e-5, groups).y : tf.relu(batchNorm(x, g, b, null, 1e-5, groups).y);
}

/** Encoder + projector: z = g(f(x)); `groups` consecutive parts of the batch get their own BN statistics. */
function project(p: Params, x: tf.Tensor4D, fused: boolean, groups = 1): tf.Tensor2D {
  let h: tf.Tensor4D = x;
  for (let i = 0; i < CHANNELS.length; i++) {
    h = bnRelu(conv2d(h, p.get(`c${i}.w`) as unknown as tf.Tensor4D), p, `c${i}`, fused, groups) as tf.Tensor4D;
    if (i < CHANNELS.length - 1) h = maxPool2(h);
  }
  const f = globalAvgPool(h);
  const a = bnRelu(dense(f, p.get('p1.w') as unknown as tf.Tensor2D), p, 'p1', fused, groups) as tf.Tensor2D;
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
  /**
   * fused: BN+ReLU through batchNormRelu. batched: both views in one batch of 2B with per-view BN
   * (groups = 2), which is the same computation in half the kernel calls.
   */
  constructor(private readonly fused: boolean, private readonly batched = false) {
    this.online = makeParams(1);
    this.target = new Map();
    for (const [k, v] of this.online) if (k !== 'q.w') this.target.set(k, tf.variable(v.clone(), false));
  }
  /** SGD step on the online weights, then the EMA target update; returns the loss tensor. */
  private update(value: tf.Scalar, grads: tf.NamedTensorMap): tf.Scalar {
    this.opt.applyGradients(grads as unknown as Record<string, tf.Variable>);
    for (const [k, t] of this.target) t.assign(tf.add(tf.mul(TAU, t), tf.mul(1 - TAU, this.online.get(k)!)));
    return value;
  }
  private read(lossValue: tf.Scalar): number {
    const l = lossValue.dataSync()[0]!;
    lossValue.dispose();
    return l;
  }
  step(v1: tf.Tensor4D, v2: tf.Tensor4D): number {
    if (this.batched) return this.stepBatched(v1, v2);
    const lossValue = tf.tidy(() => {
      const z1t = project(this.target, v1, this.fused);
      const z2t = project(this.target, v2, this.fused);
      const q = this.online.get('q.w') as unknown as tf.Tensor2D;
      const { value, grads } = tf.variableGrads(() => {
        const p1 = dense(project(this.online, v1, this.fused), q);
        const p2 = dense(project(this.online, v2, this.fused), q);
        return tf.add(byolLoss(p1, z2t), byolLoss(p2, z1t)) as tf.Scalar;
      }, [...this.online.values()]);
      return this.update(value, grads);
    });
    return this.read(lossValue);
  }
  private stepBatched(v1: tf.Tensor4D, v2: tf.Tensor4D): number {
    const lossValue = tf.tidy(() => {
      const both = tf.concat([v1, v2]);
      const zt = project(this.target, both, this.fused, 2);
      // Pair each view's prediction with the other view's target: swap the halves.
      const ztSwapped = tf.concat([zt.slice([B, 0], [B, -1]), zt.slice([0, 0], [B, -1])]) as tf.Tensor2D;
      const q = this.online.get('q.w') as unknown as tf.Tensor2D;
      const { value, grads } = tf.variableGrads(() => {
        const p = dense(project(this.online, both, this.fused, 2), q);
        // Mean over 2B of (2 − 2cos), times 2 = the sum of the two per-view losses.
        return tf.mul(2, byolLoss(p, ztSwapped)) as tf.Scalar;
      }, [...this.online.values()]);
      return this.update(value, grads);
    });
    return this.read(lossValue);
  }
  dispose(): void {
    for (const v of [...this.online.values(), ...this.target.values()]) v.dispose();
    this.opt.dispose();
  }
}

interface Result {
  label: string;
  steps: number;
  /** Wall-clock ms of the fastest step and the median step. */
  bestMs: number;
  medianMs: number;
  /** This process's CPU ms (user + system) of the fastest and median step. */
  bestCpuMs: number;
  medianCpuMs: number;
  loss: number;
}

interface Variant {
  label: string;
  fused: boolean;
  batched: boolean;
  /** Kernel parts installed while this variant steps (null: all of ours). */
  parts: TrainingKernelPart[] | null;
  /** Take a step only every `every`-th round (slow variants). */
  every: number;
  net?: ByolStep;
  wall: number[];
  cpu: number[];
  loss: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timedStep(v: Variant, v1: tf.Tensor4D, v2: tf.Tensor4D): void {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  v.loss = v.net!.step(v1, v2);
  const c = process.cpuUsage(c0);
  v.wall.push(performance.now() - t0);
  v.cpu.push((c.user + c.system) / 1000);
}

function setKernels(parts: TrainingKernelPart[] | null): void {
  uninstallTrainingKernels('wasm');
  installTrainingKernels('wasm', parts ?? undefined);
}

function summarize(v: Variant): Result {
  const r = {
    label: v.label, steps: v.wall.length, loss: v.loss,
    bestMs: Math.min(...v.wall), medianMs: median(v.wall), bestCpuMs: Math.min(...v.cpu), medianCpuMs: median(v.cpu),
  };
  const ips = (ms: number) => ((B * 1000) / ms).toFixed(1).padStart(6);
  console.log(`${r.label.padEnd(66)} wall best ${ips(r.bestMs)} median ${ips(r.medianMs)} images/s | CPU best ${ips(r.bestCpuMs)} median ${ips(r.medianCpuMs)} images/CPU-s  (${r.steps} steps)`);
  return r;
}

/**
 * Steps the variants in interleaved rounds (one step each per round, after warm-up), so load
 * from other processes on the shared cores spreads over all of them alike; the best step is the
 * estimate least disturbed by that load.
 */
function runInterleaved(variants: Variant[], rounds: number, v1: tf.Tensor4D, v2: tf.Tensor4D): Result[] {
  for (const v of variants) {
    setKernels(v.parts);
    v.net = new ByolStep(v.fused, v.batched);
    v.net.step(v1, v2);
    v.net.step(v1, v2);
  }
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      if (r % v.every !== 0) continue;
      setKernels(v.parts);
      timedStep(v, v1, v2);
    }
  }
  setKernels(null);
  return variants.map((v) => {
    v.net!.dispose();
    return summarize(v);
  });
}

function runSimple(label: string, steps: number): Result {
  const net = new ByolStep(false, false);
  const v1 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const v2 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  const v: Variant = { label, fused: false, batched: false, parts: null, every: 1, net, wall: [], cpu: [], loss: NaN };
  for (let i = 0; i < steps; i++) timedStep(v, v1, v2);
  net.dispose();
  v1.dispose();
  v2.dispose();
  return summarize(v);
}

async function profile(fused: boolean, batched = false): Promise<void> {
  const net = new ByolStep(fused, batched);
  const v1 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const v2 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  net.step(v1, v2);
  // Time kernels by this process's CPU time, not wall time (other processes share the cores).
  const be = tf.backend() as unknown as { time: (f: () => void) => Promise<{ kernelMs: number }> };
  const wallTime = be.time;
  be.time = async (f) => {
    const c0 = process.cpuUsage();
    f();
    const d = process.cpuUsage(c0);
    return { kernelMs: (d.user + d.system) / 1000 };
  };
  const info = await tf.profile(() => {
    net.step(v1, v2);
  });
  be.time = wallTime;
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
  console.log(`per-kernel CPU time of one step (${tf.getBackend()}; 'forward'/'unnamed scope' are customGrad wrappers that include their inner kernels; total ${total.toFixed(0)} ms in ${info.kernels.length} kernel calls):`);
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
  const ips = (ms: number) => ((B * 1000) / ms).toFixed(1);
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
    `- load average at the end (other processes share the 2 cores): ${loadavg().map((l) => l.toFixed(1)).join(', ')}`,
    '',
    'Variants step in interleaved rounds (one step each per round) so that load from other processes',
    'falls on all alike; "best" is the fastest step, the estimate least disturbed by that load.',
    'CPU columns divide by this process\'s CPU time (user + system) instead of wall time.',
    '',
    '| variant | steps | images/s best | images/s median | images/CPU-s best | images/CPU-s median |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.label} | ${r.steps} | ${ips(r.bestMs)} | ${ips(r.medianMs)} | ${ips(r.bestCpuMs)} | ${ips(r.medianCpuMs)} |`),
    '',
    'Reference on this machine (platform.md): PyTorch 1.13 CPU, 1 thread: 135-169 images/s.',
    '',
    "Notes: our kernels (src-main/engine/kernels) replace wasm's Conv2DBackpropFilter (missing), Conv2DBackpropInput,",
    'transposed BatchMatMul and MaxPoolGrad; batch norm uses a customGrad over wasm ops (layers.ts). A CPU-time profile',
    '(`--profile`) puts ~75% of the step in XNNPACK convolutions and matmuls (forward conv ~26 GFLOP/s, filter gradient',
    '~21); the rest is batch norm, max-pool gradient, optimizer/EMA updates and tfjs bookkeeping. "views batched" runs both',
    'views as one batch of 128 with per-view BN (batchNorm groups = 2): the same computation in half the kernel calls,',
    "not faster here. The stock row keeps tf-ops batch norm and wasm's own kernels apart from the filter gradient.",
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

/**
 * `--backend B` (e.g. webgpu): only that backend, the reference step at each of `--batches`
 * (default 64,256) with asynchronous readback (engine/reference-step.ts); `--json FILE` appends
 * the figures for bench/gpu.sh.
 */
async function benchOneBackend(kind: string): Promise<void> {
  const { measureReferenceStep } = await import('../src-main/engine/reference-step.ts');
  const info = await initBackend(kind as Parameters<typeof initBackend>[0]);
  const batches = (process.argv.find((a) => a.startsWith('--batches='))?.split('=')[1] ?? '64,256').split(',').map(Number);
  const rows = [];
  for (const b of batches) {
    const r = await measureReferenceStep(b, arg('budget-ms', 10000));
    console.log(`${info.kind}${info.adapter ? ` on ${info.adapter.vendor} ${info.adapter.architecture} (${info.adapter.description})` : ''}: B = ${b}: ${r.imagesPerSec.toFixed(1)} images/s (median of ${r.steps} steps, ${r.msPerStep.toFixed(0)} ms/step)`);
    rows.push({ backend: info.kind, adapter: info.adapter ?? null, ...r });
  }
  const jsonAt = process.argv.indexOf('--json');
  if (jsonAt > 0 && process.argv[jsonAt + 1]) {
    const file = process.argv[jsonAt + 1]!;
    const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
    writeFileSync(file, JSON.stringify([...prev, ...rows], null, 2));
  }
}

const onlyAt = process.argv.indexOf('--backend');
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : process.argv.find((a) => a.startsWith('--backend='))?.split('=')[1];
if (only) {
  await benchOneBackend(only);
  process.exit(0);
}

const rounds = arg('rounds', 8);
const cpuSteps = arg('cpu-steps', 1);
const results: Result[] = [];
const infos: BackendInfo[] = [];

// Native TensorFlow first if it is installed (it is not on the project's machines).
for (const kind of ['tfjs-node-gpu', 'tfjs-node'] as const) {
  try {
    const info = await initBackend(kind);
    infos.push(info);
    results.push(runSimple(`${kind} (native TensorFlow)`, rounds));
  } catch (e) {
    console.log(`${kind}: skipped (${(e as Error).message.split('.')[0]})`);
  }
}

const wasm = await initBackend('wasm');
infos.push(wasm);
if (flag('profile')) {
  await profile(true, true);
  await profile(false, true);
}
{
  const v1 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const v2 = tf.randomUniform([B, SIZE, SIZE, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
  const mk = (label: string, fused: boolean, batched: boolean, parts: TrainingKernelPart[] | null, every = 1): Variant =>
    ({ label, fused, batched, parts, every, wall: [], cpu: [], loss: NaN });
  const variants = [
    mk('wasm, our kernels, views batched (per-view BN), BN then tf.relu', false, true, null),
    mk('wasm, our kernels, views batched (per-view BN), fused BN+ReLU', true, true, null),
    mk('wasm, our kernels, views separate, BN then tf.relu', false, false, null),
    mk('wasm, our kernels, views separate, fused BN+ReLU', true, false, null),
    // Stock wasm kernels and tf-ops batch norm, plus only the one kernel wasm cannot train without.
    mk('wasm, stock kernels + our Conv2DBackpropFilter only, views separate', false, false, ['conv-filter'], 4),
  ];
  results.push(...runInterleaved(variants, rounds, v1, v2));
  v1.dispose();
  v2.dispose();
}

if (cpuSteps > 0) {
  const cpu = await initBackend('cpu');
  infos.push(cpu);
  results.push(runSimple('cpu (pure JS), stock conv gradients', cpuSteps));
}

if (flag('write')) {
  const extra = process.argv.slice(2).filter((a) => a.startsWith('--') && a !== '--write');
  writeSection(results, infos, `npm run bench -- step${extra.length ? ' ' + extra.join(' ') : ''}`);
}
