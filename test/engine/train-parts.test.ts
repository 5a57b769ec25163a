// The trainer's pieces (src-main/engine/train/) one at a time, on tiny tensors and the synthetic set.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadTiny, setupFrom, tinyBase } from './tiny.ts';
import type { Dataset, Split } from '../../src-main/data/types.ts';
import { BatchStream, stepPlan } from '../../src-main/engine/train/batches.ts';
import { buildNetworks, disposeNetworks, trainableAt } from '../../src-main/engine/train/networks.ts';
import { sgdHyper, sgdMomentumUpdate } from '../../src-main/engine/train/sgd.ts';
import { emaUpdate } from '../../src-main/engine/train/ema.ts';
import { fHatStep, readWp, updateFHat } from '../../src-main/engine/train/fhat.ts';
import { createEvaluator, subsetIndices } from '../../src-main/engine/train/evaluate.ts';
import { captureCheckpoint, restoreCheckpoint, TrainingError } from '../../src-main/engine/train/state.ts';
import { lossAndGrads, pairLoss, targetOutputs } from '../../src-main/engine/train/objective.ts';
import { directPredWeights } from '../../src-main/engine/predictors.ts';
import type { Params } from '../../src-main/engine/model.ts';

const base = tinyBase(128);
const setupOf = (over: Record<string, unknown> = {}) => setupFrom(base, over);
let data: Dataset;

test.before(async () => {
  data = await loadTiny(base);
});

const vals = (p: Params, k: string) => Array.from(p.get(k)!.dataSync());
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

test('data pipeline: each epoch visits a seeded permutation, views are reproducible per step', () => {
  const setup = setupOf();
  const plan = stepPlan(setup, data.pretrain.count);
  assert.equal(plan.stepsPerEpoch, Math.floor(data.pretrain.count / 16));
  assert.equal(plan.totalSteps, 3 * plan.stepsPerEpoch);
  assert.equal(stepPlan(setupOf({ optim: { batchSize: 16, epochs: 3, maxSteps: 5 } }), data.pretrain.count).totalSteps, 5);
  const s = new BatchStream(data.pretrain, data, setup, plan);
  const seen = new Set<number>();
  for (let i = 0; i < plan.stepsPerEpoch; i++) for (const j of s.indices(i)) seen.add(j);
  assert.equal(seen.size, plan.stepsPerEpoch * 16, 'no image twice within an epoch');
  const e0 = Array.from(s.indices(0));
  const e1 = Array.from(s.indices(plan.stepsPerEpoch));
  assert.notDeepEqual(e0, e1, 'a new order each epoch');
  const fresh = new BatchStream(data.pretrain, data, setup, plan);
  const [a1, a2] = s.views(7);
  const [b1, b2] = fresh.views(7);
  assert.deepEqual(a1.shape, [16, 16, 16, 1]);
  close(a1.dataSync(), b1.dataSync(), 0);
  close(a2.dataSync(), b2.dataSync(), 0);
  assert.ok(tf.sub(a1, a2).abs().max().dataSync()[0]! > 0, 'the two views differ');
  tf.dispose([a1, a2, b1, b2]);
});

test('model build: BYOL target starts as the backbone, SimSiam has none; momenta are zero', () => {
  const byol = buildNetworks(setupOf({ predictor: { kind: 'linear' } }), data);
  assert.ok(byol.isEma);
  assert.ok(byol.online.has('pred.w'));
  assert.equal(byol.target.size, byol.backbone.params.size);
  for (const k of byol.target.keys()) close(vals(byol.target, k), vals(byol.online, k), 0);
  for (const k of byol.momenta.keys()) assert.ok(vals(byol.momenta, k).every((x) => x === 0));
  assert.equal(byol.d, 8);
  // A closed-form predictor with freq 1 is not trained by SGD.
  const dp = buildNetworks(setupOf({ method: 'simsiam', predictor: { kind: 'directpred', freq: 1 } }), data);
  assert.equal(dp.target.size, 0);
  assert.ok(trainableAt(dp, 0).every((v) => !dp.keyOfVar.get(v.name)!.startsWith('pred.')));
  assert.equal(trainableAt(byol, 0).length, byol.online.size);
  disposeNetworks(byol);
  disposeNetworks(dp);
});

