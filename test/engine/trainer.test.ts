import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { train, encodeCheckpoint, decodeCheckpoint, type Checkpoint } from '../../src-main/engine/trainer.ts';
import { parseSetup, type SetupInput } from '../../src-main/common/setup.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

/** A tiny setup that trains in seconds on the wasm backend. */
function tiny(over: SetupInput = {}): SetupInput {
  return {
    data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train: 512, test: 128 } },
    encoder: { kind: 'convnet', widths: [8, 16] },
    projector: { hidden: 32, out: 16 },
    optim: { batchSize: 32, epochs: 20, maxSteps: 12 },
    eval: { probeEpochs: 5, probeTrain: 256, probeTest: 128, spectraEvery: 4 },
    ...over,
  };
}

function merge(a: SetupInput, b: Record<string, unknown>): SetupInput {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...prev, ...v } : v;
  }
  return out as SetupInput;
}

/**
 * Trains on one wasm thread: npm test runs two files at a time on two cores, and these tiny models
 * gain nothing from a second thread that has to share a core (1 vs 2 threads: threads.test.ts).
 */
async function run(input: SetupInput, extra: Parameters<typeof train>[1] = {}) {
  const events: TrainerEvent[] = [];
  const summary = await train(parseSetup(input), { backend: 'wasm', threads: 1, ...extra, onEvent: (e) => { events.push(e); extra.onEvent?.(e); } });
  const losses = events.flatMap((e) => (e.type === 'scalars' ? [e.values.loss!] : []));
  const stds = events.flatMap((e) => (e.type === 'scalars' ? [e.values.collapseStd!] : []));
  return { summary, events, losses, stds };
}

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

test('30 steps on synthetic data lower the loss, and the run reports every metric', async () => {
  const { summary, losses, events } = await run(merge(tiny(), { predictor: { kind: 'linear' }, optim: { maxSteps: 30, lr: 0.05 } }));
  assert.equal(summary.outcome, 'completed');
  assert.equal(summary.steps, 30);
  assert.equal(summary.backend, 'wasm');
  assert.ok(mean(losses.slice(-5)) < mean(losses.slice(0, 5)), `loss ${mean(losses.slice(0, 5))} → ${mean(losses.slice(-5))}`);
  const sp = events.filter((e) => e.type === 'spectra');
  assert.ok(sp.length >= 7);
  const last = sp.at(-1)!;
  assert.equal(last.type === 'spectra' && last.fEig.length, 16);
  assert.equal(last.type === 'spectra' && last.alignment.length, 16);
  assert.ok(summary.probeAcc !== null && summary.probeAcc > 0.25, `probe ${summary.probeAcc}`);
  assert.ok(summary.knnAcc !== null && summary.knnAcc > 0.25, `knn ${summary.knnAcc}`);
  assert.ok(summary.effectiveRank !== null && summary.effectiveRank >= 1);
});

test('tensor count does not grow across training steps', async () => {
  const counts: number[] = [];
  await run(merge(tiny(), { optim: { maxSteps: 10 } }), {
    onEvent: (e) => {
      if (e.type === 'scalars') counts.push(tf.memory().numTensors);
    },
  });
  // The last step queues no next step's inputs (views, target outputs): it holds fewer.
  const steady = counts.slice(2, -1);
  assert.ok(steady.length >= 6);
  assert.ok(counts[counts.length - 1]! < steady[0]!, `tensor counts per step: ${counts.join(',')}`);
  assert.ok(steady.every((c) => c === steady[0]), `tensor counts per step: ${counts.join(',')}`);
});

test('a NaN loss stops the run as diverged, with the step', async () => {
  const { summary } = await run(merge(tiny(), { loss: 'mse', predictor: { kind: 'linear' }, optim: { lr: 9, momentum: 0.99, maxSteps: 40 } }));
  assert.equal(summary.outcome, 'diverged');
  assert.equal(typeof summary.divergedAtStep, 'number');
  assert.match(summary.error ?? '', /step/);
});

