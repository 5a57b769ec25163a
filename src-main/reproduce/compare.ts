/**
 * The one comparison engine of the lab: paired differences over seeds, their group-sequential
 * repeated confidence interval (math/sequential.ts) and a verdict under a protocol (kind, side,
 * margin). The paper's claims (verdict.ts) and every sweep against its baseline (`compareGroups`:
 * the CLI's `dplab sweep table`, the Sweeps view) are judged here, by the same code.
 *
 * Browser-safe: imports only common/ and math/ (the renderer computes a sweep's verdicts itself, so
 * a margin typed in the view is judged at once).
 */
import { sequentialInterval, type SequentialDesign, type SequentialInterval } from '../math/sequential.ts';
import { canonicalJson, getAtPath } from '../common/setup.ts';
import type { TestKind } from './claims.ts';

/** The verdict of a test or a claim. */
export type Verdict = 'reproduced' | 'not reproduced' | 'inconclusive' | 'not run';

/** Two-sided error rate of a test's repeated intervals (equivalence uses 2α: two one-sided tests at α each). */
export const ALPHA = 0.05;

/** Seeds a claim may be run to when none is named (`--max-seeds`): the last planned look. */
export const DEFAULT_MAX_SEEDS = 12;

/** The design a test with at most `maxSeeds` seeds is read under, at error rate `alpha`. */
export function designOf(maxSeeds: number, alpha = ALPHA): SequentialDesign {
  return { maxSeeds, alpha, spending: 'pocock' };
}

/** How verdicts are read: up to how many seeds the rounds may go (the α-spending's N). */
export interface VerdictOptions {
  maxSeeds?: number;
}

/** What a paired comparison is judged by: the kind, the claimed side and the margin (a claim test's, or a sweep group's against its baseline). */
export interface Protocol {
  kind: TestKind;
  /** The side of the reference the claim puts a on ('greater': d > 0 is the claim); not for equivalence. */
  direction?: 'greater' | 'less';
  /** The smallest difference that matters, ≥ 0, in the measure's units. */
  margin: number;
}

/** A number in 3 significant digits (exponent form for the very small and large). */
export function fmtNumber(x: number): string {
  return x === 0 ? '0' : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toPrecision(3);
}

/** A number with its sign written (+, −, or 0). */
export function signedNumber(x: number): string {
  return x > 0 ? `+${fmtNumber(x)}` : x < 0 ? `−${fmtNumber(-x)}` : '0';
}

/** The claimed relation of the difference d in symbols: "> +0.1", "< −0.05", "within ±0.02". */
export function relationOf(t: Protocol): string {
  const m = t.margin;
  if (t.kind === 'equivalence') return `within ±${fmtNumber(m)}`;
  const up = t.direction !== 'less';
  const edge = t.kind === 'superiority' ? (up ? m : -m) : up ? -m : m;
  return `${up ? '>' : '<'} ${signedNumber(edge)}`;
}

/** The test's protocol in words. */
export function protocolOf(t: Protocol): string {
  const side = t.direction === 'less' ? 'lower' : 'higher';
  if (t.kind === 'equivalence') return `equivalence: |d| < ${fmtNumber(t.margin)} (two one-sided tests, 90% interval)`;
  if (t.kind === 'superiority') return `superiority: ${side} by more than ${fmtNumber(t.margin)} (95% interval)`;
  return `non-inferiority: not ${side === 'higher' ? 'lower' : 'higher'} by ${fmtNumber(t.margin)} or more (95% interval)`;
}