test('SGD with momentum: v ← μv + g + wd·w, w ← w − η·v, predictor group with its own η and wd', () => {
  const w = tf.variable(tf.tensor1d([1, -2]), true, 'w_sgd_test');
  const pw = tf.variable(tf.tensor1d([0.5]), true, 'p_sgd_test');
  const online: Params = new Map([['enc.w', w], ['pred.w', pw]]);
  const mom: Params = new Map([['enc.w', tf.variable(tf.tensor1d([0.1, 0.2]), false)], ['pred.w', tf.variable(tf.tensor1d([0]), false)]]);
  const keyOfVar = new Map([[w.name, 'enc.w'], [pw.name, 'pred.w']]);
  const h = { momentum: 0.9, lr: 0.1, weightDecay: 0.01, predictorLr: 1, predictorWeightDecay: 0 };
  const grads = { [w.name]: tf.tensor1d([0.5, 1]), [pw.name]: tf.tensor1d([2]) };
  sgdMomentumUpdate(grads, keyOfVar, online, mom, h);
  const v = [0.9 * 0.1 + 0.5 + 0.01 * 1, 0.9 * 0.2 + 1 + 0.01 * -2];
  close(vals(mom, 'enc.w'), v);
  close(vals(online, 'enc.w'), [1 - 0.1 * v[0]!, -2 - 0.1 * v[1]!]);
  close(vals(online, 'pred.w'), [0.5 - 1 * 2]);
  const hs = sgdHyper(setupOf({ optim: { batchSize: 16, epochs: 1, lr: 0.2, predictorLrRatio: 10 } }));
  close([hs.lr, hs.predictorLr], [0.2, 2]);
  tf.dispose([...online.values(), ...mom.values(), ...Object.values(grads)]);
});

test('EMA: W_a ← γ_a W_a + (1 − γ_a) W', () => {
  const target: Params = new Map([['a', tf.variable(tf.tensor1d([1, 2]), false)]]);
  const online: Params = new Map([['a', tf.variable(tf.tensor1d([3, 0]), false)], ['pred.w', tf.variable(tf.tensor1d([9]), false)]]);
  emaUpdate(target, online, 0.75);
  close(vals(target, 'a'), [0.75 * 1 + 0.25 * 3, 0.75 * 2]);
  tf.dispose([...target.values(), ...online.values()]);
});

test('F̂ update: first batch initialises, then ρF̂ + (1 − ρ)C; DirectPred sets W_p from F̂ at its frequency', async () => {
  const f0 = updateFHat(null, [1, 0, 0, 1], 0.3);
  close(f0, [1, 0, 0, 1], 0);
  const f1 = updateFHat(f0, [3, 1, 1, 5], 0.3);
  assert.equal(f1, f0, 'in place');
  close(f1, [0.3 + 0.7 * 3, 0.7, 0.7, 0.3 + 0.7 * 5], 1e-12);

  const nets = buildNetworks(setupOf({ predictor: { kind: 'directpred', freq: 2, eps: 0.1 } }), data);
  const d = nets.d;
  const c = new Float64Array(d * d);
  for (let i = 0; i < d; i++) c[i * d + i] = i + 1;
  c[1] = c[d] = 0.5;
  const before = (await readWp(nets))!;
  let fh = fHatStep(nets, null, c, 0.5, 0).fHat; // step 0: (0 + 1) % 2 ≠ 0, W_p untouched
  close((await readWp(nets))!, before, 0);
  const after = fHatStep(nets, fh, c, 0.5, 1);
  fh = after.fHat;
  close((await readWp(nets))!, directPredWeights(fh, d, 0.1), 1e-5);
  // The W_p it reports (for spectra, without a readback) is the one it set.
  close(after.wp!, (await readWp(nets))!, 0);
  disposeNetworks(nets);
});

