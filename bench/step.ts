/**
 * Images/s of the trainer's own training step (engine/train/step.ts on the reference model of
 * engine/reference-step.ts: B = 64, 32×32×3, linear predictor), on wasm at 1 thread and at all
 * the cores a run may use, side by side in one run:
 *   `npm run bench -- step [--rounds=R] [--steps=S] [--baseline=DIR] [--profile] [--top=K] [--write]`
 * Each measurement is a fresh process (bench/_ours.ts), so a thread count is a fresh backend; the
 * thread counts alternate round by round, so load from other processes falls on both alike, and
 * each round prints its own ratio. --baseline=DIR adds the same measurements of another checkout
 * (e.g. `git archive` of an earlier commit with node_modules linked) to each round, with the ratio
 * ours / baseline: a before/after comparison in one run. --profile first prints the per-kernel
 * CPU time of one step at 1 thread (tfjs kernel names, ms, calls, top K; the step's kernel calls).
 * --write puts the figures into the "## Training step" section of BENCHMARKS.md.
 * `--backend B [--batches=64,256] [--json FILE]`: the reference step on backend B in this process
 * at each batch (asynchronous readback); --json appends the figures for bench/gpu.sh.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { threadShare } from '../src-main/common/backends.ts';
import { machine, median, ours, writeSection } from './_measure.ts';

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(`--${name}`);
  if (at > 0 && process.argv[at + 1] && !process.argv[at + 1]!.startsWith('--')) return process.argv[at + 1];
  return process.argv.find((s) => s.startsWith(`--${name}=`))?.slice(name.length + 3);
};
const num = (name: string, fallback: number) => Number(arg(name) ?? fallback);
const flag = (name: string) => process.argv.includes(`--${name}`);

/** `--backend B`: the reference step on one backend, in this process. */
async function benchOneBackend(kind: string): Promise<void> {
  const { initBackend } = await import('../src-main/engine/backend.ts');
  const { measureReferenceStep } = await import('../src-main/engine/reference-step.ts');
  const info = await initBackend(kind as Parameters<typeof initBackend>[0]);
  const rows = [];
  for (const b of (arg('batches') ?? '64,256').split(',').map(Number)) {
    const r = await measureReferenceStep(b, num('budget-ms', 10000));
    console.log(`${info.kind}${info.adapter ? ` on ${info.adapter.vendor} ${info.adapter.architecture} (${info.adapter.description})` : ''}: B = ${b}: ${r.imagesPerSec.toFixed(1)} images/s (median of ${r.steps} steps, ${r.msPerStep.toFixed(0)} ms/step)`);
    rows.push({ backend: info.kind, adapter: info.adapter ?? null, ...r });
  }
  const file = arg('json');
  if (file) {
    const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
    writeFileSync(file, JSON.stringify([...prev, ...rows], null, 2));
  }
}

interface Variant {
  label: string;
  threads: number;
  root?: string;
  /** Median images/s of each round. */
  rates: number[];
  /** Median images per CPU-second of each round (NaN where the checkout does not report them). */
  cpu: number[];
}

