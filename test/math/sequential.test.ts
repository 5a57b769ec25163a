/**
 * The sequential interval keeps its error rate when it is read after every round of seeds, where a
 * fixed-n t interval re-read each round does not (optional stopping). 10⁴ seeded sequences of
 * normal paired differences with a known mean, looks at 3, 5, 8, 12 seeds; the tolerance is three
 * binomial standard errors of 10⁴ trials.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src-main/math/random.ts';
import { looksAt, nextLook, sequentialInterval, spent, tBoundaries, type SequentialDesign } from '../../src-main/math/sequential.ts';
import { meanInterval } from '../../src-main/math/stats.ts';

const TRIALS = 10_000;
const MAX = 12;
const LOOKS = [3, 5, 8, 12];
const tol = (p: number) => 3 * Math.sqrt((p * (1 - p)) / TRIALS);

/** Share of sequences in which `bad(ci)` happens at some look (the rounds stop at the first). */
function monitored(mean: number, std: number, interval: (xs: number[]) => [number, number] | null, bad: (ci: [number, number]) => boolean, seed: number): number {
  const rng = new SeededRandom(seed);
  let hits = 0;
  for (let k = 0; k < TRIALS; k++) {
    const xs: number[] = [];
    for (const look of LOOKS) {
      while (xs.length < look) xs.push(mean + std * rng.normal());
      const ci = interval(xs);
      if (ci && bad(ci)) {
        hits++;
        break;
      }
    }
  }
  return hits / TRIALS;
}

const design = (alpha: number): SequentialDesign => ({ maxSeeds: MAX, alpha, spending: 'pocock' });
const seq = (alpha: number) => (xs: number[]) => sequentialInterval(xs, design(alpha)).ci;
const fixed = (alpha: number) => (xs: number[]) => meanInterval(xs, 1 - alpha).ci;

test('looks and spending: the schedule below the maximum, then the maximum; all of α spent at N', () => {
  assert.deepEqual(looksAt(12, 12), [3, 5, 8, 12]);
  assert.deepEqual(looksAt(7, 12), [3, 5, 7]);
  assert.deepEqual(looksAt(10, 10), [3, 5, 8, 10]);
  assert.deepEqual(looksAt(14, 12), [3, 5, 8, 12, 14], 'more seeds than planned: the design stretches to them');
  assert.equal(nextLook(0, 12), 3);
  assert.equal(nextLook(5, 12), 8);
  assert.equal(nextLook(8, 10), 10);
  assert.equal(nextLook(12, 12), null);
  assert.ok(Math.abs(spent('pocock', 0.05, 1) - 0.05) < 1e-15);
  assert.ok(Math.abs(spent('obrien-fleming', 0.05, 1) - 0.05) < 1e-12);
  assert.ok(spent('obrien-fleming', 0.05, 0.25) < spent('pocock', 0.05, 0.25), "O'Brien–Fleming spends less early");
  const c = tBoundaries([3, 5, 8, 12], design(0.05));
  for (let k = 1; k < c.length; k++) assert.ok(c[k]! < c[k - 1]!, `boundaries fall as seeds add up: ${c.join(', ')}`);
  // Every look is stricter than the fixed-n 97.5% t quantile at the same n (4.30, 2.78, 2.36, 2.20).
  [4.303, 2.776, 2.365, 2.201].forEach((q, k) => assert.ok(c[k]! > q, `look ${LOOKS[k]}: ${c[k]} ≤ ${q}`));
  assert.deepEqual(tBoundaries([3, 5], design(0.05)), c.slice(0, 2), 'fewer looks of the same design: the same boundaries');
});

test('true mean 0, read after every round: the sequential interval claims an effect at rate ≤ α, the fixed-n t interval does not', () => {
  const alpha = 0.05;
  const wrong = (ci: [number, number]) => ci[0] > 0 || ci[1] < 0;
  const s = monitored(0, 1, seq(alpha), wrong, 1);
  const f = monitored(0, 1, fixed(alpha), wrong, 1);
  console.log(`mean 0: sequential ${s}, fixed-n t re-read ${f}`);
  assert.ok(s <= alpha + tol(alpha), `sequential: ${s} > ${alpha} + ${tol(alpha).toFixed(4)}`);
  assert.ok(f > alpha + tol(alpha), `fixed-n t re-read each round: ${f} should exceed ${alpha}`);
  // The same sequences, every interval seen: the repeated intervals cover 0 together at ≥ 1 − α.
  assert.ok(s > alpha / 3, `sequential: ${s} — the test would pass with an interval that never decides`);
});

test('superiority at the margin δ (true mean = δ): claimed at rate ≤ α/2; the re-read fixed-n interval exceeds it', () => {
  const alpha = 0.05;
  const delta = 0.02;
  const above = (ci: [number, number]) => ci[0] > delta;
  const s = monitored(delta, 0.01, seq(alpha), above, 2);
  const f = monitored(delta, 0.01, fixed(alpha), above, 2);
  console.log(`mean = margin: sequential ${s}, fixed-n t re-read ${f}`);
  assert.ok(s <= alpha / 2 + tol(alpha / 2), `sequential: ${s}`);
  assert.ok(f > alpha / 2 + tol(alpha / 2), `fixed-n: ${f}`);
});

test('equivalence (two one-sided tests) at the margin: "equivalent" at rate ≤ α when the true mean is δ; re-read fixed-n TOST exceeds α', () => {
  const alpha = 0.05;
  const delta = 1;
  // Schuirmann: equivalent at level α when the (1 − 2α) interval lies inside (−δ, δ).
  const inside = (ci: [number, number]) => ci[0] > -delta && ci[1] < delta;
  const s = monitored(delta, 1, seq(2 * alpha), inside, 3);
  const f = monitored(delta, 1, fixed(2 * alpha), inside, 3);
  console.log(`mean = equivalence margin: sequential ${s}, fixed-n TOST re-read ${f}`);
  assert.ok(s <= alpha + tol(alpha), `sequential: ${s}`);
  assert.ok(f > alpha + tol(alpha), `fixed-n: ${f}`);
});
