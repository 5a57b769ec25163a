/**
 * Verdicts: from the finished runs of a claim's arms to "reproduced / not reproduced /
 * inconclusive", by paired differences over seeds and their 95% t interval (math/stats.ts). The
 * rule is fixed before any run: a test is reproduced when the whole interval lies on the claimed
 * side, not reproduced when the whole interval lies on the other side, and inconclusive otherwise
 * (including when fewer than two seeds finished). A claim is reproduced when all its tests are,
 * not reproduced when any is not, and inconclusive otherwise.
 */
import { meanInterval, pairedDifference, type MeanInterval } from '../math/stats.ts';
import { ARMS, CLAIMS, MEASURES, type ArmId, type ClaimTest, type ExperimentClaim, type MeasureName, type TheoryClaim, type TheoryOutcome } from './claims.ts';
import { THEORY_CHECKS } from './theory-claims.ts';

/** The verdict of a test or a claim. */
export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive';

/** What the verdict needs of one finished run. */
export interface RunResult {
  arm: ArmId;
  seed: number;
  uuid: string;
  status: string;
  /** Final values of the measures (null when not measured). */
  final: Partial<Record<MeasureName, number | null>>;
  /** The same measures at step 0, before any update (null when the run has none recorded). */
  baseline: Partial<Record<MeasureName, number | null>> | null;
}

/** One test's numbers and verdict. */
export interface TestResult {
  test: ClaimTest;
  /** Readable form: "collapseStd(none) − random init(none)". */
  description: string;
  /** Seeds with a value in both a and the reference. */
  seeds: number[];
  difference: MeanInterval | null;
  verdict: Verdict;
  /** Why, in words (which side of the threshold the interval lies). */
  reason: string;
}

/** Per arm and measure: mean ± std over seeds of the final value and of the random-init value. */
export interface ArmSummary {
  arm: ArmId;
  label: string;
  runs: number;
  final: Partial<Record<MeasureName, MeanInterval | null>>;
  baseline: Partial<Record<MeasureName, MeanInterval | null>>;
  /** Per-seed final values (for the report's dot plots). */
  perSeed: Partial<Record<MeasureName, { seed: number; value: number; baseline: number | null }[]>>;
}

/** A claim's outcome. */
export type ClaimResult =
  | { kind: 'experiment'; claim: ExperimentClaim; verdict: Verdict; tests: TestResult[]; arms: ArmSummary[]; missing: string[] }
  | { kind: 'theory'; claim: TheoryClaim; verdict: Verdict; outcome: TheoryOutcome };

function valueOf(r: RunResult, m: MeasureName, baseline: boolean): number | null {
  const v = baseline ? r.baseline?.[m] : r.final[m];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Interval side → verdict for one test. */
function decide(test: ClaimTest, d: MeanInterval | null): { verdict: Verdict; reason: string } {
  if (!d || !d.ci) return { verdict: 'inconclusive', reason: 'fewer than two seeds with values on both sides' };
  const [lo, hi] = d.ci;
  const fmt = (x: number) => x.toPrecision(3);
  const ci = `95% CI [${fmt(lo)}, ${fmt(hi)}]`;
  if (test.expect === 'greater') {
    if (lo > 0) return { verdict: 'reproduced', reason: `${ci} lies above 0` };
    if (hi < 0) return { verdict: 'not reproduced', reason: `${ci} lies below 0: the opposite of the claim` };
    return { verdict: 'inconclusive', reason: `${ci} contains 0` };
  }
  if (test.expect === 'less') {
    if (hi < 0) return { verdict: 'reproduced', reason: `${ci} lies below 0` };
    if (lo > 0) return { verdict: 'not reproduced', reason: `${ci} lies above 0: the opposite of the claim` };
    return { verdict: 'inconclusive', reason: `${ci} contains 0` };
  }
  const m = test.margin ?? 0;
  if (lo > -m) return { verdict: 'reproduced', reason: `${ci} lies above −${m} (no worse than the margin)` };
  if (hi < -m) return { verdict: 'not reproduced', reason: `${ci} lies below −${m}: worse by more than the margin` };
  return { verdict: 'inconclusive', reason: `${ci} contains −${m}` };
}

function describe(t: ClaimTest): string {
  const ref = 'arm' in t.reference ? t.reference.arm : `random init of ${t.reference.baselineOf}`;
  const rel = t.expect === 'greater' ? '> 0' : t.expect === 'less' ? '< 0' : `> −${t.margin ?? 0}`;
  return `${t.measure}(${t.a}) − ${t.measure}(${ref}) ${rel}`;
}

/** The test's verdict from the runs (paired by seed; a seed missing on either side is left out). */
export function evaluateTest(test: ClaimTest, runs: readonly RunResult[]): TestResult {
  const bySeed = (arm: ArmId) => new Map(runs.filter((r) => r.arm === arm && r.status === 'completed').map((r) => [r.seed, r]));
  const a = bySeed(test.a);
  const refArm = 'arm' in test.reference ? test.reference.arm : test.reference.baselineOf;
  const useBaseline = 'baselineOf' in test.reference;
  const b = bySeed(refArm);
  const seeds: number[] = [];
  const xa: number[] = [];
  const xb: number[] = [];
  for (const [seed, ra] of [...a].sort((p, q) => p[0] - q[0])) {
    const rb = b.get(seed);
    if (!rb) continue;
    const va = valueOf(ra, test.measure, false);
    const vb = valueOf(rb, test.measure, useBaseline);
    if (va === null || vb === null) continue;
    seeds.push(seed);
    xa.push(va);
    xb.push(vb);
  }
  const difference = seeds.length > 0 ? pairedDifference(xa, xb) : null;
  return { test, description: describe(test), seeds, difference, ...decide(test, difference) };
}

/** Combines test verdicts: all reproduced → reproduced; any not reproduced → not reproduced. */
export function combine(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length > 0 && verdicts.every((v) => v === 'reproduced')) return 'reproduced';
  if (verdicts.some((v) => v === 'not reproduced')) return 'not reproduced';
  return 'inconclusive';
}

