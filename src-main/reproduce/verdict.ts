/**
 * Verdicts: from the finished runs of a claim's arms to "reproduced / not reproduced /
 * inconclusive / not run". Each test pairs the arms' values by seed and reads a group-sequential
 * repeated confidence interval of the mean difference (math/sequential.ts: Lan & DeMets α-spending,
 * Pocock-type, on t statistics; Jennison & Turnbull's repeated intervals), so the verdict may be read
 * after every round of added seeds. The rule is the test's protocol (claims.ts), fixed before any run:
 * - superiority: reproduced when the 95% interval lies beyond the margin on the claimed side, not
 *   reproduced when it lies short of the margin (the effect, if any, is smaller than what matters);
 * - non-inferiority: reproduced when the interval lies above −margin (on the claimed side), not
 *   reproduced when it lies below;
 * - equivalence: two one-sided tests (Schuirmann 1987) with the 90% interval: reproduced when it
 *   lies inside (−margin, +margin), not reproduced when it lies wholly outside;
 * inconclusive otherwise, or below 3 seeds. A claim is reproduced when all its tests are (the
 * intersection-union principle keeps its error rate at each test's: Berger 1982), not reproduced
 * when any is not, not run when no test has a seed with values on both sides.
 */
import type { SequentialInterval } from '../math/sequential.ts';
import { meanInterval, type MeanInterval } from '../math/stats.ts';
import { ARMS, CLAIMS, MEASURES, type ArmId, type ClaimTest, type ExperimentClaim, type MeasureName, type TheoryClaim, type TheoryOutcome } from './claims.ts';
import { judge, pairBySeed, protocolOf, relationOf, type Verdict, type VerdictOptions } from './compare.ts';
import { THEORY_CHECKS } from './theory-claims.ts';

// The judgement itself lives in compare.ts (sweeps share it); these names stay importable from here.
export { ALPHA, DEFAULT_MAX_SEEDS, designOf, judge, protocolOf, type Protocol, type Verdict, type VerdictOptions } from './compare.ts';

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

/** One seed of a test: a's value, the reference's (another arm's final value or a's own at random init), their difference. */
export interface TestPair {
  seed: number;
  a: number;
  /** a's own random-init value (null where not recorded). */
  aInit: number | null;
  reference: number;
  difference: number;
}

/** One test's numbers and verdict. */
export interface TestResult {
  test: ClaimTest;
  /** Readable form: "collapseStd(none) − collapseStd(random init of none) < −0.1". */
  description: string;
  /** The protocol in words: kind, side, margin. */
  protocol: string;
  /** Seeds with a value in both a and the reference. */
  seeds: number[];
  /** Per seed (seed order), for the report's tables. */
  pairs: TestPair[];
  /** The repeated confidence interval of the mean difference (null without seeds). */
  difference: SequentialInterval | null;
  verdict: Verdict;
  /** Why, in words (where the interval lies against the margin). */
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

function describe(t: ClaimTest): string {
  const ref = 'arm' in t.reference ? t.reference.arm : `random init of ${t.reference.baselineOf}`;
  return `${t.measure}(${t.a}) − ${t.measure}(${ref}) ${relationOf(t)}`;
}

/** The test's verdict from the runs (paired by seed; a seed missing on either side is left out). */
export function evaluateTest(test: ClaimTest, runs: readonly RunResult[], opts: VerdictOptions = {}): TestResult {
  // One value per seed and side (the newest completed run of a seed), paired as a sweep's groups are.
  const side = (arm: ArmId, baseline: boolean) => new Map(runs.filter((r) => r.arm === arm && r.status === 'completed').map((r) => [r.seed, valueOf(r, test.measure, baseline)]));
  const refArm = 'arm' in test.reference ? test.reference.arm : test.reference.baselineOf;
  const inits = new Map(runs.filter((r) => r.arm === test.a && r.status === 'completed').map((r) => [r.seed, valueOf(r, test.measure, true)]));
  const pairs: TestPair[] = pairBySeed(side(test.a, false), side(refArm, 'baselineOf' in test.reference)).map((p) => ({ seed: p.seed, a: p.a, aInit: inits.get(p.seed) ?? null, reference: p.reference, difference: p.difference }));
  return { test, description: describe(test), protocol: protocolOf(test), seeds: pairs.map((p) => p.seed), pairs, ...judge(pairs.map((p) => p.difference), test, opts) };
}

/** Combines test verdicts: all reproduced → reproduced; any not reproduced → not reproduced; none run (or no tests) → not run. */
export function combine(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.length > 0 && verdicts.every((v) => v === 'reproduced')) return 'reproduced';
  if (verdicts.some((v) => v === 'not reproduced')) return 'not reproduced';
  if (verdicts.every((v) => v === 'not run')) return 'not run';
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
export function evaluateExperiment(claim: ExperimentClaim, runs: readonly RunResult[], seeds: readonly number[], opts: VerdictOptions = {}): ClaimResult {
  const tests = claim.tests.map((t) => evaluateTest(t, runs, opts));
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
  const check = Object.hasOwn(THEORY_CHECKS, claim.compute) ? THEORY_CHECKS[claim.compute] : undefined;
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
      if (!Object.hasOwn(THEORY_CHECKS, c.compute)) out.push(`${c.id}: no theory computation '${c.compute}'`);
      continue;
    }
    for (const t of c.tests) {
      const ref = 'arm' in t.reference ? t.reference.arm : t.reference.baselineOf;
      for (const a of [t.a, ref]) if (!c.arms.includes(a)) out.push(`${c.id}: test uses arm '${a}' that the claim does not run`);
      if (!Object.hasOwn(MEASURES, t.measure)) out.push(`${c.id}: unknown measure '${t.measure}'`);
      if (!(typeof t.margin === 'number' && Number.isFinite(t.margin) && t.margin >= 0)) out.push(`${c.id}: ${t.measure}(${t.a}): the margin must be a number ≥ 0, got ${t.margin}`);
      if (t.kind === 'equivalence' && !(t.margin > 0)) out.push(`${c.id}: ${t.measure}(${t.a}): an equivalence test needs a margin > 0`);
      if (t.kind !== 'equivalence' && t.direction !== 'greater' && t.direction !== 'less') out.push(`${c.id}: ${t.measure}(${t.a}): a ${t.kind} test needs a direction ('greater' or 'less')`);
      if (!(typeof t.rationale === 'string' && t.rationale.trim().length >= 10)) out.push(`${c.id}: ${t.measure}(${t.a}): the margin needs its rationale`);
    }
  }
  return out;
}
