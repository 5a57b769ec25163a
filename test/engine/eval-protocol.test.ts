// Issue 13, "evaluation protocol named" and "random-init baseline": the kNN vote and the probe's
// epoch selection are setup options recorded with every run; the effective rank comes from a fixed
// set of several batches of images; every run measures its untrained network at step 0.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src-main/engine/backend.ts';
import { knnAccuracy, linearProbe, type FeatureSet } from '../../src-main/engine/probe.ts';
import { Rng } from '../../src-main/math/seeds.ts';
import { parseSetup, type SetupInput } from '../../src-main/common/setup.ts';
import { describeEvalProtocol, evalProtocolOf, runEvalProtocol } from '../../src-main/common/metrics.ts';
import { loadDataset } from '../../src-main/data/index.ts';
import type { Dataset } from '../../src-main/data/types.ts';
import { buildNetworks, disposeNetworks, trainableAt } from '../../src-main/engine/train/networks.ts';
import { BatchStream, stepPlan } from '../../src-main/engine/train/batches.ts';
import { lossAndGrads, targetOutputs } from '../../src-main/engine/train/objective.ts';
import { batchEffectiveRank, createEvaluator } from '../../src-main/engine/train/evaluate.ts';
import { train } from '../../src-main/engine/trainer.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

test.before(async () => {
  await initBackend('wasm');
});

function features(rows: number[][], labels: number[]): FeatureSet {
  return { x: Float32Array.from(rows.flat()), y: Int32Array.from(labels), n: rows.length, dim: rows[0]!.length };
}

test('kNN: a weighted vote follows one very close neighbour, a majority vote the two farther ones', async () => {
  // Query along e1: neighbour of class 0 at cos 0.999, two of class 1 at cos 0.6.
  const bank = features([[1, 0.045], [0.6, 0.8], [0.6, -0.8], [-1, 0]], [0, 1, 1, 2]);
  const query = features([[1, 0]], [0]);
  assert.equal(await knnAccuracy(bank, query, 3, 3, 'weighted'), 1);
  assert.equal(await knnAccuracy(bank, query, 3, 3, 'majority'), 0);
  // A majority tie (one vote each) goes to the class with the larger summed similarity.
  const tie = features([[0.9, 0.436], [0.5, 0.866], [-1, 0]], [1, 0, 2]);
  assert.equal(await knnAccuracy(tie, features([[1, 0]], [1]), 3, 2, 'majority'), 1);
  assert.equal(await knnAccuracy(tie, features([[1, 0]], [0]), 3, 2, 'majority'), 0);
});

test('probe: best-test selection reports the best test epoch, optimistic on features with no signal', async () => {
  const rng = new Rng(5);
  const noise = (n: number): FeatureSet => ({
    x: Float32Array.from({ length: n * 40 }, () => rng.normal()),
    y: Int32Array.from({ length: n }, (_, i) => i % 4),
    n,
    dim: 40,
  });
  // With a validation split given, both protocols fit the same probe on the same data in the same
  // order; they differ only in which epoch they report. No signal: chance is 0.25.
  let honest = 0;
  let optimistic = 0;
  const draws = 6;
  for (let k = 0; k < draws; k++) {
    const [tr, va, te] = [noise(100), noise(100), noise(24)];
    const v = await linearProbe(tr, te, 4, { epochs: 30, seed: k, lr: 0.05, validation: va });
    const b = await linearProbe(tr, te, 4, { epochs: 30, seed: k, lr: 0.05, validation: va, select: 'best-test' });
    // Best-test: the selection set is the test set itself, so no epoch beats the reported one.
    assert.equal(b.valAcc, b.testAcc);
    assert.ok(b.testAcc >= v.testAcc, `draw ${k}: best test epoch ${b.testAcc} below the validation-selected epoch's ${v.testAcc}`);
    honest += v.testAcc / draws;
    optimistic += b.testAcc / draws;
  }
  assert.ok(honest < 0.33, `validation-selected accuracy on noise ${honest}`);
  assert.ok(optimistic > honest + 0.04, `best-test ${optimistic} vs validation-selected ${honest}`);
});

test('the protocol is named from the setup; a setup from before the options reads as the defaults it ran with', () => {
  const dflt = evalProtocolOf(parseSetup({}).eval);
  assert.deepEqual(dflt, { probeSelect: 'validation', knnVote: 'weighted', knnK: 20, knnTemperature: 0.07 });
  assert.match(describeEvalProtocol(dflt), /validation.*weighted exp\(cos\/0\.07\)/);
  const official = evalProtocolOf(parseSetup({ eval: { probeSelect: 'best-test', knnVote: 'majority', knnK: 200 } }).eval);
  assert.equal(describeEvalProtocol(official), 'probe at best test epoch (official code; optimistic) · kNN k=200 majority vote');
  // A stored run without a recorded protocol: its setup (here an old one, without the fields).
  assert.deepEqual(runEvalProtocol({ setup: { eval: { knnK: 5 } }, summary: null }), { ...dflt, knnK: 5 });
  assert.deepEqual(runEvalProtocol({ setup: {}, summary: { evalProtocol: official } }), official);
  assert.throws(() => parseSetup({ eval: { knnVote: 'cosine' } }), /eval\.knnVote/);
});

