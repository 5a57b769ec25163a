// The time estimate before a run or a grid starts (src-main/runs/estimate.ts), over a fake archive of
// finished runs: the same throughput shape on the same backend gives seconds per step and the fixed
// part; another shape is scaled by multiply-adds (marked); another backend, or nothing, gives no
// figure; reused runs cost nothing; runs spread over min(concurrency, cores). A probe's pace (a fake
// trainer on a fake clock here; the real one in test/service/estimate-probe.test.ts) serves its shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSetup, type SetupInput } from '../../src-main/common/setup.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { LAB_BASE } from '../../src-main/reproduce/claims.ts';
import { SCALE_RANGE, estimateInputs, estimateWall, paceRun, periodicEvals, plannedSteps, probeKey, runSeconds, stepCost, throughputKey, unmeasured, type MeasuredRun, type PaceMeasure, type StepShape } from '../../src-main/runs/estimate.ts';
import { measurePace, probeSetup, ProbeCancelled } from '../../src-main/runs/probe.ts';
import type { TrainerLauncher } from '../../src-main/runs/manager.ts';
import type { FromTrainer } from '../../src-main/runs/protocol.ts';
import type { RunSummary } from '../../src-main/common/events.ts';
import { stepPlan } from '../../src-main/engine/train/batches.ts';

const quick = parseSetup(QUICK_SETUP);
const quickShape: StepShape = { steps: 48, height: 16, width: 16, channels: 1 };
const lab = parseSetup(LAB_BASE);
const labShape: StepShape = { steps: 2000, height: 28, width: 28, channels: 1 };

/** A finished quick run on `backend`: 48 steps at `ips` images/s (B = 32) plus `fixed` seconds. */
function measured(setup: SetupInput, shape: StepShape, backend: string, ips: number, fixed: number): MeasuredRun {
  const s = parseSetup(setup);
  const steps = shape.steps!;
  return { setup: s, backend, steps, wallSec: (steps * s.optim.batchSize) / ips + fixed, imagesPerSec: ips, shape };
}

test('estimate: a run of the same shape and backend gives seconds per step plus the fixed part', () => {
  // 32 images / 320 img/s = 0.1 s per step; 48 steps + 5 s fixed.
  const archive = [measured({ ...QUICK_SETUP, seed: 3 }, quickShape, 'wasm', 320, 5), measured({ ...QUICK_SETUP, seed: 4 }, quickShape, 'wasm', 320, 5)];
  // The seed and the learning rate do not change the shape; 480 steps take 48 s + 5 s.
  const other = parseSetup({ ...QUICK_SETUP, seed: 9, optim: { ...QUICK_SETUP.optim, lr: 0.01, maxSteps: 480 } });
  const r = runSeconds(other, { ...quickShape, steps: 480 }, archive, 'wasm');
  assert.equal(r.basis, 'recorded');
  assert.equal(r.basisRuns, 2);
  assert.ok(Math.abs(r.sec! - 53) < 1e-9, `${r.sec}`);
  // Another backend has measured nothing: no figure.
  assert.deepEqual(runSeconds(other, quickShape, archive, 'webgpu'), { sec: null, basis: 'none', basisRuns: 0 });
  // Without images/s, the whole wall time per step.
  const bare = [{ ...archive[0]!, imagesPerSec: null }];
  assert.ok(Math.abs(runSeconds(quick, quickShape, bare, 'wasm').sec! - (4.8 + 5)) < 1e-9);
});

test('estimate: another shape on the backend is scaled by multiply-adds per step, and says so', () => {
  const archive = [measured(QUICK_SETUP, quickShape, 'wasm', 320, 5)];
  assert.notEqual(throughputKey(lab, labShape), throughputKey(quick, quickShape));
  const r = runSeconds(lab, labShape, archive, 'wasm');
  assert.equal(r.basis, 'scaled');
  const ratio = stepCost(lab, labShape) / stepCost(quick, quickShape);
  // 28×28 images against 16×16, same networks and batch: about (28/16)² more work per step.
  assert.ok(ratio > 2.5 && ratio < 4, `cost ratio ${ratio}`);
  // Seconds per step scaled by the cost, plus the measured run's fixed part (5 s) as it is.
  assert.ok(Math.abs(r.sec! - (0.1 * ratio * 2000 + 5)) < 1e-6, `${r.sec}`);
  // Scaled down, a short run is mostly its fixed part: 48 quick steps from a lab run that took
  // 0.02 s a step and 6 s besides read as about 6 s, not a fraction of one.
  const down = runSeconds(quick, quickShape, [measured(LAB_BASE, labShape, 'wasm', 1600, 6)], 'wasm');
  assert.equal(down.basis, 'scaled');
  assert.ok(down.sec! > 6 && down.sec! < 7, `${down.sec}`);
  // A wider network costs more per step than a narrower one.
  const wide = parseSetup({ ...QUICK_SETUP, encoder: { kind: 'convnet', widths: [32, 64], residual: false } });
  assert.ok(stepCost(wide, quickShape) > 3 * stepCost(quick, quickShape));
  // The default setup (28×28, widths 32…256, batch 128) is hundreds of times the quick one: a tiny
  // network's per-step overhead says nothing about it, so no figure rather than a wrong one.
  const big = parseSetup({});
  const bigShape: StepShape = { steps: 15_600, height: 28, width: 28, channels: 1 };
  assert.ok(stepCost(big, bigShape) / stepCost(quick, quickShape) > SCALE_RANGE);
  assert.deepEqual(runSeconds(big, bigShape, archive, 'wasm'), { sec: null, basis: 'none', basisRuns: 0 });
});

