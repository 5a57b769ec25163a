/**
 * Seeds trained as one group against the same seeds trained one after another:
 * `npm run bench -- group [--rounds=R] [--steps=N] [--seeds=2,4] [--threads=T]`. Each round runs,
 * for every S, seeds 0…S−1 of examples/invariance-lab.json (N steps) solo and as one group, each in
 * a fresh process (bench/_group.ts), the order alternating from round to round, and reads the CPU
 * time of the whole runs and of one plain step of every seed. Ratios solo / group are throughput
 * gains (runs per hour per core); the two modes' final losses and accuracies must agree exactly.
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
const steps = Number(arg('steps', '300'));
const threads = Number(arg('threads', '1'));
const sizes = arg('seeds', '2,4').split(',').map(Number);
if (!(rounds >= 1) || !(steps >= 2) || sizes.some((s) => !Number.isInteger(s) || s < 2)) {
  console.error(`group: bad options (rounds ${rounds}, steps ${steps}, seeds ${sizes.join(',')})`);
  process.exit(2);
}

interface Side {
  cpuSec: number;
  stepMs: number;
  results: unknown[];
}

async function side(mode: 'solo' | 'group', S: number): Promise<Side> {
  return (await runChild(process.execPath, ['--import', 'tsx', `${here}_group.ts`, '--mode', mode, '--seeds', String(S), '--steps', String(steps),
    '--threads', String(threads)])) as unknown as Side;
}

console.log(`group: ${machine()}; examples/invariance-lab.json, ${steps} steps, ${threads} thread(s), groups of ${sizes.join(', ')}, ${rounds} round(s)`);
const rows: string[] = [];
const gains = new Map<number, { step: number[]; run: number[] }>(sizes.map((s) => [s, { step: [], run: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const S of sizes) {
    const order: ('solo' | 'group')[] = r % 2 === 0 ? ['solo', 'group'] : ['group', 'solo'];
    const got: Partial<Record<'solo' | 'group', Side>> = {};
    for (const mode of order) got[mode] = await side(mode, S);
    const load = loadavg()[0]!;
    const solo = got.solo!, group = got.group!;
    const same = JSON.stringify(solo.results) === JSON.stringify(group.results);
    if (!same) console.error(`group: S = ${S}, results differ: solo ${JSON.stringify(solo.results)} group ${JSON.stringify(group.results)}`);
    const stepGain = solo.stepMs / group.stepMs;
    const runGain = solo.cpuSec / group.cpuSec;
    gains.get(S)!.step.push(stepGain);
    gains.get(S)!.run.push(runGain);
    console.log(`round ${r + 1}, S = ${S} (order ${order.join(', ')}; load ${load.toFixed(1)}): step of every seed ${solo.stepMs.toFixed(1)} ms solo, ${group.stepMs.toFixed(1)} ms group (${stepGain.toFixed(2)}×); whole runs ${solo.cpuSec.toFixed(1)} s solo, ${group.cpuSec.toFixed(1)} s group (${runGain.toFixed(2)}×); results ${same ? 'identical' : 'DIFFER'}`);
    rows.push(`| ${r + 1} | ${S} | ${(solo.stepMs / S).toFixed(2)} | ${(group.stepMs / S).toFixed(2)} | ${stepGain.toFixed(2)}× | ${solo.cpuSec.toFixed(1)} | ${group.cpuSec.toFixed(1)} | ${runGain.toFixed(2)}× | ${same ? 'identical' : 'differ'} | ${load.toFixed(1)} |`);
  }
}
for (const S of sizes) {
  const g = gains.get(S)!;
  console.log(`S = ${S}: median gain ${median(g.step).toFixed(2)}× on steps, ${median(g.run).toFixed(2)}× on whole runs (runs per hour per core)`);
}
console.log('\nmarkdown:\n');
console.log('| round | S | solo ms/step per seed | group ms/step per seed | steps gain | solo runs CPU s | group CPU s | runs gain | results | load |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
for (const row of rows) console.log(row);
