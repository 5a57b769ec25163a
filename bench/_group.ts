/**
 * One side of bench/group.ts, in a fresh process: `node --import tsx bench/_group.ts --mode
 * solo|group --seeds S [--steps N] [--threads T] [--setup FILE]`. Trains seeds 0…S−1 of the setup
 * (default examples/invariance-lab.json, --steps: a shorter run), either one solo `train` after
 * another (solo) or as one `trainGroup` (group), and prints one JSON line: the process's CPU
 * seconds for the whole runs (data, networks, both evaluations, training), the CPU ms of one plain
 * training step (spectra steps apart; solo: the S runs' step costs added up, i.e. one step of every
 * seed), and each seed's final loss and accuracies (the two modes must agree on them exactly).
 */
import { readFileSync } from 'node:fs';
import type { TrainerEvent } from '../src-main/common/events.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const mode = opt('mode', 'group');
const S = Number(opt('seeds', '2'));
const steps = opt('steps', '');
const threads = Number(opt('threads', '1'));
if (!['solo', 'group'].includes(mode) || !(S >= 2)) throw new Error(`_group: bad options (mode ${mode}, seeds ${S})`);
const { parseSetup } = await import('../src-main/common/setup.ts');
const { train, trainGroup } = await import('../src-main/engine/trainer.ts');
const raw = JSON.parse(readFileSync(opt('setup', 'examples/invariance-lab.json'), 'utf8')) as Record<string, unknown>;
const setups = Array.from({ length: S }, (_, seed) => parseSetup({ ...raw, seed, optim: { ...(raw.optim as object), ...(steps ? { maxSteps: Number(steps) } : {}) } }));
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };

/** CPU ms per plain step from one member's events, timed as they arrive (spectra steps apart). */
class StepClock {
  private last: number | null = null;
  private spectra = false;
  ms = 0;
  n = 0;
  on(e: TrainerEvent): void {
    if (e.type === 'spectra') this.spectra = true;
    if (e.type !== 'scalars') return;
    const t = cpu();
    if (this.last !== null && !this.spectra) {
      this.ms += t - this.last;
      this.n++;
    }
    this.last = t;
    this.spectra = false;
  }
  get perStep(): number {
    return this.ms / this.n;
  }
}

const t0 = cpu();
let stepMs = 0;
let summaries;
if (mode === 'solo') {
  summaries = [];
  for (const s of setups) {
    const clock = new StepClock();
    summaries.push(await train(s, { backend: 'wasm', threads, onEvent: (e) => clock.on(e) }));
    stepMs += clock.perStep;
  }
} else {
  const clock = new StepClock();
  summaries = await trainGroup(setups, { backend: 'wasm', threads, onEvent: (m, e) => m === 0 && clock.on(e) });
  stepMs = clock.perStep;
}
const cpuSec = (cpu() - t0) / 1000;
for (const s of summaries) if (s.outcome !== 'completed') throw new Error(`a run ended ${s.outcome}: ${s.error}`);
console.log(JSON.stringify({
  mode, seeds: S, cpuSec: Math.round(cpuSec * 1000) / 1000, stepMs: Math.round(stepMs * 100) / 100, rates: [],
  results: summaries.map((s) => ({ finalLoss: s.finalLoss, probeAcc: s.probeAcc, knnAcc: s.knnAcc })),
}));
