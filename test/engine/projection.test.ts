/**
 * The representation picture in the engine: the stratified, seeded subset of evaluation images, the
 * projection of features with known class structure, which checkpoints record one (spread, capped),
 * and a short real training run (wasm) that records a picture at random init, at a checkpoint and
 * at its end into a real archive.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectionOf, stratifiedSubset } from '../../src-main/engine/train/projection.ts';
import { Rng } from '../../src-main/math/seeds.ts';
import { train, type Checkpoint } from '../../src-main/engine/trainer.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { checkpointPictureDue, PROJECTION_CHECKPOINT_MAX, type ProjectionEvent, type TrainerEvent } from '../../src-main/common/events.ts';
import { setupFrom, tinyBase } from './tiny.ts';

test('stratifiedSubset: classes as equal as they allow, unlabelled skipped, bounded, the same for a seed', () => {
  // 3 classes of 300, 100 and 20 images, and 50 unlabelled (−1).
  const labels = [...Array(300).fill(0), ...Array(100).fill(1), ...Array(20).fill(2), ...Array(50).fill(-1)];
  const s = stratifiedSubset(labels, 150, 5);
  assert.equal(s.length, 150);
  const count = [0, 0, 0];
  for (const i of s) count[labels[i]!]!++;
  // Class 2 gives all it has (20); the other two split the rest evenly (65 each).
  assert.deepEqual(count, [65, 65, 20]);
  assert.equal(new Set(s).size, s.length, 'no image twice');
  assert.deepEqual(stratifiedSubset(labels, 150, 5), s, 'deterministic for a seed');
  assert.notDeepEqual(stratifiedSubset(labels, 150, 6), s, 'another seed draws other images');
  // Interleaved: the first 3 points are one of each class.
  assert.deepEqual([...s.slice(0, 3)].map((i) => labels[i]).sort(), [0, 1, 2]);
  // Fewer labelled images than asked for: all of them.
  assert.equal(stratifiedSubset(labels, 10_000, 5).length, 420);
});

test('projectionOf: features of two separated classes fall apart on PC1, and the numbers say how much', () => {
  const n = 200;
  const dim = 24;
  const rng = new Rng(9);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    // Class means ±4 along dimension 3; unit noise everywhere else.
    for (let k = 0; k < dim; k++) x[i * dim + k] = 0.3 * rng.normal() + (k === 3 ? (y[i] ? 4 : -4) : 0);
  }
  const positions = stratifiedSubset(y, 500, 1);
  const p = projectionOf({ x, y, n, dim }, positions, ['cats', 'dogs']);
  assert.equal(p.x.length, n);
  assert.deepEqual(p.classNames, ['cats', 'dogs']);
  // Every point of one class on one side of PC1, the other class on the other.
  const sides = [new Set<number>(), new Set<number>()];
  p.labels.forEach((c, i) => sides[c]!.add(Math.sign(p.x[i]!)));
  assert.equal(sides[0]!.size, 1);
  assert.equal(sides[1]!.size, 1);
  assert.notDeepEqual([...sides[0]!], [...sides[1]!]);
  // The class split holds almost all variance: 16 of 16 + 24 · 0.09.
  assert.ok(Math.abs(p.explained[0] - 16 / (16 + dim * 0.09)) < 0.05, `PC1 explains ${p.explained[0]}`);
  // Unnamed classes get names.
  assert.deepEqual(projectionOf({ x, y, n, dim }, positions, []).classNames, ['class 0', 'class 1']);
  assert.throws(() => projectionOf({ x, y, n, dim }, Int32Array.of(n), []), /position 200 is outside the 200 evaluated images/);
});

test('checkpoint pictures: at most PROJECTION_CHECKPOINT_MAX per run, spread over it, never at step 0 or the end', () => {
  const rng = new Rng(4);
  for (let k = 0; k < 400; k++) {
    const total = 1 + rng.int(20_000);
    const every = 1 + rng.int(k % 2 ? 50 : 2_000);
    const due: number[] = [];
    for (let s = every; s < total; s += every) if (checkpointPictureDue(s, every, total)) due.push(s);
    assert.ok(due.length <= PROJECTION_CHECKPOINT_MAX, `${due.length} pictures for ${total} steps, a checkpoint every ${every}`);
    // As many as the checkpoints allow: one per span of the run that holds a checkpoint.
    const spans = new Set<number>();
    for (let s = every; s < total; s += every) spans.add(Math.floor((s * (PROJECTION_CHECKPOINT_MAX + 1)) / total));
    spans.delete(0);
    assert.equal(due.length, spans.size, `${total} steps, every ${every}`);
  }
  // 100 000 steps, a checkpoint every 100: eight pictures, about one per ninth of the run.
  const due = Array.from({ length: 999 }, (_, i) => (i + 1) * 100).filter((s) => checkpointPictureDue(s, 100, 100_000));
  assert.deepEqual(due, [11_200, 22_300, 33_400, 44_500, 55_600, 66_700, 77_800, 88_900]);
  for (const [s, e, t] of [[0, 10, 100], [100, 10, 100], [15, 10, 100], [10, 0, 100], [10, 10, 0], [10, -5, 100]]) assert.equal(checkpointPictureDue(s!, e!, t!), false, `${s}, ${e}, ${t}`);
});

test('a short real training run records its picture at random init, at a checkpoint and at the end, the same on a rerun and after a resume', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-projection-'));
  try {
    const setup = setupFrom(tinyBase(128), { optim: { batchSize: 16, epochs: 1, maxSteps: 6 } });
    const a = openArchive(join(dir, 'a.sqlite'));
    const run = a.createRun({ setup: setup as unknown as Record<string, unknown>, setupHash: 'h', seed: setup.seed, status: 'running' });
    const events: TrainerEvent[] = [];
    let checkpoint: Checkpoint | undefined;
    const summary = await train(setup, { backend: 'wasm', onEvent: (e) => events.push(e), checkpointEvery: 3, onCheckpoint: (c) => void (checkpoint ??= c) });
    assert.equal(summary.outcome, 'completed');
    a.appendEvents(run.uuid, events);
    const stored = a.getProjections(run.uuid);
    assert.deepEqual(stored.map((p) => p.step), [0, 3, 6], 'a picture at random init, at the step-3 checkpoint and at the end');
    for (const p of stored) {
      // The probe's 32 test images (tinyBase), 4 classes, each class present.
      assert.equal(p.x.length, 32);
      assert.equal(p.y.length, 32);
      assert.deepEqual(p.classNames, ['class 0', 'class 1', 'class 2', 'class 3']);
      assert.deepEqual([...new Set(p.labels)].sort(), [0, 1, 2, 3]);
      assert.ok(p.explained[0]! > 0 && p.explained[0]! <= 1 && p.explained[1]! <= p.explained[0]!, `explained ${p.explained}`);
      assert.ok(p.totalVariance! > 0 && p.relativeVariance! > 0 && p.relativeVariance! <= 1);
    }
    // Each evaluation's picture is emitted before its accuracies; the checkpoint's has no evaluation.
    const kinds = events.filter((e) => e.type === 'projection' || e.type === 'eval').map((e) => `${e.type}@${(e as { step: number }).step}`);
    assert.deepEqual(kinds, ['projection@0', 'eval@0', 'projection@3', 'projection@6', 'eval@6']);
    // The checkpoint's picture shows the same images, in the same order, as the evaluations' pictures.
    assert.deepEqual(stored[1]!.labels, stored[0]!.labels);
    assert.deepEqual(stored[1]!.labels, stored[2]!.labels);
    assert.notDeepEqual(stored[1]!.x, stored[0]!.x, 'three steps of training moved the features');
    a.close();
    // The same setup again: the same picture (seeded subset, fixed signs).
    const again: ProjectionEvent[] = [];
    await train(setup, { backend: 'wasm', onEvent: (e) => e.type === 'projection' && again.push(e) });
    const first = events.find((e): e is ProjectionEvent => e.type === 'projection' && e.step === 6)!;
    const second = again.find((e) => e.step === 6)!;
    assert.deepEqual(second.labels, first.labels);
    for (let i = 0; i < first.x.length; i++) {
      assert.ok(Math.abs(second.x[i]! - first.x[i]!) < 1e-4 * (1 + Math.abs(first.x[i]!)), `point ${i}: x ${first.x[i]} vs ${second.x[i]}`);
      assert.ok(Math.abs(second.y[i]! - first.y[i]!) < 1e-4 * (1 + Math.abs(first.y[i]!)), `point ${i}: y ${first.y[i]} vs ${second.y[i]}`);
    }
    // Resumed from its step-3 checkpoint, the run ends with the same picture, bit for bit (resume is exact).
    assert.equal(checkpoint?.step, 3);
    const resumed: ProjectionEvent[] = [];
    await train(setup, { backend: 'wasm', resumeFrom: checkpoint!, onEvent: (e) => e.type === 'projection' && resumed.push(e) });
    assert.deepEqual(resumed.map((p) => p.step), [6], 'a resumed run draws no second random-init picture');
    assert.deepEqual(resumed[0], first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
