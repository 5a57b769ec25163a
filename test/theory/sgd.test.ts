import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sgdBridge } from '../../src-main/theory/index.ts';

test('SGD bridge: the minibatch trajectory approaches the flow as lr shrinks and the batch grows', () => {
  const flow = { n1: 8, n2: 4, eta: 0.01, beta: 0.4, alphaP: 1, data: { kind: 'isotropic' as const, sigma2: 0.2 }, t1: 5, samples: 11, integrator: { method: 'rk4' as const, dt: 0.005 }, init: { seed: 2, wScale: 1, wpScale: 1, targetInit: 'zero' as const } };
  const coarse = sgdBridge({ flow, lr: 0.05, batch: 16, seed: 1 });
  const fine = sgdBridge({ flow, lr: 0.005, batch: 256, seed: 1 });
  assert.equal(coarse.gap.t.length, 11);
  assert.equal(coarse.gap.series.gapW![0], 0, 'same initial weights');
  assert.ok(fine.maxGapW < coarse.maxGapW / 3, `gap ${fine.maxGapW} vs ${coarse.maxGapW}`);
  assert.ok(fine.maxGapW < 0.03, `fine gap ${fine.maxGapW}`);
  // The flow itself moved, so a small gap is not trivial.
  const n = fine.flow.timeline.series.normW!;
  assert.ok(Math.abs(n.at(-1)! - n[0]!) > 0.1 * n[0]!);
});

test('SGD bridge: SimSiam without stop-gradient collapses under SGD as in the flow', () => {
  const r = sgdBridge({ flow: { n1: 6, n2: 3, target: 'simsiam', stopGrad: false, eta: 0.01, data: { kind: 'isotropic', sigma2: 0.3 }, t1: 20, samples: 5, init: { seed: 4, wScale: 1, wpScale: 1, targetInit: 'copy' } }, lr: 0.02, batch: 64 });
  const s = r.sgd.series.normW!;
  assert.ok(s.at(-1)! < 0.05 * s[0]!, `SGD ‖W‖ ${s[0]} → ${s.at(-1)}`);
});