test('estimate: a grid spreads over min(concurrency, cores); reused runs cost nothing; unknown ones are counted', () => {
  const archive = [measured(QUICK_SETUP, quickShape, 'wasm', 320, 5)]; // 9.8 s per run
  const grid = Array.from({ length: 6 }, (_, i) => ({ setup: parseSetup({ ...QUICK_SETUP, seed: i }), shape: quickShape, reused: i < 2 }));
  const e = estimateWall(grid, archive, { backend: 'wasm', concurrency: 4, cores: 2 });
  assert.equal(e.runs, 6);
  assert.equal(e.reused, 2);
  assert.equal(e.parallel, 2);
  assert.ok(Math.abs(e.totalSec - 4 * 9.8) < 1e-9);
  assert.ok(Math.abs(e.wallSec! - 2 * 9.8) < 1e-9, `${e.wallSec}`);
  // One run alone is never faster than itself, however many cores.
  const one = estimateWall(grid.slice(5), archive, { backend: 'wasm', concurrency: 8, cores: 16 });
  assert.ok(Math.abs(one.wallSec! - 9.8) < 1e-9);
  // Nothing measured on the backend: no figure, every run unknown.
  const none = estimateWall(grid, [], { backend: 'wasm', concurrency: 1, cores: 2 });
  assert.equal(none.wallSec, null);
  assert.equal(none.unknown, 4);
  // Everything reused: nothing to wait for.
  assert.equal(estimateWall(grid.slice(0, 2), [], { backend: 'wasm', concurrency: 1, cores: 2 }).wallSec, 0);
});

test('estimate: the step count is the trainer\'s step plan', () => {
  for (const [setup, pool] of [[quick, 512], [lab, 2048], [parseSetup({}), 2000], [parseSetup({ optim: { lastBatch: 'keep', epochs: 2.5, batchSize: 100 } }), 1050]] as const) {
    assert.equal(plannedSteps(setup, pool), stepPlan(setup, pool).totalSteps);
  }
});

test('estimate: a probe\'s pace serves its own probe key (periodic evaluations added), is scaled for near shapes, and yields to finished runs', () => {
  const shape: StepShape = { steps: 480, height: 16, width: 16, channels: 1, stepsPerEpoch: 16 };
  const pace: PaceMeasure = { perStepSec: 0.05, fixedSec: 6, evalSec: 1.5, steps: 20, backend: 'wasm', threads: 2 };
  const probe = paceRun(quick, quickShape, pace);
  // split() of the probe's run gives back its pace.
  assert.ok(Math.abs(probe.wallSec - (6 + 0.05 * 20)) < 1e-12 && Math.abs(32 / probe.imagesPerSec! - 0.05) < 1e-12);
  const other = parseSetup({ ...QUICK_SETUP, seed: 9, optim: { ...QUICK_SETUP.optim, maxSteps: 480 } });
  const r = runSeconds(other, shape, [probe], 'wasm');
  assert.equal(r.basis, 'probe');
  assert.ok(Math.abs(r.sec! - (0.05 * 480 + 6)) < 1e-9, `${r.sec}`);
  // An evaluation every 5 epochs (80 steps): at steps 80 … 400, five more than the probe timed.
  const evalEvery = parseSetup({ ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 480 }, eval: { ...QUICK_SETUP.eval, everyEpochs: 5 } });
  assert.equal(periodicEvals(evalEvery, 480, 16), 5);
  // Another evaluation protocol is another probe key (its fixed part differs): scaled, not taken as it is.
  assert.notEqual(probeKey(evalEvery, shape), probeKey(other, shape));
  assert.equal(throughputKey(evalEvery, shape), throughputKey(other, shape));
  assert.equal(runSeconds(evalEvery, shape, [probe], 'wasm').basis, 'scaled');
  // A finished run of the shape wins over a probe.
  const finished = measured({ ...QUICK_SETUP, seed: 3 }, quickShape, 'wasm', 320, 5);
  assert.equal(runSeconds(other, shape, [probe, finished], 'wasm').basis, 'recorded');
  // What a probe would measure next: one run per probe key without a figure, reused and unplanned runs left out.
  const planned = [
    { setup: quick, shape: quickShape, reused: false },
    { setup: parseSetup({ ...QUICK_SETUP, seed: 2 }), shape: quickShape, reused: false },
    { setup: evalEvery, shape, reused: true },
    { setup: parseSetup({}), shape: { steps: null, height: 28, width: 28, channels: 1 }, reused: false },
  ];
  assert.deepEqual(unmeasured({ planned, measured: [] }, [], 'wasm').map((p) => p.setup.seed), [quick.seed]);
  assert.deepEqual(unmeasured({ planned, measured: [] }, [probe], 'wasm'), []);
  const e = estimateInputs({ planned, measured: [] }, [probe], { backend: 'wasm', concurrency: 1, cores: 2 });
  assert.equal(e.basis, 'probe');
  assert.equal(e.probed, 2);
  assert.equal(e.unknown, 1);
});

