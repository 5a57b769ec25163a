/**
 * The claim registry is consistent, the verdict rule says what it promises on constructed runs
 * (each side of each threshold, missing seeds, failed runs), and the theory claims compute.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSetup } from '../../src-main/spec/setup.ts';
import { setupHash } from '../../src-main/spec/hash.ts';
import { CLAIMS, armSetup, armsOf, claimById, type ExperimentClaim, type TheoryClaim } from '../../src-main/reproduce/claims.ts';
import { combine, evaluateExperiment, evaluateTest, evaluateTheory, registryProblems, type RunResult } from '../../src-main/reproduce/verdict.ts';

test('registry: ids unique, tests use the claim’s arms, theory computations exist', () => {
  assert.deepEqual(registryProblems(), []);
  assert.ok(CLAIMS.filter((c) => c.kind === 'experiment').length >= 7);
  assert.ok(CLAIMS.filter((c) => c.kind === 'theory').length >= 6);
  const arms = armsOf(CLAIMS);
  assert.equal(new Set(arms).size, arms.length, 'each arm once');
  assert.ok(arms.includes('none') && arms.includes('directpred'));
});

function run(arm: RunResult['arm'], seed: number, collapseStd: number, baseline: number | null = 1, status = 'completed'): RunResult {
  return { arm, seed, uuid: `${arm}-${seed}`, status, final: { collapseStd }, baseline: baseline === null ? null : { collapseStd: baseline } };
}

test('paired test: reproduced, not reproduced, inconclusive by where the 95% interval lies', () => {
  const greater = { measure: 'collapseStd' as const, a: 'linear' as const, reference: { arm: 'none' as const }, expect: 'greater' as const };
  // Seed luck shared by both arms cancels in the pairing: differences 0.30, 0.32, 0.31.
  const clear = [run('none', 0, 0.1), run('none', 1, 0.5), run('none', 2, 0.9), run('linear', 0, 0.4), run('linear', 1, 0.82), run('linear', 2, 1.21)];
  const r = evaluateTest(greater, clear);
  assert.equal(r.verdict, 'reproduced', r.reason);
  assert.deepEqual(r.seeds, [0, 1, 2]);
  assert.ok(Math.abs(r.difference!.mean - 0.31) < 1e-12);
  const opposite = clear.map((x) => (x.arm === 'linear' ? { ...x, final: { collapseStd: x.final.collapseStd! - 0.62 } } : x));
  assert.equal(evaluateTest(greater, opposite).verdict, 'not reproduced');
  const noisy = [run('none', 0, 0.5), run('none', 1, 0.5), run('none', 2, 0.5), run('linear', 0, 0.9), run('linear', 1, 0.2), run('linear', 2, 0.6)];
  assert.equal(evaluateTest(greater, noisy).verdict, 'inconclusive');
  // One failed run leaves one pair: no interval, inconclusive.
  const failed = clear.map((x) => (x.seed > 0 && x.arm === 'linear' ? { ...x, status: 'failed' } : x));
  const f = evaluateTest(greater, failed);
  assert.equal(f.verdict, 'inconclusive');
  assert.deepEqual(f.seeds, [0]);
});

test('baseline tests compare a run with its own step-0 values; not-worse uses the margin', () => {
  const fall = { measure: 'collapseStd' as const, a: 'none' as const, reference: { baselineOf: 'none' as const }, expect: 'less' as const };
  assert.equal(evaluateTest(fall, [run('none', 0, 0.4, 0.8), run('none', 1, 0.42, 0.79), run('none', 2, 0.39, 0.81)]).verdict, 'reproduced');
  assert.equal(evaluateTest(fall, [run('none', 0, 0.4, null), run('none', 1, 0.42, null)]).verdict, 'inconclusive', 'no baseline recorded');
  const nw = { measure: 'collapseStd' as const, a: 'directcopy' as const, reference: { arm: 'directpred' as const }, expect: 'not-worse' as const, margin: 0.05 };
  const near = [run('directpred', 0, 0.8), run('directpred', 1, 0.7), run('directpred', 2, 0.9), run('directcopy', 0, 0.79), run('directcopy', 1, 0.7), run('directcopy', 2, 0.89)];
  assert.equal(evaluateTest(nw, near).verdict, 'reproduced');
  const far = near.map((x) => (x.arm === 'directcopy' ? { ...x, final: { collapseStd: x.final.collapseStd! - 0.2 } } : x));
  assert.equal(evaluateTest(nw, far).verdict, 'not reproduced');
  assert.equal(combine(['reproduced', 'inconclusive']), 'inconclusive');
  assert.equal(combine(['reproduced', 'not reproduced', 'inconclusive']), 'not reproduced');
  assert.equal(combine([]), 'inconclusive');
});

test('experiment claim: arms summarised with random-init baselines; missing and failed runs listed', () => {
  const claim = claimById('no-predictor-collapses') as ExperimentClaim;
  const runs = [run('none', 0, 0.3, 0.8), run('none', 1, 0.35, 0.82), run('none', 2, 0.32, 0.79), run('linear', 0, 0.9, 0.8), run('linear', 1, 0.95, 0.83), run('linear', 2, 0, 0.8, 'failed')];
  const r = evaluateExperiment(claim, runs, [0, 1, 2]);
  assert.equal(r.kind, 'experiment');
  if (r.kind !== 'experiment') return;
  assert.deepEqual(r.missing, ['linear seed 2: failed']);
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