test('cancel ends the run after the current step', async () => {
  const ac = new AbortController();
  const { summary } = await run(tiny(), {
    signal: ac.signal,
    onEvent: (e) => {
      if (e.type === 'scalars' && e.step === 3) ac.abort();
    },
  });
  assert.equal(summary.outcome, 'cancelled');
  assert.equal(summary.steps, 3);
});

test('resuming from a checkpoint continues exactly', async () => {
  const setup = tiny();
  const full = await run(setup);
  let ckpt: Checkpoint | null = null;
  const ac = new AbortController();
  await run(setup, {
    checkpointEvery: 6,
    onCheckpoint: (c) => {
      ckpt = decodeCheckpoint(encodeCheckpoint(c));
      ac.abort();
    },
    signal: ac.signal,
  });
  assert.ok(ckpt);
  assert.equal((ckpt as Checkpoint).step, 6);
  const resumed = await run(setup, { resumeFrom: ckpt! });
  assert.equal(resumed.losses.length, 6);
  resumed.losses.forEach((l, i) => assert.ok(Math.abs(l - full.losses[6 + i]!) < 1e-5, `step ${7 + i}: ${l} vs ${full.losses[6 + i]}`));
  assert.ok(Math.abs(resumed.summary.probeAcc! - full.summary.probeAcc!) < 1e-9);
  // The summary's loss and collapse indicator average the last 10 steps, some of them before the checkpoint.
  assert.ok(Math.abs(resumed.summary.finalLoss! - full.summary.finalLoss!) < 1e-5, `finalLoss ${resumed.summary.finalLoss} vs ${full.summary.finalLoss}`);
  assert.ok(Math.abs(resumed.summary.collapseStd! - full.summary.collapseStd!) < 1e-5, `collapseStd ${resumed.summary.collapseStd} vs ${full.summary.collapseStd}`);
});

test('collapse: no predictor trends to collapse while DirectPred does not', async () => {
  const base = merge(tiny(), { optim: { maxSteps: 120, weightDecay: 0, predictorWeightDecay: 0 }, eval: { probeEpochs: 1, probeTrain: 64, probeTest: 64 } });
  const none = await run(merge(base, { method: 'byol', predictor: { kind: 'none' } }));
  const dp = await run(merge(base, { method: 'byol', predictor: { kind: 'directpred' } }));
  const head = (a: number[]) => mean(a.slice(0, 20));
  const tail = (a: number[]) => mean(a.slice(-20));
  // Indicator = std of l2-normalised outputs × √d: 1 healthy, 0 collapsed.
  assert.ok(tail(none.stds) < 0.85 * head(none.stds), `none: ${head(none.stds)} → ${tail(none.stds)}`);
  // DirectPred settles after its first W_p updates and then holds its level.
  const mid = (a: number[]) => mean(a.slice(40, 60));
  assert.ok(tail(dp.stds) > 0.9 * mid(dp.stds), `directpred: ${mid(dp.stds)} → ${tail(dp.stds)}`);
  assert.ok(tail(dp.stds) > tail(none.stds) + 0.1, `directpred ${tail(dp.stds)} vs none ${tail(none.stds)}`);
});

test('without stop-gradient, SimSiam collapses fastest', async () => {
  const base = merge(tiny(), { method: 'simsiam', optim: { maxSteps: 60 }, eval: { probeEpochs: 1, probeTrain: 64, probeTest: 64 } });
  const noSg = await run(merge(base, { stopGradient: false, predictor: { kind: 'linear' } }));
  const sg = await run(merge(base, { stopGradient: true, predictor: { kind: 'linear' } }));
  const tail = (a: number[]) => mean(a.slice(-10));
  assert.ok(tail(noSg.stds) < 0.5 * tail(sg.stds), `no stop-grad ${tail(noSg.stds)} vs stop-grad ${tail(sg.stds)}`);
});

