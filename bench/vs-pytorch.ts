/**
 * Ours against PyTorch, side by side: `npm run bench -- vs-pytorch [--rounds=N] [--steps=S] [--write]`.
 * Our trainer (bench/_ours.ts) and our PyTorch script of the same computation
 * (bench/reference/byol_torch.py, Debian's python3-torch) run alternately, one process per
 * measurement, in pairs; each pair's ratio is ours / PyTorch of the median images/s of the timed
 * steps, so load from other processes on a shared machine falls on both sides of a pair alike.
 * Cases: the reference step (B = 64, 32×32×3) and the default `dplab run` loop (Fashion-MNIST
 * sample, 28×28, B = 128, DirectPred, spectra every step), each at 1 thread and at all cores, and
 * a sweep: one run per core at once (1 thread each), summed images/s.
 * `--only=lab`: the whole lab-scale run (examples/invariance-lab.json, seed 0: evaluation at step 0,
 * 2,000 steps, evaluation at the end), ours (bench/_lab.ts) against bench/reference/lab_torch.py on
 * the same generated images (written once to a temporary folder), one thread each, alternating;
 * each pair's ratio is PyTorch's wall time / ours (whole processes, imports included).
 * --write puts the table into the "## Against PyTorch" section of BENCHMARKS.md
 * (the lab case: "## Against PyTorch: the lab-scale run").
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadShare } from '../src-main/common/backends.ts';
import { machine, median, ours as oursChild, runChild, writeSection, type Measured } from './_measure.ts';

const PYTHON = '/usr/bin/python3';
const here = fileURLToPath(new URL('.', import.meta.url));
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};
const rounds = arg('rounds', 3);
const steps = arg('steps', 6);
const cores = threadShare(availableParallelism(), 1);

const ours = (mode: string, threads: number): Promise<Measured> => oursChild(mode, threads, steps);
const torch = (mode: string, threads: number) => runChild(PYTHON, [`${here}reference/byol_torch.py`, mode, '--threads', String(threads), '--steps', String(steps)]);

/** images/s of `copies` processes at once (summed medians). */
async function measure(side: typeof ours, mode: string, threads: number, copies: number): Promise<number> {
  const all = await Promise.all(Array.from({ length: copies }, () => side(mode, threads)));
  return all.reduce((s, m) => s + median(m.rates), 0);
}

interface Row {
  label: string;
  pairs: { ours: number; torch: number; load: number }[];
}

function torchAvailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  return null;
}

const missing = torchAvailable();
const check = missing ? null : await runChild(PYTHON, ['-c', 'import torch, json; print(json.dumps({"rates": [], "torch": torch.__version__}))']).catch((e: Error) => e);
if (missing || check instanceof Error) {
  console.log(`vs-pytorch: skipped: PyTorch is not installed (${missing ?? 'python3 cannot import torch'}); install Debian's python3-torch (scripts/setup-machine.sh does)`);
  process.exit(0);
}

/** One whole process's wall time and accuracies, as bench/_lab.ts and lab_torch.py print them. */
interface LabMeasured extends Measured {
  wallSec: number;
  /** CPU seconds of the process (all its threads): less disturbed by other processes' load. */
  cpuSec: number;
  probeAcc: number;
  knnAcc: number;
}

/**
 * The lab-scale case: writes the run's generated dataset (seed 0) once, then alternates whole runs
 * of ours and PyTorch's script on it, `rounds` pairs; returns after printing (and writing) the table.
 */
