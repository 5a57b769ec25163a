/**
 * Our side of the lab-scale case of bench/vs-pytorch.ts, one whole run per process:
 * `node --import tsx bench/_lab.ts [--setup FILE] [--seed S] [--threads N] [--steps N] [--batch B]
 * [--spectra-every N] [--profile]`.
 * Trains the setup (default examples/invariance-lab.json) as `dplab run` does, without an archive,
 * (--steps: a shorter run; --batch, --spectra-every: that setup field changed) and prints one JSON line: the wall time of the whole process (from its start, imports included)
 * and, with --profile, where it went: start-up (imports, backend, data, networks), the step-0
 * evaluation, training steps (spectra steps with their representation statistics apart), the final
 * evaluation, read from the times the trainer's events arrive.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const { parseSetup } = await import('../src-main/common/setup.ts');
const { train } = await import('../src-main/engine/trainer.ts');
const raw = JSON.parse(readFileSync(opt('setup', 'examples/invariance-lab.json'), 'utf8')) as Record<string, unknown>;
const steps = opt('steps', '');
const batch = opt('batch', '');
const spectraEvery = opt('spectra-every', '');
const setup = parseSetup({
  ...raw,
  seed: Number(opt('seed', '0')),
  optim: { ...(raw.optim as object), ...(steps ? { maxSteps: Number(steps) } : {}), ...(batch ? { batchSize: Number(batch) } : {}) },
  ...(spectraEvery ? { eval: { ...(raw.eval as object), spectraEvery: Number(spectraEvery) } } : {}),
});
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
// CPU time of this process, not wall time: on a shared machine other processes' load falls out.
const marks: { type: string; step?: number; t: number }[] = [];
const tTrain = cpu();
const summary = await train(setup, {
  backend: 'wasm',
  threads: Number(opt('threads', '1')),
  onEvent: (e) => marks.push({ type: e.type, ...('step' in e ? { step: e.step } : {}), t: cpu() }),
});
const tEnd = cpu();
const wEnd = performance.now();
if (summary.outcome !== 'completed') throw new Error(`the run ended ${summary.outcome}: ${summary.error}`);
const at = (f: (m: (typeof marks)[number]) => boolean) => marks.find(f)!.t;
const started = at((m) => m.type === 'started');
const firstScalars = at((m) => m.type === 'scalars');
const scalars = marks.filter((m) => m.type === 'scalars');
const lastScalars = scalars.at(-1)!.t;
const spectraSteps = new Set(marks.filter((m) => m.type === 'spectra').map((m) => m.step));
let spectraMs = 0;
let plainMs = 0;
let nSpectra = 0;
for (let i = 1; i < scalars.length; i++) {
  const dt = scalars[i]!.t - scalars[i - 1]!.t;
  if (spectraSteps.has(scalars[i]!.step)) (spectraMs += dt), nSpectra++;
  else plainMs += dt;
}
const nPlain = scalars.length - 1 - nSpectra;
const sec = (ms: number) => Math.round(ms) / 1000;
const profile = {
  startupCpu: sec(tTrain),
  backendDataNets: sec(started - tTrain),
  eval0: sec(at((m) => m.type === 'eval' && m.step === 0) - started),
  // step 1 includes the step-0 representation statistics and the first step's warm-up.
  firstStep: sec(firstScalars - at((m) => m.type === 'eval' && m.step === 0)),
  plainSteps: sec(plainMs),
  plainStepMs: Math.round((plainMs / nPlain) * 100) / 100,
  spectraSteps: sec(spectraMs),
  spectraStepMs: Math.round((spectraMs / nSpectra) * 100) / 100,
  finalEval: sec(tEnd - lastScalars),
};
console.log(JSON.stringify({ engine: 'ours', wallSec: sec(wEnd), cpuSec: sec(tEnd), trainWallSec: summary.wallSec, probeAcc: summary.probeAcc, knnAcc: summary.knnAcc, finalLoss: summary.finalLoss, baseline: summary.baseline, rates: [], ...(args.includes('--profile') ? { profile } : {}) }));
