// Resume is bit-exact for every predictor kind (issue 15 item 4): a run resumed from a checkpoint —
// through its byte encoding, as the archive stores it — reports exactly the losses, metrics,
// spectra, evaluations and summary of the same run left alone. F̂ is held in float64, so it must be
// checkpointed in float64 (a float32 copy made DirectPred/DirectCopy drift by up to 1e-3).
import test from 'node:test';
import assert from 'node:assert/strict';
import { train, encodeCheckpoint, decodeCheckpoint, type Checkpoint } from '../../src-main/engine/trainer.ts';
import { parseSetup, PREDICTOR_KINDS, type SetupInput } from '../../src-main/common/setup.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

const STEPS = 10;
const AT = 5;

function setup(kind: (typeof PREDICTOR_KINDS)[number]): SetupInput {
  return {
    seed: 11,
    data: { dataset: 'synthetic', synthetic: { size: 8, channels: 1, classes: 4, train: 256, test: 64 } },
    encoder: { kind: 'convnet', widths: [4, 8] },
    projector: { hidden: 16, out: 8 },
    predictor: { kind } as SetupInput['predictor'],
    optim: { batchSize: 32, epochs: 20, maxSteps: STEPS, lr: 0.05 },
    eval: { probeEpochs: 3, probeTrain: 64, probeTest: 32, spectraEvery: 1, everyEpochs: 1 },
  };
}

/** Everything a run reports that does not depend on the clock. */
function record(events: TrainerEvent[], after: number) {
  const out: unknown[] = [];
  for (const e of events) {
    if (e.type === 'scalars' && e.step > after) {
      const { imagesPerSec: _t, ...values } = e.values;
      out.push({ scalars: e.step, values });
    } else if ((e.type === 'spectra' || e.type === 'eval') && e.step > after) out.push(e);
  }
  return out;
}

function summaryOf(events: TrainerEvent[]) {
  const f = events.find((e) => e.type === 'finished');
  assert.ok(f && f.type === 'finished');
  const { wallSec: _w, imagesPerSec: _i, ...rest } = f.summary;
  return rest;
}

for (const kind of PREDICTOR_KINDS) {
  test(`${kind}: resumed from the checkpoint at step ${AT}, the run reports exactly what it reports left alone`, { timeout: 120_000 }, async () => {
    const s = parseSetup(setup(kind));
    const full: TrainerEvent[] = [];
    let bytes: Buffer | null = null;
    await train(s, { backend: 'wasm', checkpointEvery: AT, onEvent: (e) => full.push(e), onCheckpoint: (c: Checkpoint) => void (bytes ??= encodeCheckpoint(c)) });
    assert.ok(bytes, 'a checkpoint was taken');
    const ckpt = decodeCheckpoint(bytes);
    assert.equal(ckpt.step, AT);
    const resumed: TrainerEvent[] = [];
    await train(s, { backend: 'wasm', resumeFrom: ckpt, onEvent: (e) => resumed.push(e) });
    assert.ok(record(full, AT).length >= 2 * (STEPS - AT) + 1, 'scalars and spectra of every step after the checkpoint, and an evaluation');
    assert.deepEqual(record(resumed, AT), record(full, AT));
    assert.deepEqual(summaryOf(resumed), summaryOf(full));
  });
}

test('a checkpoint keeps float64 state in float64 and float32 tensors in float32, bit for bit', () => {
  const f64 = Float64Array.from([Math.PI, 1 / 3, -1e-300, 2 ** 60 + 1]);
  const f32 = Float32Array.from([1.1, -2.5, 3e-38]);
  const c = decodeCheckpoint(encodeCheckpoint({ step: 3, epoch: 0.5, setupHash: 'h', state: { recentLoss: [0.1 + 0.2] }, tensors: { fhat: { shape: [2, 2], data: f64 }, 'online/w': { shape: [3], data: f32 } } }));
  assert.ok(c.tensors.fhat!.data instanceof Float64Array);
  assert.deepEqual([...c.tensors.fhat!.data], [...f64]);
  assert.ok(c.tensors['online/w']!.data instanceof Float32Array);
  assert.deepEqual([...c.tensors['online/w']!.data], [...f32]);
  assert.deepEqual(c.state, { recentLoss: [0.1 + 0.2] });
});
