// Issue 13: the renderer's random-init baseline logic (pure): final beside init with the change, and
// compare's bars for metrics measured at step 0 and once at the end.
import test from 'node:test';
import assert from 'node:assert/strict';
import { baselineCells, protocolText } from '../../src-renderer/src/lib/baseline.ts';
import { finalBars, initBars, measuredOncePerRun } from '../../src-renderer/src/lib/compare/compareSeries.ts';
import type { RunSummary } from '../../src-main/common/events.ts';

const summary = (baseline: RunSummary['baseline']): RunSummary => ({
  outcome: 'completed', setupHash: 'h', backend: 'wasm', steps: 10, epochs: 1, finalLoss: 1,
  collapseStd: 0.91, effectiveRank: 9.5, probeAcc: 0.8, knnAcc: 0.62, imagesPerSec: 1, wallSec: 1, baseline,
});

test('final beside random init, with the change in points (accuracies) or units', () => {
  const cells = baselineCells(summary({ probeAcc: 0.76, knnAcc: 0.655, collapseStd: 0.78, effectiveRank: 12 }));
  assert.deepEqual(cells.map((c) => c.metric), ['probeAcc', 'knnAcc', 'collapseStd', 'effectiveRank']);
  assert.deepEqual(cells.map((c) => [c.final, c.init, c.delta]), [
    ['80.0 %', '76.0 %', '+4.0 pts'],
    ['62.0 %', '65.5 %', '−3.5 pts'],
    ['0.91', '0.78', '+0.130'],
    ['9.5', '12', '−2.500'],
  ]);
  // An older run: no baseline, no change.
  assert.deepEqual(baselineCells(summary(undefined)).map((c) => [c.init, c.delta]), Array(4).fill(['—', null]));
  assert.match(protocolText({ setup: {}, summary: null }), /^probe epoch chosen on validation · kNN k=20 weighted/);
});

test('compare: step 0 plus one final evaluation still reads as "measured once" (bars), with the init values', () => {
  const mk = (id: string, kind: string, init: number, end: number) => ({ id, label: id, setup: { predictor: { kind } }, series: { steps: [0, 8], epochs: [0, 1], values: [init, end] }, wall: { batchSize: 32 } });
  const runs = [mk('a', 'linear', 0.7, 0.5), mk('b', 'linear', 0.74, 0.7), mk('c', 'directpred', 0.72, 0.6)];
  assert.equal(measuredOncePerRun(runs), true);
  assert.deepEqual(finalBars(runs, '').map((b) => b.mean), [0.5, 0.7, 0.6]);
  const inits = initBars(runs, 'predictor.kind');
  assert.ok(Math.abs(inits[0]! - 0.72) < 1e-12 && inits[1] === 0.72);
  // Two evaluations after step 0: a curve again.
  const curve = [{ ...runs[0]!, series: { steps: [0, 4, 8], epochs: [0, 0.5, 1], values: [0.7, 0.6, 0.5] } }];
  assert.equal(measuredOncePerRun(curve), false);
});
