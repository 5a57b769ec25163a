// Issue 23: one comparison engine for sweeps and claims. Hand-computed small cases of
// `compareGroups` (pairing by seed, the baseline group of each group, the default margin, the
// verdict words) and a check that a sweep group and a claim test given the same numbers get the
// same interval and verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allDecided, compareGroups, judge, pairBySeed, type CompareRun } from '../../src-main/reproduce/compare.ts';
import { evaluateTest, type RunResult } from '../../src-main/reproduce/verdict.ts';

function run(kind: string, seed: number, probeAcc: number | null, extra: Record<string, unknown> = {}, status = 'completed'): CompareRun {
  return { status, setup: { seed, predictor: { kind }, optim: { weightDecay: 4e-4 }, ...extra }, summary: { probeAcc } };
}

// t quantile of 2 degrees of freedom at 0.975 (one look at 3 seeds spends all of α = 0.05).
const T2 = 4.302652729911275;
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (±${tol})`);

test('pairBySeed keeps seeds both sides hold with finite values, in seed order', () => {
  const a = new Map<number, number | null>([[2, 5], [0, 1], [1, 3], [7, null]]);
  const b = new Map<number, number | null>([[0, 0.5], [2, 4], [7, 1], [9, 1]]);
  assert.deepEqual(pairBySeed(a, b), [
    { seed: 0, a: 1, reference: 0.5, difference: 0.5 },
    { seed: 2, a: 5, reference: 4, difference: 1 },
  ]);
});

test('one axis: paired differences, the sequential interval (hand-computed) and the verdict at the seed-noise margin', () => {
  // none: 0.50, 0.52, 0.48 (std 0.02); linear: +0.20, +0.19, +0.21 on the same seeds (mean 0.20, std 0.01).
  const runs = [run('none', 0, 0.5), run('none', 1, 0.52), run('none', 2, 0.48), run('linear', 0, 0.7), run('linear', 1, 0.71), run('linear', 2, 0.69), run('linear', 3, null, {}, 'failed')];
  const groups = compareGroups(runs, { by: ['predictor.kind'], baseline: { path: 'predictor.kind', value: 'none' }, metric: 'probeAcc', direction: 'greater', maxSeeds: 3 });
  assert.equal(groups.length, 2);
  const [none, linear] = groups as [(typeof groups)[0], (typeof groups)[0]];
  assert.equal(none.isBaseline, true);
  assert.equal(none.word, 'baseline');
  assert.equal(linear.isBaseline, false);
  assert.deepEqual(linear.baselineKey, { 'predictor.kind': 'none' });
  assert.deepEqual(linear.pairs.map((p) => p.seed), [0, 1, 2], 'the failed seed-3 run has no pair');
  linear.pairs.forEach((p, i) => close(p.difference, [0.2, 0.19, 0.21][i]!, 1e-12, `difference of seed ${p.seed}`));
  close(linear.margin, 0.02, 1e-12, 'default margin = std over seeds of the baseline group');
  assert.equal(linear.marginSource, 'seed noise');
  const d = linear.difference!;
  close(d.mean, 0.2, 1e-12, 'mean difference');
  close(d.std, 0.01, 1e-12, 'std of the differences');
  // The boundary is simulated (α met to about ±0.001): the multiplier within 2% of t(2, 0.975).
  close(d.multiplier!, T2, 0.02 * T2, 'one look at 3 seeds: the fixed-sample t multiplier');
  const half = (T2 * 0.01) / Math.sqrt(3);
  close(d.ci![0], 0.2 - half, 0.001, 'lower end');
  close(d.ci![1], 0.2 + half, 0.001, 'upper end');
  assert.equal(linear.verdict, 'reproduced');
  assert.equal(linear.word, 'better');
  assert.match(linear.reason, /lies above \+0\.0200/);
  assert.equal(allDecided(groups), true);
});

test('a set margin: beyond the interval → not better; inside it → undecided; lower-is-better flips the side', () => {
  const runs = [run('none', 0, 0.5), run('none', 1, 0.52), run('none', 2, 0.48), run('linear', 0, 0.7), run('linear', 1, 0.71), run('linear', 2, 0.69)];
  const opts = { by: ['predictor.kind'], baseline: { path: 'predictor.kind', value: 'none' }, metric: 'probeAcc', direction: 'greater' as const, maxSeeds: 3 };
  const far = compareGroups(runs, { ...opts, margin: 0.3 })[1]!;
  assert.equal(far.marginSource, 'set');
  assert.equal(far.word, 'not better', far.reason);
  const near = compareGroups(runs, { ...opts, margin: 0.2 })[1]!;
  assert.equal(near.word, 'undecided', near.reason);
  assert.equal(allDecided([near]), false);
  // Read as "lower is better", +0.2 is the wrong side: not better at any margin.
  const lower = compareGroups(runs, { ...opts, direction: 'less', margin: 0 })[1]!;
  assert.equal(lower.word, 'not better');
  assert.match(lower.reason, /the opposite of the claim/);
});

test('two axes: each group meets the baseline value at its own value of the other axis; two seeds are not a look', () => {
  const wd = (w: number) => ({ optim: { weightDecay: w } });
  const runs = [
    ...[0, 1, 2].map((s) => run('none', s, 0.4 + 0.01 * s, wd(0))),
    ...[0, 1, 2].map((s) => run('linear', s, 0.4 + 0.01 * s + 0.1 + [0, 0.01, -0.01][s]!, wd(0))),
    ...[0, 1, 2].map((s) => run('none', s, 0.6 + 0.01 * s, wd(1e-3))),
    ...[0, 1].map((s) => run('linear', s, 0.6 + 0.01 * s - 0.3, wd(1e-3))),
  ];
  const groups = compareGroups(runs, { by: ['predictor.kind', 'optim.weightDecay'], baseline: { path: 'predictor.kind', value: 'none' }, metric: 'probeAcc', direction: 'greater', margin: 0.05, maxSeeds: 12 });
  const find = (k: string, w: number) => groups.find((g) => g.key['predictor.kind'] === k && g.key['optim.weightDecay'] === w)!;
  const l0 = find('linear', 0);
  assert.deepEqual(l0.baselineKey, { 'predictor.kind': 'none', 'optim.weightDecay': 0 });
  l0.pairs.forEach((p, i) => close(p.difference, 0.1 + [0, 0.01, -0.01][i]!, 1e-12, 'paired against none at wd 0'));
  // 3 of up to 12 seeds: the first look's Pocock-type boundary is wider than the fixed-sample t.
  assert.ok(l0.difference!.multiplier! > T2, `first of four looks: ${l0.difference!.multiplier}`);
  assert.equal(l0.word, 'better', l0.reason);
  const l1 = find('linear', 1e-3);
  assert.deepEqual(l1.pairs.map((p) => p.seed), [0, 1]);
  l1.pairs.forEach((p) => close(p.difference, -0.3, 1e-12, 'paired against none at wd 1e-3'));
  assert.equal(l1.word, 'undecided');
  assert.match(l1.reason, /first look is at 3/);
  assert.equal(allDecided(groups), false);
});

test('a group and a claim test with the same numbers get the same interval and verdict', () => {
  const a = [0.31, 0.28, 0.35, 0.3, 0.33];
  const b = [0.01, 0.02, 0.0, 0.03, 0.02];
  const sweepRuns = [...b.map((v, s) => run('none', s, v)), ...a.map((v, s) => run('linear', s, v))];
  const g = compareGroups(sweepRuns, { by: ['predictor.kind'], baseline: { path: 'predictor.kind', value: 'none' }, metric: 'probeAcc', direction: 'greater', margin: 0.1 })[1]!;
  const claimRuns: RunResult[] = [...b.map((v, s) => ({ arm: 'none' as const, seed: s, uuid: `n${s}`, status: 'completed', final: { probeAcc: v }, baseline: null })), ...a.map((v, s) => ({ arm: 'linear' as const, seed: s, uuid: `l${s}`, status: 'completed', final: { probeAcc: v }, baseline: null }))];
  const t = evaluateTest({ measure: 'probeAcc', a: 'linear', reference: { arm: 'none' }, kind: 'superiority', direction: 'greater', margin: 0.1, rationale: 'the same numbers as the sweep' }, claimRuns);
  assert.deepEqual(g.difference, t.difference);
  assert.equal(g.verdict, t.verdict);
  assert.equal(g.reason, t.reason);
  assert.deepEqual(judge(a.map((x, i) => x - b[i]!), g.protocol), { difference: g.difference, verdict: g.verdict, reason: g.reason });
});

test('refuses a baseline outside the grouping and a negative margin, naming them', () => {
  const runs = [run('none', 0, 0.5)];
  assert.throws(() => compareGroups(runs, { by: ['optim.weightDecay'], baseline: { path: 'predictor.kind', value: 'none' }, metric: 'probeAcc', direction: 'greater' }), /baseline 'predictor\.kind' is not one of the grouping fields \(optim\.weightDecay\)/);
  assert.throws(() => compareGroups(runs, { by: ['predictor.kind'], baseline: { path: 'predictor.kind', value: 'none' }, metric: 'probeAcc', direction: 'greater', margin: -1 }), /margin must be a number ≥ 0, got -1/);
});
