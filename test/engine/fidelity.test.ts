// Issue 13 "Fidelity fixes", training side: the loss scale of the official code (the two symmetric
// terms summed, with version-1 setups kept on their averaged loss), and the reference-code options —
// target initialisation, projector BN affine, the last partial batch, DirectPred's freq phase and
// DirectCopy's normalisation — each checked on small seeded runs on real tfjs (wasm).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadTiny, setupFrom, tinyBase } from './tiny.ts';
import { parseSetup, SETUP_VERSION } from '../../src-main/common/setup.ts';
import { setupHash, setupHashes } from '../../src-main/common/hash.ts';
import type { Dataset } from '../../src-main/data/types.ts';
import { BatchStream, batchSizeAt, stepPlan } from '../../src-main/engine/train/batches.ts';
import { buildNetworks, disposeNetworks, trainableAt } from '../../src-main/engine/train/networks.ts';
import { lossAndGrads, targetOutputs } from '../../src-main/engine/train/objective.ts';
import { sgdHyper } from '../../src-main/engine/train/sgd.ts';
import { trainStep } from '../../src-main/engine/train/step.ts';
import { fHatStep, readWp } from '../../src-main/engine/train/fhat.ts';
import { directCopyWeights, directPredWeights } from '../../src-main/engine/predictors.ts';
import { train, encodeCheckpoint, decodeCheckpoint, type Checkpoint } from '../../src-main/engine/trainer.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

const base = tinyBase(100, { seed: 5 });
const setupOf = (over: Record<string, unknown> = {}) => setupFrom(base, over);
let data: Dataset;

