/**
 * Seeds trained as one group (trainer.ts trainGroup, train/group.ts) against the same seeds trained
 * alone: every member's events, checkpoints and summary must be its solo run's, bit for bit (only
 * timings may differ). Real tfjs wasm on one thread, tiny seeded runs.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { train, trainGroup, groupable, type Checkpoint } from '../../src-main/engine/trainer.ts';
import { parseSetup, type Setup, type SetupInput } from '../../src-main/common/setup.ts';
import type { RunSummary, TrainerEvent } from '../../src-main/common/events.ts';

function tiny(over: Record<string, unknown> = {}): SetupInput {
  const base: Record<string, unknown> = {
    data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train: 160, test: 64 } },
    encoder: { kind: 'convnet', widths: [4, 8] },
    projector: { hidden: 16, out: 8 },
    optim: { batchSize: 16, epochs: 20, maxSteps: 8 },
    eval: { probeEpochs: 2, probeTrain: 64, probeTest: 32, spectraEvery: 4, everyEpochs: 0 },
  };
  for (const [k, v] of Object.entries(over)) {
    const prev = base[k];
    base[k] = prev && typeof prev === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...prev, ...v } : v;
  }
  return base as SetupInput;
}

/** What a run is compared on: every event but timings, its checkpoints' tensors, its summary but timings. */
interface Record_ {
  events: TrainerEvent[];
  checkpoints: Checkpoint[];
  summary: RunSummary;
}

/** Timings differ between a group and a solo run (and between any two runs): blanked before comparing. */
function untimed(e: TrainerEvent): unknown {
  if (e.type === 'scalars') {
    const { imagesPerSec: _i, ...values } = e.values;
    return { ...e, values };
  }
  if (e.type === 'progress') return { ...e, etaSec: null };
  if (e.type === 'finished') return { ...e, summary: untimedSummary(e.summary) };
  return e;
}

function untimedSummary(s: RunSummary): unknown {
  return { ...s, imagesPerSec: null, wallSec: null };
}

const opts = { backend: 'wasm' as const, threads: 1, checkpointEvery: 4 };

async function solo(setup: Setup): Promise<Record_> {
  const events: TrainerEvent[] = [];
  const checkpoints: Checkpoint[] = [];
  const summary = await train(setup, { ...opts, onEvent: (e) => events.push(e), onCheckpoint: (c) => void checkpoints.push(c) });
  return { events, checkpoints, summary };
}

async function grouped(setups: Setup[], onEvent?: (m: number, e: TrainerEvent) => void): Promise<Record_[]> {
  const out: { events: TrainerEvent[]; checkpoints: Checkpoint[] }[] = setups.map(() => ({ events: [], checkpoints: [] }));
  const summaries = await trainGroup(setups, {
    ...opts,
    onEvent: (m, e) => {
      out[m]!.events.push(e);
      onEvent?.(m, e);
    },
    onCheckpoint: (m, c) => void out[m]!.checkpoints.push(c),
  });
  return out.map((o, m) => ({ ...o, summary: summaries[m]! }));
}

function assertSame(a: Record_, b: Record_, label: string): void {
  assert.deepEqual(b.events.map(untimed), a.events.map(untimed), `${label}: events`);
  assert.deepEqual(untimedSummary(b.summary), untimedSummary(a.summary), `${label}: summary`);
  assert.equal(b.checkpoints.length, a.checkpoints.length, `${label}: checkpoints`);
  a.checkpoints.forEach((c, i) => {
    const g = b.checkpoints[i]!;
    assert.equal(g.step, c.step);
    assert.deepEqual(Object.keys(g.tensors).sort(), Object.keys(c.tensors).sort());
    for (const [k, t] of Object.entries(c.tensors)) {
      const u = g.tensors[k]!;
      assert.deepEqual(u.shape, t.shape, `${label}: ${k} shape`);
      for (let j = 0; j < t.data.length; j++) {
        if (!Object.is(u.data[j], t.data[j])) assert.fail(`${label}: checkpoint at step ${c.step}, ${k}[${j}]: group ${u.data[j]} vs solo ${t.data[j]}`);
      }
    }
  });
}

const seedsOf = (input: SetupInput, seeds: number[]) => seeds.map((seed) => parseSetup({ ...input, seed, name: `seed ${seed}` } as SetupInput));

test('BYOL + DirectPred: each of 3 seeds trained as a group equals its solo run, bit for bit', async () => {
  // The lab's claim arm: EMA target, DirectPred W_p from F̂ every step; probe and kNN at the end.
  const setups = seedsOf(tiny({ method: 'byol', predictor: { kind: 'directpred', rho: 0.3, eps: 0.1, freq: 1, bias: false } }), [3, 4, 5]);
  const g = await grouped(setups);
  for (const [m, s] of setups.entries()) {
    const alone = await solo(s);
    assert.equal(alone.summary.outcome, 'completed');
    assert.ok(alone.events.some((e) => e.type === 'spectra') && alone.summary.probeAcc !== null);
    assertSame(alone, g[m]!, `seed ${s.seed}`);
  }
});

