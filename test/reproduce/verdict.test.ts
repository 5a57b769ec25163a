/**
 * The claim registry is consistent, the verdict rule says what it promises on constructed runs
 * (each side of each threshold, missing seeds, failed runs), and the theory claims compute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSetup } from '../../src-main/common/setup.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { CLAIMS, armSetup, armsOf, claimById, type ExperimentClaim, type TheoryClaim } from '../../src-main/reproduce/claims.ts';
import { combine, evaluateExperiment, evaluateTest, evaluateTheory, judge, registryProblems, type RunResult } from '../../src-main/reproduce/verdict.ts';

test('registry: ids unique, tests use the claim’s arms, every test has a protocol (kind, side, margin, rationale), theory computations exist', () => {
  assert.deepEqual(registryProblems(), []);
  for (const c of CLAIMS) if (c.kind === 'experiment') for (const t of c.tests) assert.ok(t.rationale.length > 20 && t.margin >= 0, `${c.id}: ${t.measure}(${t.a})`);
  assert.ok(CLAIMS.filter((c) => c.kind === 'experiment').length >= 7);
  assert.ok(CLAIMS.filter((c) => c.kind === 'theory').length >= 6);
  const arms = armsOf(CLAIMS);
  assert.equal(new Set(arms).size, arms.length, 'each arm once');
  assert.ok(arms.includes('none') && arms.includes('directpred'));
});

function run(arm: RunResult['arm'], seed: number, collapseStd: number, baseline: number | null = 1, status = 'completed'): RunResult {
  return { arm, seed, uuid: `${arm}-${seed}`, status, final: { collapseStd }, baseline: baseline === null ? null : { collapseStd: baseline } };
}

const COLLAPSE = { margin: 0.1, rationale: 'a tenth of the fully spread output' };

test('superiority: reproduced beyond the margin, not reproduced short of it (or on the other side), inconclusive across it', () => {
  const greater = { measure: 'collapseStd' as const, a: 'linear' as const, reference: { arm: 'none' as const }, kind: 'superiority' as const, direction: 'greater' as const, ...COLLAPSE };
  // Seed luck shared by both arms cancels in the pairing: differences 0.30, 0.32, 0.31.
  const clear = [run('none', 0, 0.1), run('none', 1, 0.5), run('none', 2, 0.9), run('linear', 0, 0.4), run('linear', 1, 0.82), run('linear', 2, 1.21)];
  const r = evaluateTest(greater, clear);
  assert.equal(r.verdict, 'reproduced', r.reason);
  assert.deepEqual(r.seeds, [0, 1, 2]);
  assert.ok(Math.abs(r.difference!.mean - 0.31) < 1e-12);
  assert.deepEqual(r.difference!.looks, [3]);
  assert.equal(r.difference!.level, 0.95);
  // The sequential interval is wider than the fixed-n one it replaces (t₀.₉₇₅,₂ = 4.30).
  assert.ok(r.difference!.multiplier! > 4.303, `multiplier ${r.difference!.multiplier}`);
  assert.deepEqual(
    r.pairs.map((p) => [p.seed, p.a, p.reference, Number(p.difference.toFixed(12))]),
    [
      [0, 0.4, 0.1, 0.3],
      [1, 0.82, 0.5, 0.32],
      [2, 1.21, 0.9, 0.31],
    ],
  );
  assert.match(r.description, /collapseStd\(linear\) − collapseStd\(none\) > \+0\.100/);
  const opposite = clear.map((x) => (x.arm === 'linear' ? { ...x, final: { collapseStd: x.final.collapseStd! - 0.62 } } : x));
  const o = evaluateTest(greater, opposite);
  assert.equal(o.verdict, 'not reproduced');
  assert.match(o.reason, /opposite of the claim/);
  // A real but small effect (0.02 ± 0.001 on five seeds): below the margin, so it does not count.
  const small = [0, 1, 2, 3, 4].flatMap((s) => [run('none', s, 0.3 + 0.1 * s), run('linear', s, 0.32 + 0.1 * s + 0.001 * (s - 2))]);
  const sm = evaluateTest(greater, small);
  assert.equal(sm.verdict, 'not reproduced', sm.reason);
  assert.match(sm.reason, /smaller than the margin/);
  const noisy = [run('none', 0, 0.5), run('none', 1, 0.5), run('none', 2, 0.5), run('linear', 0, 0.9), run('linear', 1, 0.2), run('linear', 2, 0.6)];
  assert.equal(evaluateTest(greater, noisy).verdict, 'inconclusive');
  // One failed run leaves one pair: no interval, inconclusive; no pair at all: not run.
  const failed = clear.map((x) => (x.seed > 0 && x.arm === 'linear' ? { ...x, status: 'failed' } : x));
  const f = evaluateTest(greater, failed);
  assert.equal(f.verdict, 'inconclusive');
  assert.deepEqual(f.seeds, [0]);
  assert.equal(f.difference!.multiplier, null, 'no boundary below the first look (and no Infinity to travel as JSON)');
  assert.equal(evaluateTest(greater, []).verdict, 'not run');
  // The judgement alone (what a sweep group against its baseline uses) agrees with the claim test's.
  assert.deepEqual(judge(r.pairs.map((p) => p.difference), greater), { difference: r.difference, verdict: r.verdict, reason: r.reason });
  assert.equal(evaluateTest(greater, clear.filter((x) => x.arm === 'none')).verdict, 'not run');
});

test('baseline tests compare a run with its own step-0 values; non-inferiority uses the margin', () => {
  const fall = { measure: 'collapseStd' as const, a: 'none' as const, reference: { baselineOf: 'none' as const }, kind: 'superiority' as const, direction: 'less' as const, ...COLLAPSE };
  const r = evaluateTest(fall, [run('none', 0, 0.4, 0.8), run('none', 1, 0.42, 0.79), run('none', 2, 0.39, 0.81)]);
  assert.equal(r.verdict, 'reproduced', r.reason);
  assert.match(r.reason, /lies below −0\.100/);
  assert.deepEqual(r.pairs[0], { seed: 0, a: 0.4, aInit: 0.8, reference: 0.8, difference: 0.4 - 0.8 });
  assert.equal(evaluateTest(fall, [run('none', 0, 0.4, null), run('none', 1, 0.42, null)]).verdict, 'not run', 'no baseline recorded: no pair');
  const nw = { measure: 'collapseStd' as const, a: 'directcopy' as const, reference: { arm: 'directpred' as const }, kind: 'non-inferiority' as const, direction: 'greater' as const, margin: 0.05, rationale: 'test' };
  const near = [run('directpred', 0, 0.8), run('directpred', 1, 0.7), run('directpred', 2, 0.9), run('directcopy', 0, 0.79), run('directcopy', 1, 0.7), run('directcopy', 2, 0.89)];
  assert.equal(evaluateTest(nw, near).verdict, 'reproduced');
  const far = near.map((x) => (x.arm === 'directcopy' ? { ...x, final: { collapseStd: x.final.collapseStd! - 0.2 } } : x));
  const fr = evaluateTest(nw, far);
  assert.equal(fr.verdict, 'not reproduced');
  assert.match(fr.reason, /worse by more than the margin/);
  assert.equal(combine(['reproduced', 'inconclusive']), 'inconclusive');
  assert.equal(combine(['reproduced', 'not reproduced', 'inconclusive']), 'not reproduced');
  assert.equal(combine(['reproduced', 'not run']), 'inconclusive', 'one test decided, one not run: the claim is not decided');
  assert.equal(combine(['not run', 'not run']), 'not run');
  assert.equal(combine([]), 'not run');
});

test('equivalence: two one-sided tests with the 90% repeated interval inside ±margin', () => {
  const eq = { measure: 'knnAcc' as const, a: 'directcopy' as const, reference: { arm: 'directpred' as const }, kind: 'equivalence' as const, margin: 0.05, rationale: 'test' };
  const knn = (arm: RunResult['arm'], seed: number, v: number): RunResult => ({ arm, seed, uuid: `${arm}-${seed}`, status: 'completed', final: { knnAcc: v }, baseline: { knnAcc: 0.47 } });
  const base = [0.7, 0.8, 0.75, 0.65, 0.72];
  const close = base.flatMap((v, s) => [knn('directpred', s, v), knn('directcopy', s, v + 0.004 * (s % 2 ? 1 : -1))]);
  const c = evaluateTest(eq, close);
  assert.equal(c.verdict, 'reproduced', c.reason);
  assert.equal(c.difference!.level, 0.9, 'the (1 − 2α) interval');
  assert.match(c.description, /within ±0\.0500/);
  const apart = base.flatMap((v, s) => [knn('directpred', s, v), knn('directcopy', s, v - 0.15 + 0.004 * (s % 2))]);
  assert.equal(evaluateTest(eq, apart).verdict, 'not reproduced');
  const noisy = base.flatMap((v, s) => [knn('directpred', s, v), knn('directcopy', s, v + [0.1, -0.12, 0.05, -0.08, 0.02][s]!)]);
  assert.equal(evaluateTest(eq, noisy).verdict, 'inconclusive');
});

test('an empty archive: every experiment claim is "not run", not "inconclusive"', () => {
  for (const c of CLAIMS.filter((x): x is ExperimentClaim => x.kind === 'experiment')) {
    const r = evaluateExperiment(c, [], [0, 1, 2]);
    assert.equal(r.verdict, 'not run', c.id);
  }
});

test('weight decay and alignment (issue 22): 0.988 against 0.985 on every seed is under the margin, not a reproduction', () => {
  const claim = claimById('weight-decay-aligns') as ExperimentClaim;
  // Per-seed alignments like the first report's (0.988 ± 0.002 against 0.985 ± 0.003, paired +0.002 ± 0.0008).
  const wd = [0.9875, 0.9902, 0.9861, 0.9884, 0.9893];
  const diff = [0.0021, 0.0012, 0.0031, 0.0016, 0.0024];
  const runs: RunResult[] = wd.flatMap((v, s) => [
    { arm: 'linear' as const, seed: s, uuid: `l${s}`, status: 'completed', final: { alignment: v }, baseline: null },
    { arm: 'linear-wd0' as const, seed: s, uuid: `w${s}`, status: 'completed', final: { alignment: v - diff[s]! }, baseline: null },
  ]);
  const r = evaluateExperiment(claim, runs, [0, 1, 2, 3, 4]);
  assert.equal(r.verdict, 'not reproduced');
});

test('experiment claim: arms summarised with random-init baselines; missing and failed runs listed', () => {
  const claim = claimById('no-predictor-collapses') as ExperimentClaim;
  const runs = [run('none', 0, 0.3, 0.8), run('none', 1, 0.35, 0.82), run('none', 2, 0.32, 0.79), run('linear', 0, 0.9, 0.8), run('linear', 1, 0.95, 0.83), run('linear', 2, 0, 0.8, 'failed'), run('directpred', 0, 0.7, 0.8), run('directpred', 1, 0.72, 0.8)];
  const r = evaluateExperiment(claim, runs, [0, 1, 2]);
  assert.equal(r.kind, 'experiment');
  if (r.kind !== 'experiment') return;
  assert.deepEqual(r.missing, ['linear seed 2: failed', 'directpred seed 2: not run']);
  const none = r.arms.find((a) => a.arm === 'none')!;
  assert.ok(Math.abs(none.baseline.collapseStd!.mean - 0.80333333) < 1e-6);
  assert.equal(r.tests[0]!.verdict, 'reproduced');
  assert.equal(r.verdict, r.tests.every((t) => t.verdict === 'reproduced') ? 'reproduced' : r.tests.some((t) => t.verdict === 'not reproduced') ? 'not reproduced' : 'inconclusive');
});

test('theory claims compute their evidence from the simulations', () => {
  for (const c of CLAIMS.filter((x): x is TheoryClaim => x.kind === 'theory')) {
    const r = evaluateTheory(c);
    assert.equal(r.kind, 'theory');
    if (r.kind !== 'theory') continue;
    assert.ok(r.outcome.evidence.length > 0, c.id);
    for (const e of r.outcome.evidence) assert.ok(Number.isFinite(e.value), `${c.id}: ${e.label} = ${e.value}`);
    console.log(`${c.id}: ${r.verdict}`, r.outcome.evidence.filter((e) => !e.holds).map((e) => `${e.label} = ${e.value}`));
  }
});

test('the README’s first experiment is the lab scale: examples/invariance-lab.json trains what the DirectPred arm trains', () => {
  const example = parseSetup(JSON.parse(readFileSync(new URL('../../examples/invariance-lab.json', import.meta.url), 'utf8')));
  assert.equal(setupHash(example), setupHash(armSetup('directpred', example.seed)));
});