async function sideBySide(): Promise<void> {
  const rounds = num('rounds', 3);
  const steps = num('steps', 6);
  const cores = threadShare(availableParallelism(), 1);
  const baseline = arg('baseline') ? resolve(arg('baseline')!) : undefined;
  if (baseline && !existsSync(`${baseline}/bench/_ours.ts`)) throw new Error(`--baseline=${baseline}: no bench/_ours.ts there`);
  if (flag('profile')) await ours('step', 1, 1, ['--profile', '--top', String(num('top', 30))]);

  const threadCounts = cores > 1 ? [1, cores] : [1];
  const variants: Variant[] = threadCounts.map((t) => ({ label: `ours, ${t} thread${t > 1 ? 's' : ''}`, threads: t, rates: [], cpu: [] }));
  if (baseline) variants.push(...threadCounts.map((t) => ({ label: `baseline, ${t} thread${t > 1 ? 's' : ''}`, threads: t, root: baseline, rates: [], cpu: [] })));
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so a drift in load does not favour one variant.
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const got = await ours('step', v.threads, steps, [], v.root);
      v.rates.push(median(got.rates));
      v.cpu.push(got.cpuRates?.length ? median(got.cpuRates) : NaN);
    }
    loads.push(loadavg()[0]!);
    const cells = variants.map((v) => `${v.label} ${v.rates[r]!.toFixed(1).padStart(6)} (${v.cpu[r]!.toFixed(1)}/CPU-s)`);
    const ratios = ratioLines(variants, r).map(([l, x]) => `${l} ${x.toFixed(2)}×`);
    console.log(`round ${r + 1}: ${cells.join('  ')} images/s | ${ratios.join('  ')}  (load ${loads[r]!.toFixed(1)})`);
  }
  const med = (v: Variant) => median(v.rates);
  console.log('\nmedian over rounds:');
  for (const v of variants) console.log(`  ${v.label.padEnd(24)} ${med(v).toFixed(1).padStart(6)} images/s  ${median(v.cpu).toFixed(1).padStart(6)} images/CPU-s`);
  const ratioMedians = ratioLines(variants, 0).map(([l], i) => [l, median(variants[0]!.rates.map((_, r) => ratioLines(variants, r)[i]![1]))] as const);
  for (const [l, x] of ratioMedians) console.log(`  ${l.padEnd(40)} ${x.toFixed(2)}× (median of the rounds' ratios)`);

  if (flag('write')) {
    const extra = process.argv.slice(2).filter((a) => a.startsWith('--') && a !== '--write');
    writeSection('Training step', [
      "The trainer's own step (engine/train/step.ts on the reference model of engine/reference-step.ts:",
      '4 conv 3×3 32-64-128-256 + BN + ReLU, max-pool after the first three, GAP; projector 256→512 (BN,',
      'ReLU)→128; linear predictor 128×128; symmetric 2 − 2cos; SGD momentum; EMA target), B = 64, 32×32×3,',
      `random images, wasm. Each figure is the median images/s of ${steps} timed steps after a warm-up step in a`,
      'fresh process; the variants alternate round by round, and each ratio is taken within a round. Images per',
      "CPU-second divide by the process's CPU time (all its threads), which other processes' load disturbs less.",
      '',
      `- command: \`npm run bench -- step${extra.length ? ' ' + extra.join(' ') : ''}\``,
      `- machine: ${machine()}`,
      `- date: ${new Date().toISOString().slice(0, 16)}Z; load average (1 min) after each round: ${loads.map((l) => l.toFixed(1)).join(', ')}`,
      '',
      `| variant | images/s per round | median | images/CPU-s per round | median |`,
      '| --- | --- | ---: | --- | ---: |',
      ...variants.map((v) => `| ${v.label} | ${v.rates.map((x) => x.toFixed(1)).join('; ')} | ${med(v).toFixed(1)} | ${v.cpu.map((x) => x.toFixed(1)).join('; ')} | ${median(v.cpu).toFixed(1)} |`),
      '',
      ...ratioMedians.map(([l, x]) => `- ${l}: ${x.toFixed(2)}× (median of the rounds' ratios)`),
    ]);
  }
}

/** The ratios of round `r`: all cores / 1 thread (ours), and ours / baseline per thread count. */
function ratioLines(variants: Variant[], r: number): [string, number][] {
  const out: [string, number][] = [];
  const find = (base: boolean, multi: boolean) => variants.find((v) => !!v.root === base && (v.threads > 1) === multi);
  const o1 = find(false, false)!, oN = find(false, true), b1 = find(true, false), bN = find(true, true);
  if (oN) out.push([`ours ${oN.threads} threads / ours 1 thread`, oN.rates[r]! / o1.rates[r]!]);
  if (b1) out.push(['ours / baseline, 1 thread', o1.rates[r]! / b1.rates[r]!]);
  if (b1 && !Number.isNaN(b1.cpu[r]!)) out.push(['ours / baseline, 1 thread, per CPU-second', o1.cpu[r]! / b1.cpu[r]!]);
  if (bN && oN) out.push([`ours / baseline, ${oN.threads} threads`, oN.rates[r]! / bN.rates[r]!]);
  return out;
}

const only = arg('backend');
if (only) {
  await benchOneBackend(only);
  // A GPU backend may keep handles open; the figures are out.
  process.exit(0);
}
await sideBySide();