test('objective: cosine loss is 0 for aligned pairs and 4 for opposite ones; side statistics have the right shapes', () => {
  const p = tf.tensor2d([[1, 0], [0, 2]]);
  close(pairLoss(p, tf.tensor2d([[2, 0], [0, 1]]), 'cosine').dataSync(), [0], 1e-6);
  close(pairLoss(p, tf.tensor2d([[-1, 0], [0, -1]]), 'cosine').dataSync(), [4], 1e-6);
  close(pairLoss(p, tf.tensor2d([[0, 0], [0, 0]]), 'mse').dataSync(), [2.5], 1e-6);
  const setup = setupOf({ predictor: { kind: 'linear' } });
  const nets = buildNetworks(setup, data);
  const s = new BatchStream(data.pretrain, data, setup, stepPlan(setup, data.pretrain.count));
  const [v1, v2] = s.views(0);
  const targets = targetOutputs(nets, v1, v2);
  const r = lossAndGrads(nets, setup, v1, v2, targets, trainableAt(nets, 0));
  assert.deepEqual(r.corr.shape, [nets.d, nets.d]);
  assert.deepEqual(r.mean.shape, [nets.d]);
  assert.equal(Object.keys(r.grads).length, nets.online.size);
  const loss = r.value.dataSync()[0]!;
  assert.ok(loss > 0 && loss < 8, `loss ${loss} (two summed 2 − 2cos terms)`);
  tf.dispose([v1, v2, ...(targets ?? []), r.value, r.corr, r.mean, r.std, ...Object.values(r.grads)]);
  disposeNetworks(nets);
});

test('evaluation: probe subsets are labelled and seeded; an unlabelled set is not evaluated', async () => {
  const split: Split = { images: new Uint8Array(10), labels: Int32Array.from([0, -1, 1, -1, 2, 0, -1, 1, 1, 2]), count: 10 };
  const a = subsetIndices(split, 4, 7);
  assert.equal(a.length, 4);
  assert.ok(Array.from(a).every((i) => split.labels[i]! >= 0));
  assert.deepEqual(a, subsetIndices(split, 4, 7));
  assert.equal(subsetIndices(split, 0, 7).length, 7);
  const setup = setupOf();
  const nets = buildNetworks(setup, data);
  const ev = createEvaluator(setup, data, nets);
  assert.ok(ev.canEvaluate);
  const r = (await ev.evaluate())!;
  for (const x of [r.probeAcc, r.knnAcc, r.probeTrainAcc]) assert.ok(x >= 0 && x <= 1);
  const unlabelled: Dataset = { ...data, train: { ...data.train, labels: new Int32Array(data.train.count).fill(-1) } };
  const ev2 = createEvaluator(setup, unlabelled, nets);
  assert.equal(ev2.canEvaluate, false);
  assert.equal(await ev2.evaluate(), null);
  disposeNetworks(nets);
});

test('checkpoint state: capture then restore into fresh networks reproduces every store and F̂', async () => {
  const setup = setupOf({ predictor: { kind: 'linear' } });
  const a = buildNetworks(setup, data);
  // Make every store differ from a fresh build.
  for (const store of [a.online, a.target, a.momenta, a.running]) for (const v of store.values()) v.assign(tf.tidy(() => v.add(0.25)));
  const fHat = Float64Array.from({ length: a.d * a.d }, (_, i) => i / 7);
  const c = await captureCheckpoint(a, fHat, 6, 4, 'h');
  assert.equal(c.epoch, 1.5);
  const b = buildNetworks(setup, data);
  const r = restoreCheckpoint(b, c);
  assert.equal(r.step, 6);
  close(r.fHat!, fHat, 0); // F̂ is kept in float64 through checkpoints
  for (const [sa, sb] of [[a.online, b.online], [a.target, b.target], [a.momenta, b.momenta], [a.running, b.running]] as const) {
    for (const k of sa.keys()) close(vals(sb, k), vals(sa, k), 0);
  }
  delete c.tensors['mom/pred.w'];
  assert.throws(() => restoreCheckpoint(b, c), (e: unknown) => e instanceof TrainingError && /mom\/pred\.w/.test((e as Error).message));
  disposeNetworks(a);
  disposeNetworks(b);
});
