/**
 * Claim runs per hour on this whole machine: `npm run bench -- claim-throughput [--rounds=N]
 * [--runs=R] [--steps=S] [--write]`. The lab-scale run (examples/invariance-lab.json, bench/_lab.ts,
 * seeds 0 … R−1) trained R times two ways, alternating per round:
 *   - one at a time on every core's thread (what `dplab reproduce run` did: concurrency 1, the
 *     run manager giving the one run all cores);
 *   - one run per core at once, one thread each (its default now, src-main/runs/reproduce.ts).
 * Runs/hour = R / wall time of the R runs (whole processes: start-up and evaluations included).
 * --write puts the table into the "## Claim runs per hour" section of BENCHMARKS.md.
 */
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { machine, median, runChild, writeSection } from './_measure.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((s) => s.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};
const rounds = arg('rounds', 2);
const cores = availableParallelism();
const runs = arg('runs', cores);
const steps = arg('steps', 2000);

interface Lab {
  wallSec: number;
  probeAcc: number;
  finalLoss: number;
}
const lab = (seed: number, threads: number) =>
  runChild(process.execPath, ['--import', 'tsx', `${here}_lab.ts`, '--seed', String(seed), '--threads', String(threads), '--steps', String(steps)]) as unknown as Promise<Lab>;

/** Wall seconds to train seeds 0 … runs−1 with `together` processes at once of `threads` threads each. */
async function batch(together: number, threads: number): Promise<{ sec: number; results: Lab[] }> {
  const t0 = performance.now();
  const results: Lab[] = [];
  for (let s = 0; s < runs; s += together) {
    const wave = Array.from({ length: Math.min(together, runs - s) }, (_, i) => lab(s + i, threads));
    results.push(...(await Promise.all(wave)));
  }
  return { sec: (performance.now() - t0) / 1000, results };
}

const rows: { one: number; many: number; load: number }[] = [];
for (let r = 0; r < rounds; r++) {
  const first = r % 2 === 0;
  const a = await (first ? batch(1, cores) : batch(cores, 1));
  const b = await (first ? batch(cores, 1) : batch(1, cores));
  const [one, many] = first ? [a, b] : [b, a];
  const row = { one: (3600 * runs) / one.sec, many: (3600 * runs) / many.sec, load: loadavg()[0]! };
  rows.push(row);
  console.log(`round ${r + 1}: one at a time × ${cores} threads ${row.one.toFixed(0)} runs/h, ${cores} at once × 1 thread ${row.many.toFixed(0)} runs/h: ${(row.many / row.one).toFixed(2)}×  (load ${row.load.toFixed(1)})`);
}
const ratio = median(rows.map((x) => x.many / x.one));
console.log(`median: ${ratio.toFixed(2)}× the runs per hour`);
if (process.argv.includes('--write')) {
  writeSection('Claim runs per hour', [
    `- command: \`npm run bench -- claim-throughput --rounds=${rounds} --runs=${runs} --steps=${steps} --write\``,
    `- machine: ${machine()}`,
    `- date: ${new Date().toISOString().slice(0, 16)}Z; load average (1 min) per round: the machine is shared`,
    '',
    `${runs} lab-scale runs (examples/invariance-lab.json, ${steps} steps, seeds 0–${runs - 1}, bench/_lab.ts), one at a time on ${cores}`,
    `threads (\`dplab reproduce run\` before) against ${cores} at once on one thread each (its default now), alternating.`,
    '',
    '| round | one at a time, runs/h | at once, runs/h | load | ratio |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((x, i) => `| ${i + 1} | ${x.one.toFixed(0)} | ${x.many.toFixed(0)} | ${x.load.toFixed(1)} | ${(x.many / x.one).toFixed(2)}× |`),
    '',
    `Median: ${ratio.toFixed(2)}× the runs per hour.`,
  ]);
}
