// The time estimate before a run or a grid starts (src-main/runs/estimate.ts), over a fake archive of
// finished runs: the same throughput shape on the same backend gives seconds per step and the fixed
// part; another shape is scaled by multiply-adds (marked); another backend, or nothing, gives no
// figure; reused runs cost nothing; runs spread over min(concurrency, cores).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSetup, type SetupInput } from '../../src-main/common/setup.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { LAB_BASE } from '../../src-main/reproduce/claims.ts';
import { SCALE_RANGE, estimateWall, plannedSteps, runSeconds, stepCost, throughputKey, type MeasuredRun, type StepShape } from '../../src-main/runs/estimate.ts';
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