const tiny: SetupInput = {
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train: 1024, test: 64 } },
  encoder: { kind: 'convnet', widths: [8, 16] },
  projector: { hidden: 32, out: 16 },
  optim: { batchSize: 32, epochs: 20, maxSteps: 8, lr: 0.05 },
  eval: { probeEpochs: 3, probeTrain: 128, probeTest: 64, spectraEvery: 4, statsImages: 512 },
};

test('effective rank at init: the evaluation images give an estimate that moves far less with the images drawn than one batch', async () => {
  const setupAt = (seed: number) => parseSetup({ ...tiny, seed });
  const data: Dataset = await loadDataset(setupAt(0).data, { seed: 0 });
  const sd = (a: number[]) => {
    const m = a.reduce((x, y) => x + y, 0) / a.length;
    return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1));
  };
  // Three initialisations; for each, six seeds of the images (batch and augmentation, or the
  // evaluation subset) with the network fixed: the spread is the estimator's own noise.
  const oneSd: number[] = [];
  const setSd: number[] = [];
  for (const init of [0, 1, 2]) {
    const nets = buildNetworks(setupAt(init), { height: data.height, width: data.width, channels: data.channels });
    const one: number[] = [];
    const set: number[] = [];
    for (let k = 100; k < 106; k++) {
      const s = setupAt(k);
      const [v1, v2] = new BatchStream(data.pretrain, data, s, stepPlan(s, data.pretrain.count)).views(0);
      const t = targetOutputs(nets, v1, v2);
      const r = lossAndGrads(nets, s, v1, v2, t, trainableAt(nets, 0));
      one.push(batchEffectiveRank(await r.corr.data(), await r.mean.data(), nets.d));
      tf.dispose([v1, v2, ...(t ?? []), r.value, r.corr, r.mean, r.std, ...Object.values(r.grads)]);
      const st = await createEvaluator(s, data, nets).representationStats();
      assert.equal(st.images, 512);
      assert.ok(st.effectiveRank >= 1 && st.effectiveRank <= nets.d, `rank ${st.effectiveRank}`);
      assert.ok(st.collapseStd > 0.3 && st.collapseStd < 1.01, `collapse std ${st.collapseStd}`);
      set.push(st.effectiveRank);
    }
    oneSd.push(sd(one));
    setSd.push(sd(set));
    disposeNetworks(nets);
  }
  const pooled = (a: number[]) => Math.sqrt(a.reduce((x, y) => x + y * y, 0) / a.length);
  // Measured: one batch ≈ 0.35, evaluation images ≈ 0.04 (ranks ≈ 4–6 of d = 16).
  assert.ok(pooled(setSd) < 0.4 * pooled(oneSd), `std over image seeds: evaluation set ${pooled(setSd)} vs one batch ${pooled(oneSd)}`);
  assert.ok(pooled(oneSd) > 0.1, `one batch's std ${pooled(oneSd)}`);
});

test('every run records its random-init baseline: the evaluation at step 0 of the untrained network', async () => {
  const setup = parseSetup({ ...tiny, seed: 3, eval: { ...tiny.eval, knnVote: 'majority' } });
  const events: TrainerEvent[] = [];
  const summary = await train(setup, { backend: 'wasm', onEvent: (e) => events.push(e) });
  assert.equal(summary.outcome, 'completed');
  const evals = events.filter((e) => e.type === 'eval');
  assert.deepEqual(evals.map((e) => e.step), [0, 8]);
  // Step 0 comes before any training step.
  assert.ok(events.findIndex((e) => e.type === 'eval') < events.findIndex((e) => e.type === 'scalars'));
  // It is the untrained network: the same numbers as an evaluator on freshly built networks.
  const data = await loadDataset(setup.data, { seed: setup.seed });
  const nets = buildNetworks(setup, { height: data.height, width: data.width, channels: data.channels });
  const ev = createEvaluator(setup, data, nets);
  const fresh = (await ev.evaluate())!;
  const stats = await ev.representationStats();
  disposeNetworks(nets);
  const b = summary.baseline!;
  assert.ok(b, 'summary.baseline');
  assert.equal(b.probeAcc, fresh.probeAcc);
  assert.equal(b.knnAcc, fresh.knnAcc);
  assert.ok(Math.abs(b.effectiveRank! - stats.effectiveRank) < 1e-9);
  assert.ok(Math.abs(b.collapseStd! - stats.collapseStd) < 1e-9);
  // The final values are measured the same way, on the trained network.
  assert.ok(summary.effectiveRank !== null && summary.effectiveRank !== b.effectiveRank);
  assert.deepEqual(summary.evalProtocol, { probeSelect: 'validation', knnVote: 'majority', knnK: 20, knnTemperature: null });
});