/** Interval position against the protocol's margin → verdict for one test. */
function decide(test: Protocol, d: SequentialInterval | null): { verdict: Verdict; reason: string } {
  if (!d) return { verdict: 'not run', reason: 'no seed with values on both sides' };
  if (!d.ci) return { verdict: 'inconclusive', reason: `${d.n} seed(s): the first look is at 3` };
  const [lo, hi] = d.ci;
  const fmt = fmtNumber;
  const ci = `${Math.round(d.level * 100)}% repeated CI [${fmt(lo)}, ${fmt(hi)}]`;
  const m = test.margin;
  if (test.kind === 'equivalence') {
    if (lo > -m && hi < m) return { verdict: 'reproduced', reason: `${ci} lies inside ±${fmt(m)}` };
    if (lo > m || hi < -m) return { verdict: 'not reproduced', reason: `${ci} lies outside ±${fmt(m)}: they differ by more than the margin` };
    return { verdict: 'inconclusive', reason: `${ci} crosses ${lo <= -m ? `−${fmt(m)}` : `+${fmt(m)}`}` };
  }
  // Flip a "less" claim so the claimed side is always up.
  const up = test.direction !== 'less';
  const [l, h] = up ? [lo, hi] : [-hi, -lo];
  const edge = test.kind === 'superiority' ? m : -m;
  const edgeText = signedNumber(up ? edge : -edge);
  const beyond = up ? 'above' : 'below';
  const short = up ? 'below' : 'above';
  if (l > edge) return { verdict: 'reproduced', reason: `${ci} lies ${beyond} ${edgeText}` };
  if (h < edge)
    return {
      verdict: 'not reproduced',
      reason: `${ci} lies ${short} ${edgeText}: ${test.kind === 'superiority' ? (h < 0 ? 'the opposite of the claim' : 'an effect smaller than the margin, if any') : 'worse by more than the margin'}`,
    };
  return { verdict: 'inconclusive', reason: `${ci} contains ${edgeText}` };
}

/** The outcome of one judgement: the repeated interval of the mean difference (null without pairs), the verdict and why. */
export interface Judgement {
  difference: SequentialInterval | null;
  verdict: Verdict;
  reason: string;
}

/**
 * The one judgement of paired differences (seed order) under a protocol: their repeated
 * confidence interval (the α-spending design up to opts.maxSeeds) and the verdict with its reason.
 * Claims and sweeps share it, so a group against a sweep's baseline is judged as a claim's test is.
 */
export function judge(differences: readonly number[], protocol: Protocol, opts: VerdictOptions = {}): Judgement {
  const n = differences.length;
  // Equivalence is two one-sided tests at α each: the (1 − 2α) interval.
  const design = designOf(Math.max(opts.maxSeeds ?? DEFAULT_MAX_SEEDS, n), protocol.kind === 'equivalence' ? 2 * ALPHA : ALPHA);
  const difference = n > 0 ? sequentialInterval(differences, design) : null;
  return { difference, ...decide(protocol, difference) };
}

/** One seed of a paired comparison: a's value, the reference's, and a − reference. */
export interface SeedPair {
  seed: number;
  a: number;
  reference: number;
  difference: number;
}

/**
 * Pairs two sides by seed, in seed order; a seed missing (or not finite) on either side is left
 * out, so seed luck that both sides share cancels in each difference.
 */
export function pairBySeed(a: ReadonlyMap<number, number | null>, reference: ReadonlyMap<number, number | null>): SeedPair[] {
  const out: SeedPair[] = [];
  for (const seed of [...a.keys()].sort((p, q) => p - q)) {
    const va = a.get(seed);
    const vb = reference.get(seed);
    if (typeof va !== 'number' || typeof vb !== 'number' || !Number.isFinite(va) || !Number.isFinite(vb)) continue;
    out.push({ seed, a: va, reference: vb, difference: va - vb });
  }
  return out;
}

// ---- sweeps against their baseline -----------------------------------------------------------

/** A sweep's baseline: one value of one of its axes (`predictor.kind` = `none`). */
export interface SweepBaseline {
  path: string;
  value: unknown;
}

/** The words a sweep shows for the claims' verdicts: the same judgement, read as "is this group better than the baseline?". */
export const SWEEP_VERDICT_WORDS: Record<Verdict, string> = {
  reproduced: 'better',
  'not reproduced': 'not better',
  inconclusive: 'undecided',
  'not run': 'no pairs',
};

/** What the comparison needs of one run: its setup (group key and seed), status and final metrics. */
export interface CompareRun {
  status: string;
  setup: unknown;
  summary: Record<string, unknown> | null | undefined;
}

/** How a sweep's groups are compared with its baseline. */
export interface CompareOptions {
  /** Grouping fields (setup paths); must include the baseline's path. */
  by: readonly string[];
  baseline: SweepBaseline;
  /** A final metric of the run summary (probeAcc, collapseStd, …). */
  metric: string;
  /** 'greater' when a higher value is better. */
  direction: 'greater' | 'less';
  /** The smallest difference that matters; absent: each comparison's seed noise (the std over seeds of its baseline group). */
  margin?: number | undefined;
  /** The α-spending's N: up to how many seeds rounds may add. */
  maxSeeds?: number | undefined;
}