test('the optimal predictor (Table 1) trains, repeats bit for bit, and resumes exactly with its cross-correlation', async () => {
  const setup = merge(tiny(), { predictor: { kind: 'optimal', rho: 0.3, freq: 1 } });
  const full = await run(setup);
  assert.equal(full.summary.outcome, 'completed');
  assert.equal(full.losses.length, 12);
  assert.ok(full.losses.every(Number.isFinite));
  const again = await run(setup);
  assert.deepEqual(again.losses, full.losses);
  // W_p is set from the least-squares solve: a general (non-symmetric) matrix, as the rule gives.
  const last = full.events.filter((e) => e.type === 'spectra').at(-1);
  assert.ok(last && last.type === 'spectra' && last.wpEig.length === 16 && last.asymmetry > 1e-4, `asymmetry ${last && last.type === 'spectra' ? last.asymmetry : '?'}`);
  let ckpt: Checkpoint | null = null;
  const ac = new AbortController();
  await run(setup, { checkpointEvery: 6, onCheckpoint: (c) => { ckpt = decodeCheckpoint(encodeCheckpoint(c)); ac.abort(); }, signal: ac.signal });
  assert.ok(ckpt);
  // F̂ stacked over Ĉ: 2d × d.
  assert.deepEqual((ckpt as Checkpoint).tensors['fhat']!.shape, [32, 16]);
  const resumed = await run(setup, { resumeFrom: ckpt! });
  resumed.losses.forEach((l, i) => assert.ok(Math.abs(l - full.losses[6 + i]!) < 1e-5, `step ${7 + i}: ${l} vs ${full.losses[6 + i]}`));
});

test('every predictor kind trains; DirectPred aligns W_p with F, symmetric regularisation keeps W_p symmetric', async () => {
  const kinds: Record<string, unknown>[] = [
    { kind: 'none' },
    { kind: 'linear', bias: true },
    { kind: 'linear', symmetric: true },
    { kind: 'mlp', hidden: 24 },
    { kind: 'directpred', freq: 1 },
    { kind: 'directpred', freq: 3 },
    { kind: 'directcopy' },
    { kind: 'optimal' },
  ];
  for (const predictor of kinds) {
    const { summary, events } = await run(merge(tiny(), { predictor, optim: { maxSteps: 6 }, eval: { spectraEvery: 3, probeEpochs: 1 } }));
    assert.equal(summary.outcome, 'completed', JSON.stringify(predictor));
    assert.ok(Number.isFinite(summary.finalLoss), JSON.stringify(predictor));
    const last = events.filter((e) => e.type === 'spectra').at(-1);
    assert.ok(last && last.type === 'spectra');
    if (predictor.kind === 'none' || predictor.kind === 'mlp') assert.equal(last.wpEig.length, 0);
    else assert.equal(last.wpEig.length, 16);
    if (predictor.kind === 'directpred' && predictor.freq === 1) {
      // W_p = U diag(p) Uᵀ from F̂'s own eigenvectors: cos(W_p u_j, u_j) = 1 for every mode.
      assert.ok(last.alignment.every((a) => a > 0.999), `alignment ${last.alignment}`);
      assert.ok(last.asymmetry < 1e-6);
      assert.ok(Math.abs(last.wpEig[0]! - 1.1) < 1e-3, `largest p_j = 1 + ε, got ${last.wpEig[0]}`);
    }
    if (predictor.kind === 'linear' && predictor.symmetric) assert.ok(last.asymmetry < 1e-6);
    if (predictor.kind === 'linear' && !predictor.symmetric) assert.ok(last.asymmetry > 1e-3);
  }
});

test('colour input (32×32×3) trains with colour jitter and grayscale', async () => {
  const { summary } = await run(
    merge(tiny(), { data: { dataset: 'synthetic', synthetic: { size: 32, channels: 3, classes: 4, train: 256, test: 64 } }, optim: { maxSteps: 4 }, eval: { probeEpochs: 1 } }),
  );
  assert.equal(summary.outcome, 'completed');
  assert.ok(Number.isFinite(summary.finalLoss));
});

test('a whole run, evaluation included, leaves no tensors behind', async () => {
  const before = tf.memory().numTensors;
  await run(merge(tiny(), { optim: { maxSteps: 3 }, eval: { probeEpochs: 2 } }));
  assert.equal(tf.memory().numTensors, before);
});