test.before(async () => {
  data = await loadTiny(base);
});

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = '') => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}] ${a[i]} vs ${b[i]}`);
};

/** Loss and gradients of step 0 for a setup (fresh networks, same views). */
function stepZero(over: Record<string, unknown>) {
  const setup = setupOf(over);
  const nets = buildNetworks(setup, data);
  const [v1, v2] = new BatchStream(data.pretrain, data, setup, stepPlan(setup, data.pretrain.count)).views(0);
  const targets = targetOutputs(nets, v1, v2);
  const r = lossAndGrads(nets, setup, v1, v2, targets, trainableAt(nets, 0));
  const loss = r.value.dataSync()[0]!;
  const grads = new Map(Object.entries(r.grads).map(([name, g]) => [nets.keyOfVar.get(name)!, Float64Array.from(g.dataSync())]));
  tf.dispose([v1, v2, ...(targets ?? []), r.value, r.corr, r.mean, r.std, ...Object.values(r.grads)]);
  disposeNetworks(nets);
  return { loss, grads };
}

test('loss scale: the default sums the two symmetric terms (official code), twice the averaged loss and its gradients', () => {
  assert.equal(parseSetup({}).lossReduction, 'sum');
  const sum = stepZero({ predictor: { kind: 'linear' } });
  const mean = stepZero({ predictor: { kind: 'linear' }, lossReduction: 'mean' });
  assert.ok(sum.loss > 0 && sum.loss < 8, `summed 2 − 2cos lies in (0, 8): ${sum.loss}`);
  assert.ok(Math.abs(sum.loss - 2 * mean.loss) < 1e-5 * sum.loss, `${sum.loss} vs 2 × ${mean.loss}`);
  for (const [k, g] of sum.grads) {
    const h = mean.grads.get(k)!;
    const scale = Math.max(...g.map(Math.abs));
    close(g, h.map((x) => 2 * x), 1e-5 * scale + 1e-12, k);
  }
});

// A version-1 setup exactly as the lab before this change recorded it (the archive's stored form), and
// the setup hash it recorded with the run and its checkpoints.
const V1_SETUP = {
  version: 1, seed: 3, method: 'byol', emaMomentum: 0.996, stopGradient: true,
  predictor: { kind: 'directcopy', rho: 0.3, eps: 0.1, freq: 2 },
  encoder: { kind: 'convnet', widths: [8, 16], residual: false }, projector: { hidden: 32, out: 16 }, loss: 'cosine',
  optim: { lr: 0.03, momentum: 0.9, weightDecay: 0.0004, predictorWeightDecay: 0.0004, predictorLrRatio: 1, batchSize: 32, epochs: 100, maxSteps: 10 },
  augment: { cropScale: [0.2, 1], cropRatio: [0.75, 1.3333333333333333], flip: true, brightness: 0.4, contrast: 0.4, saturation: 0.4, grayscale: 0.2, noise: 0 },
  data: { dataset: 'fashion-mnist-sample', synthetic: { size: 28, channels: 1, classes: 10, train: 2000, test: 500 } },
  eval: { spectraEvery: 10, everyEpochs: 0, probeTrain: 5000, probeTest: 2000, knnK: 20, probeEpochs: 50 },
};
const V1_HASH = 'bf4bfe9d6a4e7e94c89594721c9fc15e0689b485e7e5663b245ffc995300adb9';

test('setup v1 → v2: an archived setup keeps its averaged loss and the behaviour it had; its old hash still names it', () => {
  const s = parseSetup(V1_SETUP);
  assert.equal(s.version, SETUP_VERSION);
  assert.equal(s.lossReduction, 'mean', 'version 1 averaged the two terms');
  assert.equal(s.targetInit, 'copy');
  assert.equal(s.projector.bnAffine, true);
  assert.equal(s.optim.lastBatch, 'drop');
  assert.ok(s.predictor.kind === 'directcopy' && s.predictor.freqPhase === 'last' && s.predictor.normalize === 'lambda-max');
  assert.notEqual(setupHash(s), V1_HASH, 'the v2 form hashes differently');
  assert.ok(setupHashes(s).includes(V1_HASH), 'the v1 form is recovered exactly');
  // A setup file without a version is read as the current version (the official loss).
  const { version: _v, ...unversioned } = V1_SETUP;
  assert.equal(parseSetup(unversioned).lossReduction, 'sum');
  // A setup that uses anything version 1 could not express has no v1 hash.
  assert.deepEqual(setupHashes(parseSetup({ ...V1_SETUP, version: 2, lossReduction: 'sum' })).length, 1);
});

test('a run interrupted before the upgrade resumes from its checkpoint (recorded under the v1 hash)', { timeout: 120_000 }, async () => {
  const v1 = structuredClone(V1_SETUP) as Record<string, unknown>;
  Object.assign(v1, { data: base.data, optim: { ...(v1.optim as object), batchSize: 16, maxSteps: 3 }, eval: { ...(v1.eval as object), probeTrain: 32, probeTest: 32, probeEpochs: 1 } });
  const s = parseSetup(v1);
  let ckpt: Checkpoint | null = null;
  await train(s, { backend: 'wasm', dataset: data, checkpointEvery: 2, onCheckpoint: (c) => void (ckpt ??= c) });
  assert.ok(ckpt);
  const c = decodeCheckpoint(encodeCheckpoint(ckpt));
  c.setupHash = setupHashes(s).at(-1)!; // as the v1 lab wrote it
  const done = await train(s, { backend: 'wasm', dataset: data, resumeFrom: c });
  assert.equal(done.outcome, 'completed', done.error);
  c.setupHash = 'not-this-setup';
  await assert.rejects(train(s, { backend: 'wasm', dataset: data, resumeFrom: c }), /different setup/);
});

test('targetInit: "copy" starts W_a at the online weights; "random" (official) at an independent seeded draw', () => {
  const weights = (nets: ReturnType<typeof buildNetworks>, store: 'online' | 'target') =>
    new Map([...nets.target.keys()].map((k) => [k, Array.from(nets[store].get(k)!.dataSync())]));
  const copy = buildNetworks(setupOf(), data);
  for (const [k, w] of weights(copy, 'target')) close(w, weights(copy, 'online').get(k)!, 0, k);
  const rnd = buildNetworks(setupOf({ targetInit: 'random' }), data);
  const again = buildNetworks(setupOf({ targetInit: 'random' }), data);
  const online = weights(rnd, 'online');
  let differing = 0;
  for (const [k, w] of weights(rnd, 'target')) {
    close(w, weights(again, 'target').get(k)!, 0, `${k} is seeded`);
    const o = online.get(k)!;
    close(o, weights(copy, 'online').get(k)!, 0, `${k}: the online network does not change`);
    if (w.some((x, i) => x !== o[i])) {
      differing++;
      // Same initialiser: the spread of an independent draw matches the online one's (He-normal).
      const sd = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
      if (w.length >= 64) assert.ok(Math.abs(sd(w) / sd(o) - 1) < 0.35, `${k}: sd ${sd(w)} vs ${sd(o)}`);
    }
  }
  // Every weight matrix differs (BN γ = 1, β = 0 and zero biases are equal by construction).
  assert.equal(differing, [...online.keys()].filter((k) => /\.w$/.test(k)).length);
  for (const n of [copy, rnd, again]) disposeNetworks(n);
});

test('projector.bnAffine false (official): the projector BN keeps γ = 1, β = 0 through training; true trains them', async () => {
  const run = async (bnAffine: boolean) => {
    const setup = setupOf({ projector: { hidden: 16, out: 8, bnAffine }, predictor: { kind: 'linear' } });
    const nets = buildNetworks(setup, data);
    const batches = new BatchStream(data.pretrain, data, setup, stepPlan(setup, data.pretrain.count));
    for (let step = 0; step < 3; step++) {
      const [v1, v2] = batches.views(step);
      await trainStep(nets, setup, sgdHyper(setup), v1, v2, step);
      tf.dispose([v1, v2]);
    }
    const g = Array.from(nets.online.get('proj.bn.g')!.dataSync());
    const b = Array.from(nets.online.get('proj.bn.b')!.dataSync());
    const other = Array.from(nets.online.get('proj.l1.w')!.dataSync());
    disposeNetworks(nets);
    return { g, b, other };
  };
  const off = await run(false);
  close(off.g, off.g.map(() => 1), 0, 'γ');
  close(off.b, off.b.map(() => 0), 0, 'β');
  const on = await run(true);
  assert.ok(on.g.some((x) => x !== 1) && on.b.some((x) => x !== 0), 'with affine, γ and β train');
  assert.ok(off.other.some((x, i) => x !== on.other[i]), 'the rest trains in both');
});

test('optim.lastBatch "keep" (official): ⌈N/B⌉ steps per epoch, the last one smaller, every image once per epoch', { timeout: 120_000 }, async () => {
  const N = data.pretrain.count;
  assert.equal(N, 100, 'the synthetic pre-training split');
  const drop = stepPlan(setupOf(), N);
  const keepSetup = setupOf({ optim: { batchSize: 16, epochs: 3, lastBatch: 'keep' } });
  const keep = stepPlan(keepSetup, N);
  assert.equal(drop.stepsPerEpoch, 6);
  assert.equal(keep.stepsPerEpoch, 7);
  const s = new BatchStream(data.pretrain, data, keepSetup, keep);
  const seen = new Set<number>();
  for (let i = 0; i < keep.stepsPerEpoch; i++) for (const j of s.indices(i)) seen.add(j);
  assert.equal(seen.size, N, 'the last 4 images are trained on too');
  assert.equal(s.indices(6).length, 4);
  assert.deepEqual([5, 6, 7, 13].map((t) => batchSizeAt(keep, N, t)), [16, 4, 16, 4]);
  const [v1, v2] = s.views(6);
  assert.deepEqual(v1.shape, [4, 16, 16, 1]);
  tf.dispose([v1, v2]);
  // A whole run with it: 2 epochs = 14 steps, the small batches included.
  const events: TrainerEvent[] = [];
  const summary = await train(setupOf({ optim: { batchSize: 16, epochs: 2, lastBatch: 'keep' }, eval: { probeEpochs: 1, probeTrain: 32, probeTest: 32, spectraEvery: 7 } }), { backend: 'wasm', dataset: data, onEvent: (e) => events.push(e) });
  assert.equal(summary.outcome, 'completed', summary.error);
  assert.equal(summary.steps, 14);
  assert.equal(summary.epochs, 2);
  assert.ok(Number.isFinite(summary.finalLoss));
});

test('predictor.freqPhase: "first" (official, niter % freq == 0) sets W_p after step 0, freq, …; "last" after step freq − 1, …', async () => {
  for (const kind of ['directpred', 'directcopy'] as const) {
    const sets = async (freqPhase: 'first' | 'last') => {
      const nets = buildNetworks(setupOf({ predictor: { kind, freq: 3, freqPhase } }), data);
      const d = nets.d;
      const out: boolean[] = [];
      let fh: Float64Array | null = null;
      for (let step = 0; step < 7; step++) {
        // A batch correlation that turns from step to step, so every new W_p differs from the last.
        const c = new Float64Array(d * d);
        for (let i = 0; i < d; i++) c[i * d + i] = i + 1;
        c[1] = c[d] = 0.3 * (step + 1);
        const before = (await readWp(nets))!;
        fh = fHatStep(nets, fh, c, 0.5, step).fHat;
        const after = (await readWp(nets))!;
        out.push(after.some((x, i) => x !== before[i]));
      }
      disposeNetworks(nets);
      return out;
    };
    assert.deepEqual(await sets('first'), [true, false, false, true, false, false, true], kind);
    assert.deepEqual(await sets('last'), [false, false, true, false, false, true, false], kind);
  }
});

test('DirectCopy normalize: "none" is the official F̂ + εI, "lambda-max" is F̂/λ_max(F̂) + εI; the trainer uses the chosen one', async () => {
  const F = [4, 1, 0, 1, 3, 0, 0, 0, 2];
  const lmax = (7 + Math.sqrt(5)) / 2; // eigenvalues of [[4,1],[1,3]] and 2
  close(directCopyWeights(F, 3, 0.2, 'none'), F.map((x, i) => x + (i % 4 === 0 ? 0.2 : 0)), 1e-12);
  close(directCopyWeights(F, 3, 0.2, 'lambda-max'), F.map((x, i) => x / lmax + (i % 4 === 0 ? 0.2 : 0)), 1e-12);
  for (const normalize of ['none', 'lambda-max'] as const) {
    const nets = buildNetworks(setupOf({ predictor: { kind: 'directcopy', eps: 0.2, normalize } }), data);
    const d = nets.d;
    const c = Float64Array.from({ length: d * d }, (_, k) => (Math.floor(k / d) === k % d ? 5 + (k % d) : 0.5));
    const { fHat } = fHatStep(nets, null, c, 0.3, 0);
    close((await readWp(nets))!, directCopyWeights(fHat, d, 0.2, normalize), 1e-5, normalize);
    disposeNetworks(nets);
  }
  // DirectPred is untouched by the option (its p_j are divided by max s_j already).
  assert.ok(directPredWeights(F, 3, 0).every(Number.isFinite));
});

test('resume stays bit-exact with every official option on (sum loss, random target, no BN affine, kept last batch, first phase)', { timeout: 120_000 }, async () => {
  const s = setupOf({
    targetInit: 'random',
    projector: { hidden: 16, out: 8, bnAffine: false },
    predictor: { kind: 'directpred', freq: 2, freqPhase: 'first' },
    optim: { batchSize: 16, epochs: 2, lastBatch: 'keep', lr: 0.05 },
    eval: { probeEpochs: 1, probeTrain: 32, probeTest: 32, spectraEvery: 1 },
  });
  const AT = 6; // the checkpoint falls before the epoch's small last batch
  const full: TrainerEvent[] = [];
  let bytes: Buffer | null = null;
  await train(s, { backend: 'wasm', dataset: data, checkpointEvery: AT, onEvent: (e) => full.push(e), onCheckpoint: (c) => void (bytes ??= encodeCheckpoint(c)) });
  assert.ok(bytes);
  const resumed: TrainerEvent[] = [];
  await train(s, { backend: 'wasm', dataset: data, resumeFrom: decodeCheckpoint(bytes), onEvent: (e) => resumed.push(e) });
  const after = (ev: TrainerEvent[]) => ev.flatMap((e): unknown[] => {
    if (e.type === 'scalars' && e.step > AT) {
      const { imagesPerSec: _i, ...values } = e.values;
      return [{ step: e.step, values }];
    }
    return e.type === 'spectra' && e.step > AT ? [e] : [];
  });
  assert.ok(after(full).length >= 2 * (14 - AT));
  assert.deepEqual(after(resumed), after(full));
});