async function labCase(): Promise<void> {
  const { parseSetup } = await import('../src-main/common/setup.ts');
  const { loadDataset } = await import('../src-main/data/index.ts');
  const setupFile = `${here}../examples/invariance-lab.json`;
  const setup = parseSetup({ ...(JSON.parse(readFileSync(setupFile, 'utf8')) as object), seed: 0 });
  const data = await loadDataset(setup.data, { seed: setup.seed });
  const dir = mkdtempSync(join(tmpdir(), 'dplab-lab-'));
  try {
    for (const [name, split] of [['pretrain', data.pretrain], ['train', data.train], ['test', data.test]] as const) {
      writeFileSync(join(dir, `${name}.u8`), split.images);
      writeFileSync(join(dir, `${name}.labels`), new Uint8Array(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength));
    }
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ size: data.height, channels: data.channels, classes: data.classNames.length, probeTrain: setup.eval.probeTrain, probeTest: setup.eval.probeTest }));
    const oursLab = () => runChild(process.execPath, ['--import', 'tsx', `${here}_lab.ts`, '--setup', setupFile, '--seed', '0', '--threads', '1']) as Promise<LabMeasured>;
    const torchLab = () => runChild(PYTHON, [`${here}reference/lab_torch.py`, dir, '--threads', '1']) as Promise<LabMeasured>;
    const pairs: { ours: LabMeasured; torch: LabMeasured; load: number }[] = [];
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0;
      const a = await (first ? oursLab : torchLab)();
      const b = await (first ? torchLab : oursLab)();
      const pair = { ours: first ? a : b, torch: first ? b : a, load: loadavg()[0]! };
      pairs.push(pair);
      console.log(`lab-scale run, 1 thread, round ${r + 1}: ours ${pair.ours.wallSec.toFixed(1)} s  PyTorch ${pair.torch.wallSec.toFixed(1)} s  ratio PyTorch/ours ${(pair.torch.wallSec / pair.ours.wallSec).toFixed(2)}, CPU ${pair.ours.cpuSec.toFixed(1)} / ${pair.torch.cpuSec.toFixed(1)} s: ${(pair.torch.cpuSec / pair.ours.cpuSec).toFixed(2)}  (load ${pair.load.toFixed(1)}; probe ${pair.ours.probeAcc.toFixed(3)} / ${pair.torch.probeAcc.toFixed(3)})`);
    }
    const ratio = median(pairs.map((p) => p.torch.wallSec / p.ours.wallSec));
    const cpuRatio = median(pairs.map((p) => p.torch.cpuSec / p.ours.cpuSec));
    console.log(`median ratio PyTorch / ours: wall ${ratio.toFixed(2)}×, CPU time ${cpuRatio.toFixed(2)}×`);
    if (process.argv.includes('--write')) {
      writeSection('Against PyTorch: the lab-scale run', [
        `- command: \`npm run bench -- vs-pytorch --only=lab --rounds=${rounds} --write\``,
        `- machine: ${machine()}, PyTorch ${(check as { torch?: string }).torch ?? '?'} (Debian python3-torch)`,
        `- date: ${new Date().toISOString().slice(0, 16)}Z; load average (1 min) is given per pair: the machine is shared`,
        '',
        'The whole run of examples/invariance-lab.json (seed 0), one process each, one thread each, alternating:',
        'ours is bench/_lab.ts (the trainer as `dplab run` calls it, no archive), PyTorch is',
        'bench/reference/lab_torch.py on the same generated images. Wall time of the whole process',
        '(imports, data, evaluation at step 0, 2,000 steps, evaluation at the end), and its CPU time',
        '(steadier when other processes load the machine). Ratio = PyTorch / ours.',
        '',
        '| pair | ours wall s / CPU s (probe) | PyTorch wall s / CPU s (probe) | load | PyTorch / ours wall | CPU |',
        '| --- | --- | --- | --- | ---: | ---: |',
        ...pairs.map((p, i) => `| ${i + 1} | ${p.ours.wallSec.toFixed(1)} / ${p.ours.cpuSec.toFixed(1)} (${p.ours.probeAcc.toFixed(3)}) | ${p.torch.wallSec.toFixed(1)} / ${p.torch.cpuSec.toFixed(1)} (${p.torch.probeAcc.toFixed(3)}) | ${p.load.toFixed(1)} | ${(p.torch.wallSec / p.ours.wallSec).toFixed(2)}× | ${(p.torch.cpuSec / p.ours.cpuSec).toFixed(2)}× |`),
        '',
        `Median ratio: wall ${ratio.toFixed(2)}×, CPU time ${cpuRatio.toFixed(2)}×.`,
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases: { label: string; mode: string; threads: number; copies: number }[] = [
  { label: 'step (B=64, 32×32×3), 1 thread', mode: 'step', threads: 1, copies: 1 },
  { label: `step (B=64, 32×32×3), ${cores} threads`, mode: 'step', threads: cores, copies: 1 },
  { label: 'dplab run loop (B=128, 28×28, DirectPred), 1 thread', mode: 'run', threads: 1, copies: 1 },
  { label: `dplab run loop (B=128, 28×28, DirectPred), ${cores} threads`, mode: 'run', threads: cores, copies: 1 },
  { label: `sweep: ${cores} runs at once × 1 thread (summed)`, mode: 'run', threads: 1, copies: cores },
];
const only = process.argv.find((s) => s.startsWith('--only='))?.split('=')[1];
if (only === 'lab') {
  await labCase();
  process.exit(0);
}
const rows: Row[] = [];
const oneThread = new Map<string, number>();
for (const c of cases) {
  if (only && !c.mode.startsWith(only)) continue;
  const row: Row = { label: c.label, pairs: [] };
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so a drift in load does not favour one.
    const first = r % 2 === 0;
    const a = await measure(first ? ours : torch, c.mode, c.threads, c.copies);
    const b = await measure(first ? torch : ours, c.mode, c.threads, c.copies);
    const pair = { ours: first ? a : b, torch: first ? b : a, load: loadavg()[0]! };
    row.pairs.push(pair);
    console.log(`${c.label.padEnd(58)} round ${r + 1}: ours ${pair.ours.toFixed(1).padStart(6)}  PyTorch ${pair.torch.toFixed(1).padStart(6)} images/s  ratio ${(pair.ours / pair.torch).toFixed(2)}  (load ${pair.load.toFixed(1)})`);
  }
  rows.push(row);
}

const ratio = (r: Row) => median(r.pairs.map((p) => p.ours / p.torch));
console.log('\nmedian ratio ours / PyTorch per case:');
for (const r of rows) console.log(`  ${r.label.padEnd(58)} ${ratio(r).toFixed(2)}×`);
for (const mode of ['step', 'dplab run']) {
  const one = rows.find((r) => r.label.startsWith(mode) && r.label.includes(', 1 thread'));
  const all = rows.find((r) => r.label.startsWith(mode) && r.label.includes(`, ${cores} threads`));
  if (one && all && cores > 1) {
    const speedup = median(all.pairs.map((p, i) => p.ours / one.pairs[i]!.ours));
    oneThread.set(mode, speedup);
    console.log(`  ${`${mode}: ours on ${cores} threads / ours on 1 thread`.padEnd(58)} ${speedup.toFixed(2)}×`);
  }
}

if (process.argv.includes('--write')) {
  writeSection('Against PyTorch', [
    `- command: \`npm run bench -- vs-pytorch --rounds=${rounds} --steps=${steps}${only ? ` --only=${only}` : ''}\``,
    `- machine: ${machine()}, PyTorch ${(check as { torch?: string }).torch ?? '?'} (Debian python3-torch)`,
    `- date: ${new Date().toISOString().slice(0, 16)}Z; load average (1 min) is given per pair: the machine is shared`,
    '',
    'Each pair runs ours and PyTorch one after the other (the order alternates), one process each, the',
    'same computation (bench/_ours.ts calls the trainer\'s own step; bench/reference/byol_torch.py), and',
    `compares the median images/s of ${steps} timed steps after a warm-up step. Ratio = ours / PyTorch.`,
    '',
    '| case | pairs: ours / PyTorch images/s (load) | median ratio |',
    '| --- | --- | ---: |',
    ...rows.map((r) => `| ${r.label} | ${r.pairs.map((p) => `${p.ours.toFixed(1)} / ${p.torch.toFixed(1)} (${p.load.toFixed(0)})`).join('; ')} | ${ratio(r).toFixed(2)}× |`),
    '',
    ...[...oneThread].map(([m, s]) => `- ${m}: ours on ${cores} threads / ours on 1 thread (same rounds): ${s.toFixed(2)}×`),
  ]);
}
// Every case when none is picked: the lab-scale run last (it takes minutes a pair).
if (!only) await labCase();