/** One group of a sweep against its baseline group. */
export interface GroupComparison {
  /** The group's values of the grouping fields. */
  key: Record<string, unknown>;
  /** True for a group at the baseline value itself (nothing to compare). */
  isBaseline: boolean;
  /** The key of the group it is compared with (this one's, with the baseline path set to the baseline value). */
  baselineKey: Record<string, unknown>;
  pairs: SeedPair[];
  /** The margin used, and whether it was set or is the seed noise of the baseline group. */
  margin: number;
  marginSource: 'set' | 'seed noise';
  protocol: Protocol;
  difference: SequentialInterval | null;
  verdict: Verdict;
  /** The verdict in the sweep's words (`SWEEP_VERDICT_WORDS`), or 'baseline'. */
  word: string;
  reason: string;
}

const keyString = (by: readonly string[], key: Record<string, unknown>) => canonicalJson(by.map((p) => key[p] ?? null));

/** Sample std (n − 1) of finite values, null below 2. */
function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** The completed runs' final value of `metric` by root seed (the last run given of a seed wins when a group has two: callers list runs oldest first, so the newest). */
function valuesBySeed(runs: readonly CompareRun[], metric: string): Map<number, number | null> {
  const out = new Map<number, number | null>();
  for (const r of runs) {
    if (r.status !== 'completed') continue;
    const seed = getAtPath(r.setup, 'seed');
    if (typeof seed !== 'number') continue;
    const v = r.summary && Object.hasOwn(r.summary, metric) ? r.summary[metric] : null;
    out.set(seed, typeof v === 'number' && Number.isFinite(v) ? v : null);
  }
  return out;
}

/**
 * Every group of a sweep (runs grouped by `by`) against its baseline group: the group whose key is
 * the same with the baseline's path at the baseline's value (so in a predictor × weight-decay grid,
 * linear at wd 4e-4 is compared with none at wd 4e-4). Pairs by seed, reads the sequential interval
 * of the differences and judges superiority on the metric's better side at the margin (`judge`, as
 * the claims are). Groups come back in the order of their first run.
 */
export function compareGroups(runs: readonly CompareRun[], opts: CompareOptions): GroupComparison[] {
  if (!opts.by.includes(opts.baseline.path)) throw new Error(`baseline '${opts.baseline.path}' is not one of the grouping fields (${opts.by.join(', ') || 'none'})`);
  if (opts.margin !== undefined && !(Number.isFinite(opts.margin) && opts.margin >= 0)) throw new Error(`margin must be a number ≥ 0, got ${opts.margin}`);
  const groups = new Map<string, { key: Record<string, unknown>; runs: CompareRun[] }>();
  for (const r of runs) {
    const key: Record<string, unknown> = {};
    for (const p of opts.by) key[p] = getAtPath(r.setup, p) ?? null;
    const k = keyString(opts.by, key);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, runs: [] }));
    g.runs.push(r);
  }
  const baseValue = canonicalJson(opts.baseline.value ?? null);
  const values = new Map([...groups].map(([k, g]) => [k, valuesBySeed(g.runs, opts.metric)]));
  return [...groups.entries()].map(([k, g]) => {
    const baselineKey = { ...g.key, [opts.baseline.path]: opts.baseline.value };
    const isBaseline = canonicalJson(g.key[opts.baseline.path] ?? null) === baseValue;
    const ref = values.get(keyString(opts.by, baselineKey)) ?? new Map<number, number | null>();
    const noise = sampleStd([...ref.values()].filter((v): v is number => typeof v === 'number'));
    const margin = opts.margin ?? noise ?? 0;
    const protocol: Protocol = { kind: 'superiority', direction: opts.direction, margin };
    const marginSource = opts.margin !== undefined ? ('set' as const) : ('seed noise' as const);
    if (isBaseline) return { key: g.key, isBaseline, baselineKey, pairs: [], margin, marginSource, protocol, difference: null, verdict: 'not run' as const, word: 'baseline', reason: 'the baseline itself' };
    const pairs = pairBySeed(values.get(k)!, ref);
    const j = judge(pairs.map((p) => p.difference), protocol, { maxSeeds: opts.maxSeeds });
    return { key: g.key, isBaseline, baselineKey, pairs, margin, marginSource, protocol, ...j, word: SWEEP_VERDICT_WORDS[j.verdict] };
  });
}

/** True when every compared group (not the baseline's own) has a decided verdict: the rounds of `--until-decided` may stop. */
export function allDecided(groups: readonly GroupComparison[]): boolean {
  return groups.every((g) => g.isBaseline || g.verdict === 'reproduced' || g.verdict === 'not reproduced');
}
