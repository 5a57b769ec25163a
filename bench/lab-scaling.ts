/**
 * What a lab-scale step costs per image as the batch grows: `npm run bench -- lab-scaling
 * [--rounds=R] [--steps=S] [--batches=32,64,128] [--threads=T]`. Each round trains
 * examples/invariance-lab.json for S steps at every batch size, each in a fresh process
 * (bench/_lab.ts --profile, representation statistics off), in an order rotated from round to
 * round, and reads the CPU ms of its plain steps. Per-image cost ratios against the smallest batch
 * say how much of a step is per-call overhead that a larger batch (or seeds batched into one model)
 * would amortise: 1.0 means none, 0.25 at 4× the images would mean all of it.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { machine, median, runChild } from './_measure.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const arg = (name: string, fallback: string) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
};
const rounds = Number(arg('rounds', '2'));
const steps = Number(arg('steps', '200'));
const threads = Number(arg('threads', '1'));
const batches = arg('batches', '32,64,128').split(',').map(Number);
if (!(rounds >= 1) || !(steps >= 2) || batches.some((b) => !Number.isInteger(b) || b < 1)) {
  console.error(`lab-scaling: bad options (rounds ${rounds}, steps ${steps}, batches ${batches.join(',')})`);
  process.exit(2);
}

interface LabProfile {
  cpuSec: number;
  profile: { plainStepMs: number };
}

/** CPU ms of one plain step at batch size b, in a fresh process. */
async function stepMs(b: number): Promise<number> {
  const r = (await runChild(process.execPath, ['--import', 'tsx', `${here}_lab.ts`, '--batch', String(b), '--steps', String(steps),
    '--threads', String(threads), '--spectra-every', '1000000', '--profile'])) as unknown as LabProfile;
  return r.profile.plainStepMs;
}

console.log(`lab-scaling: ${machine()}; ${steps} steps, ${threads} thread(s), batches ${batches.join(', ')}, ${rounds} round(s)`);
const perImage = new Map<number, number[]>(batches.map((b) => [b, []]));
const rows: string[] = [];
for (let r = 0; r < rounds; r++) {
  const order = batches.map((_, i) => batches[(i + r) % batches.length]!);
  const ms = new Map<number, number>();
  for (const b of order) ms.set(b, await stepMs(b));
  const load = loadavg()[0]!;
  const base = ms.get(batches[0]!)! / batches[0]!;
  for (const b of batches) perImage.get(b)!.push(ms.get(b)! / b);
  const cells = batches.map((b) => `B=${b}: ${ms.get(b)!.toFixed(1)} ms/step, ${(ms.get(b)! / b * 1000).toFixed(0)} µs/image (${(ms.get(b)! / b / base).toFixed(2)}×)`);
  console.log(`round ${r + 1} (order ${order.join(', ')}; load ${load.toFixed(1)}): ${cells.join('; ')}`);
  rows.push(`| ${r + 1} | ${batches.map((b) => ms.get(b)!.toFixed(1)).join(' | ')} | ${batches.slice(1).map((b) => (ms.get(b)! / b / base).toFixed(2) + '×').join(' | ')} | ${load.toFixed(1)} |`);
}
const b0 = median(perImage.get(batches[0]!)!);
console.log(`median per-image cost against B=${batches[0]}: ${batches.slice(1).map((b) => `B=${b} ${(median(perImage.get(b)!) / b0).toFixed(2)}×`).join(', ')}`);
console.log('\nmarkdown:\n');
console.log(`| round | ${batches.map((b) => `B = ${b} ms/step`).join(' | ')} | ${batches.slice(1).map((b) => `per image B = ${b} / ${batches[0]}`).join(' | ')} | load |`);
console.log(`| --- | ${batches.map(() => '---:').join(' | ')} | ${batches.slice(1).map(() => '---:').join(' | ')} | ---: |`);
for (const row of rows) console.log(row);