/** A trainer that answers on a fake clock: `script` replays its messages at the given times (ms). */
function scriptedTrainer(clock: { t: number }, script: [number, FromTrainer][], exitAt: number): TrainerLauncher {
  return () => {
    const handlers: ((m: FromTrainer) => void)[] = [];
    const exits: ((code: number | null, signal: string | null, tail: string) => void)[] = [];
    return {
      pid: 1,
      port: {
        send: async (m) => {
          if (m.type !== 'start') return;
          setImmediate(() => {
            for (const [at, msg] of script) (clock.t = at), handlers.forEach((h) => h(msg));
            clock.t = exitAt;
            exits.forEach((h) => h(0, null, ''));
          });
        },
        onMessage: (h) => handlers.push(h),
        onClose: () => {},
        close: () => {},
      },
      kill: () => {},
      onExit: (h) => exits.push(h),
    };
  };
}

test('probe: start-up, the step-0 evaluation and warm-up go to the fixed part; the pace is taken after the first step', async () => {
  const clock = { t: 0 };
  const ev = (events: Extract<FromTrainer, { type: 'events' }>['events']) => ({ type: 'events', events }) as FromTrainer;
  const started = { type: 'started', setupHash: 'h', env: { backend: 'wasm', versions: {}, appVersion: '0', host: { platform: 'linux', arch: 'x64', cpus: 2, node: '20' }, threads: 2 }, dataset: { name: 'd', hash: 'h', source: 's', pretrainCount: 512 }, totalSteps: 20, stepsPerEpoch: 16, startStep: 0 } as const;
  const evalAt0 = { type: 'eval', step: 0, epoch: 0, probeAcc: 0.3, knnAcc: 0.3, probeTrainAcc: 0.3 } as const;
  const progress = (step: number) => ({ type: 'progress', step, totalSteps: 20, epoch: step / 16, etaSec: null }) as const;
  // Process and data: 4 s; step-0 evaluation: 2 s (done at 6 s); step 1 (warm-up) ends at 7 s; then 0.1 s a step; the final evaluation ends 2.5 s after step 20.
  const script: [number, FromTrainer][] = [[4000, ev([started])], [6000, ev([evalAt0])], [7000, ev([progress(1)])]];
  for (let s = 2; s <= 20; s++) script.push([7000 + 100 * (s - 1), ev([progress(s)])]);
  script.push([8900 + 2500, { type: 'done', summary: { outcome: 'completed' } as RunSummary }]);
  const pace = await measurePace(quick, { backend: 'wasm', launch: scriptedTrainer(clock, script, 11_500), now: () => clock.t });
  assert.ok(Math.abs(pace.perStepSec - 0.1) < 1e-9, `${pace.perStepSec}`);
  assert.ok(Math.abs(pace.evalSec - 2) < 1e-9);
  // Before step 2: 7.1 s, of which 2 steps at 0.1 s; after step 20: 2.5 s.
  assert.ok(Math.abs(pace.fixedSec - (7.1 - 0.2 + 2.5)) < 1e-9, `${pace.fixedSec}`);
  assert.equal(pace.steps, 20);
  assert.equal(pace.threads, 2);
  // The probe's setup: cut to its steps, no periodic evaluations, otherwise the setup.
  const ps = probeSetup(parseSetup({ ...QUICK_SETUP, eval: { ...QUICK_SETUP.eval, everyEpochs: 1 } }), 20);
  assert.equal(ps.optim.maxSteps, 20);
  assert.equal(ps.eval.everyEpochs, 0);
  assert.equal(ps.optim.batchSize, 32);
  // A trainer that fails says why.
  await assert.rejects(measurePace(quick, { backend: 'wasm', launch: scriptedTrainer(clock, [[100, { type: 'error', message: 'no wasm here' }]], 200), now: () => clock.t }), /probe of this machine's pace failed: no wasm here/);
  // An aborted signal: cancelled before anything starts.
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(measurePace(quick, { backend: 'wasm', signal: ac.signal }), ProbeCancelled);
});