test('SimSiam with an SGD linear W_p (symmetric), BYOL with the BN MLP predictor or a residual ConvNet: group equals solo', async () => {
  for (const patch of [
    { method: 'simsiam', stopGradient: true, predictor: { kind: 'linear', bias: false, symmetric: true } },
    // Widths not a multiple of 4 take the batch-norm kernels' scalar path; an MLP predictor has its own BN.
    { method: 'byol', predictor: { kind: 'mlp', hidden: 6 }, encoder: { kind: 'convnet', widths: [6, 8] }, loss: 'mse', lossReduction: 'mean' },
    // crossStats (Ĉ stacked under F̂) and the official code's random target init.
    { method: 'byol', targetInit: 'random', predictor: { kind: 'optimal', rho: 0.3, freq: 1, ridge: 0.01 } },
    // The residual ConvNet: groupable() accepts it, and group.ts mirrors its residual blocks.
    { method: 'byol', encoder: { kind: 'convnet', widths: [4, 8], residual: true } },
  ]) {
    const setups = seedsOf(tiny({ ...patch, optim: { maxSteps: 5 } }), [1, 2]);
    const g = await grouped(setups);
    for (const [m, s] of setups.entries()) assertSame(await solo(s), g[m]!, `${JSON.stringify(patch)}, seed ${s.seed}`);
  }
});

test('the same group trained twice gives identical results, and holds no more tensors as it steps', async () => {
  const setups = seedsOf(tiny({ method: 'byol', predictor: { kind: 'linear', bias: false, symmetric: false }, optim: { maxSteps: 10 } }), [7, 8]);
  const counts: number[] = [];
  const a = await grouped(setups, (m, e) => {
    if (m === 0 && e.type === 'scalars') counts.push(tf.memory().numTensors);
  });
  const b = await grouped(setups);
  for (const m of [0, 1]) assertSame(a[m]!, b[m]!, `run twice, member ${m}`);
  // The last step queues no next step's inputs: it holds fewer.
  const steady = counts.slice(2, -1);
  assert.ok(steady.length >= 6);
  assert.ok(steady.every((c) => c === steady[0]), `tensor counts per step: ${counts.join(',')}`);
});

test('cancelling a group ends every member after the current step, each as its solo run cancelled there', async () => {
  const setups = seedsOf(tiny({ method: 'byol', predictor: { kind: 'directpred', rho: 0.3, eps: 0.1, freq: 1, bias: false } }), [9, 10]);
  const cancelAt = (ac: AbortController) => (e: TrainerEvent) => {
    if (e.type === 'scalars' && e.step === 3) ac.abort();
  };
  const ac = new AbortController();
  const out: TrainerEvent[][] = [[], []];
  const summaries = await trainGroup(setups, { ...opts, signal: ac.signal, onEvent: (m, e) => { out[m]!.push(e); if (m === 1) cancelAt(ac)(e); } });
  for (const [m, s] of setups.entries()) {
    assert.equal(summaries[m]!.outcome, 'cancelled');
    assert.equal(summaries[m]!.steps, 3);
    const soloAc = new AbortController();
    const events: TrainerEvent[] = [];
    await train(s, { ...opts, signal: soloAc.signal, onEvent: (e) => { events.push(e); cancelAt(soloAc)(e); } });
    assert.deepEqual(out[m]!.map(untimed), events.map(untimed), `seed ${s.seed}`);
  }
});

test('groupable names why setups cannot train as one group; trainGroup refuses them', async () => {
  const base = tiny();
  const [s0, s1] = seedsOf(base, [0, 1]) as [Setup, Setup];
  assert.equal(groupable([s0, s1]), null);
  assert.equal(groupable([s0, s1], 'wasm'), null);
  assert.match(groupable([s0]) ?? '', /at least 2/);
  assert.match(groupable([s0, s1], 'webgpu') ?? '', /wasm.*webgpu/);
  const lr = parseSetup({ ...tiny({ optim: { lr: 0.01 } }), seed: 1 } as SetupInput);
  assert.match(groupable([s0, lr]) ?? '', /setup 1 differs .* 'optim\.lr'/);
  const widths = parseSetup({ ...tiny({ encoder: { kind: 'convnet', widths: [4, 12] } }), seed: 1 } as SetupInput);
  assert.match(groupable([s0, widths]) ?? '', /'encoder\.widths\[1\]'/);
  const resnet = seedsOf({ ...tiny(), encoder: { kind: 'resnet18' } } as SetupInput, [0, 1]);
  assert.match(groupable(resnet) ?? '', /resnet18.*ConvNet only/);
  await assert.rejects(trainGroup([s0, lr], { backend: 'wasm', threads: 1 }), /cannot train as a group: .*optim\.lr/);
});