function summarise(arm: ArmId, runs: readonly RunResult[], measures: readonly MeasureName[]): ArmSummary {
  const done = runs.filter((r) => r.arm === arm && r.status === 'completed').sort((p, q) => p.seed - q.seed);
  const final: ArmSummary['final'] = {};
  const baseline: ArmSummary['baseline'] = {};
  const perSeed: ArmSummary['perSeed'] = {};
  for (const m of measures) {
    const f = done.map((r) => valueOf(r, m, false)).filter((v): v is number => v !== null);
    const b = done.map((r) => valueOf(r, m, true)).filter((v): v is number => v !== null);
    final[m] = f.length ? meanInterval(f) : null;
    baseline[m] = b.length ? meanInterval(b) : null;
    perSeed[m] = done.flatMap((r) => {
      const v = valueOf(r, m, false);
      return v === null ? [] : [{ seed: r.seed, value: v, baseline: valueOf(r, m, true) }];
    });
  }
  return { arm, label: ARMS[arm].label, runs: done.length, final, baseline, perSeed };
}

/** An experiment claim's verdict from the runs of its arms. */
export function evaluateExperiment(claim: ExperimentClaim, runs: readonly RunResult[], seeds: readonly number[]): ClaimResult {
  const tests = claim.tests.map((t) => evaluateTest(t, runs));
  const measures = [...new Set(claim.tests.map((t) => t.measure))];
  const missing: string[] = [];
  for (const arm of claim.arms) {
    for (const s of seeds) {
      const r = runs.find((x) => x.arm === arm && x.seed === s);
      if (!r) missing.push(`${arm} seed ${s}: not run`);
      else if (r.status !== 'completed') missing.push(`${arm} seed ${s}: ${r.status}`);
    }
  }
  return { kind: 'experiment', claim, verdict: combine(tests.map((t) => t.verdict)), tests, arms: claim.arms.map((a) => summarise(a, runs, measures)), missing };
}

/** A theory claim's verdict: reproduced when every computed condition holds, else not reproduced. */
export function evaluateTheory(claim: TheoryClaim): ClaimResult {
  const check = THEORY_CHECKS[claim.compute];
  if (!check) throw new Error(`theory claim ${claim.id}: no computation '${claim.compute}'`);
  const outcome = check();
  const verdict: Verdict = outcome.evidence.length > 0 && outcome.evidence.every((e) => e.holds) ? 'reproduced' : 'not reproduced';
  return { kind: 'theory', claim, verdict, outcome };
}

/** Sanity of the registry itself: every test names arms its claim runs, every theory key exists. */
export function registryProblems(): string[] {
  const out: string[] = [];
  const ids = new Set<string>();
  for (const c of CLAIMS) {
    if (ids.has(c.id)) out.push(`claim id '${c.id}' is used twice`);
    ids.add(c.id);
    if (c.kind === 'theory') {
      if (!THEORY_CHECKS[c.compute]) out.push(`${c.id}: no theory computation '${c.compute}'`);
      continue;
    }
    for (const t of c.tests) {
      const ref = 'arm' in t.reference ? t.reference.arm : t.reference.baselineOf;
      for (const a of [t.a, ref]) if (!c.arms.includes(a)) out.push(`${c.id}: test uses arm '${a}' that the claim does not run`);
      if (!(t.measure in MEASURES)) out.push(`${c.id}: unknown measure '${t.measure}'`);
      if (t.expect === 'not-worse' && !(typeof t.margin === 'number' && t.margin >= 0)) out.push(`${c.id}: a 'not-worse' test needs a margin ≥ 0`);
    }
  }
  return out;
}
