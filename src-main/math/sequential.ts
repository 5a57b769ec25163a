/**
 * A group-sequential paired t design: repeated confidence intervals for the mean of paired
 * differences, valid when they are looked at after every round of added seeds.
 *
 * Method: Lan & DeMets α-spending (Biometrika 70(3), 1983) at looks n₁ < n₂ < … ≤ N seeds
 * (information fraction t_k = n_k/N), two-sided and symmetric, on Student t statistics. With 3–20
 * seeds σ is unknown, so the boundaries are found on the t scale itself: the null law of the looks'
 * t statistics is free of μ and σ for normal differences and is simulated once per design (see
 * `tBoundaries`). The repeated confidence interval at look k is x̄ ± c_k · s/√n (Jennison &
 * Turnbull, JRSS-B 51(3), 1989): all of them cover the true mean together with probability
 * ≥ 1 − α, so a verdict read from the newest may be read again after every round, and the rounds
 * may stop as soon as it decides.
 *
 * The spending is Pocock-type, α·ln(1 + (e − 1)t) (Lan & DeMets 1983), chosen by simulation over
 * O'Brien–Fleming-type spending and two confidence sequences (Robbins' normal mixture with σ known;
 * a betting sequence over the metric's range): with looks at 3, 5, 8, 12 seeds it used the fewest
 * seeds for every effect tried, from +0.002 ± 0.001 to +0.30 ± 0.10 (bench/sequential.ts,
 * BENCHMARKS.md "Sequential verdicts").
 */
import { SeededRandom } from './random.ts';

/** ln Γ(x) for x > 0 (Lanczos, as in stats.ts; kept local so this file's one import stays small). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Upper regularised incomplete gamma Q(a, x) (series below a + 1, continued fraction above; Numerical Recipes §6.2). */
function upperGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - front * sum;
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return front * h;
}

/** Φ(z), the standard normal CDF, to about 1e-15 in the tails the boundaries use. */
export function normalCdf(z: number): number {
  if (!Number.isFinite(z)) return z > 0 ? 1 : 0;
  const q = 0.5 * upperGamma(0.5, (z * z) / 2);
  return z >= 0 ? 1 - q : q;
}

/** The upper tail 1 − Φ(z), accurate where 1 − Φ(z) would lose digits (z > 5). */
function normalUpper(z: number): number {
  return z >= 0 ? 0.5 * upperGamma(0.5, (z * z) / 2) : 1 - 0.5 * upperGamma(0.5, (z * z) / 2);
}

/** z with 1 − Φ(z) = p, for p in (0, 1), by bisection on the tail (boundaries are computed once per design). */
export function normalUpperQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalUpperQuantile: p = ${p} must be in (0, 1)`);
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = 0.5 * (lo + hi);
    if (normalUpper(mid) > p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** An α-spending function: the share of the two-sided α spent by information fraction t ∈ [0, 1]. */
export type Spending = 'pocock' | 'obrien-fleming';

/**
 * α(t) spent by information fraction t: Pocock-type α·ln(1 + (e − 1)t), or O'Brien–Fleming-type
 * 2 − 2Φ(z_{α/2}/√t) (both Lan & DeMets 1983); α(1) = α.
 */
export function spent(spending: Spending, alpha: number, t: number): number {
  if (t <= 0) return 0;
  const u = Math.min(t, 1);
  if (spending === 'pocock') return alpha * Math.log(1 + (Math.E - 1) * u);
  return 2 * normalUpper(normalUpperQuantile(alpha / 2) / Math.sqrt(u));
}

/** Seed counts at which rounds end (a look); a design uses those below its maximum, then the maximum. */
export const LOOK_SCHEDULE: readonly number[] = [3, 5, 8, 12, 16, 20];

/** The fewest seeds a look may have: a t interval needs 2, and 3 keeps the first boundary finite at α ≤ 0.1. */
export const MIN_LOOK = 3;

/** A group-sequential design: where the looks are, up to how many seeds, at which α and spending. */
export interface SequentialDesign {
  /** Most seeds (N): information fraction n/N. */
  maxSeeds: number;
  /** Two-sided error rate of the repeated intervals together (1 − α coverage at every look at once). */
  alpha: number;
  spending: Spending;
}

/** The looks of a design read at `n` seeds: the schedule's counts below n (and below maxSeeds), then n. */
export function looksAt(n: number, maxSeeds: number): number[] {
  const cap = Math.max(maxSeeds, n);
  return [...LOOK_SCHEDULE.filter((s) => s < n && s < cap), n];
}

/** The next look after `n` seeds, or null at the maximum: how many seeds the next round fills up to. */
export function nextLook(n: number, maxSeeds: number): number | null {
  if (n >= maxSeeds) return null;
  return Math.min(LOOK_SCHEDULE.find((s) => s > n) ?? maxSeeds, maxSeeds);
}

const boundaryCache = new Map<string, number[]>();

/** Sequences simulated per design to find its t boundaries: the α each look spends is met to about ±0.001. */
export const BOUNDARY_SIMULATIONS = 200_000;

/**
 * The t multipliers c_k of the looks (one per look, N = max(maxSeeds, the last look)): under a zero
 * mean, the share of sequences whose |t| first reaches c_k at look k is α(t_k) − α(t_{k−1}). The t
 * statistics of normal differences have a null law free of μ and σ, so it is simulated once per
 * design (BOUNDARY_SIMULATIONS sequences, a fixed seed: the same boundaries on every machine) and
 * cached. Carrying z boundaries to t at the same tail instead (Jennison & Turnbull §3.8) let 6.0%
 * of null sequences through at α = 5% with a first look at 3 seeds (bench/sequential.ts).
 */
export function tBoundaries(looks: readonly number[], design: SequentialDesign): number[] {
  const key = `${looks.join(',')}|${design.maxSeeds}|${design.alpha}|${design.spending}`;
  const hit = boundaryCache.get(key);
  if (hit) return hit;
  if (!(design.alpha > 0 && design.alpha < 1)) throw new RangeError(`tBoundaries: α = ${design.alpha} must be in (0, 1)`);
  for (let k = 0; k < looks.length; k++) {
    const n = looks[k]!;
    if (!Number.isInteger(n) || n < 2 || (k > 0 && n <= looks[k - 1]!)) throw new RangeError(`tBoundaries: looks must be increasing integer seed counts ≥ 2, got ${looks.join(', ')}`);
  }
  const N = Math.max(design.maxSeeds, looks.at(-1)!);
  const K = looks.length;
  const M = BOUNDARY_SIMULATIONS;
  const absT = looks.map(() => new Float64Array(M));
  const rng = new SeededRandom(0x5e9);
  for (let i = 0; i < M; i++) {
    let sum = 0;
    let sq = 0;
    let n = 0;
    for (let k = 0; k < K; k++) {
      // Welford's update keeps the variance exact for the small n used here.
      while (n < looks[k]!) {
        const x = rng.normal();
        n++;
        const d = x - sum;
        sum += d / n;
        sq += d * (x - sum);
      }
      const s = Math.sqrt(sq / (n - 1));
      absT[k]![i] = s > 0 ? Math.abs(sum) / (s / Math.sqrt(n)) : Infinity;
    }
    // Every sequence draws N values whatever the looks, so a design read at fewer looks (the same
    // N) sees the same sequences and gets the same boundaries at the looks they share.
    for (; n < N; n++) rng.normal();
  }
  const alive = new Uint8Array(M).fill(1);
  const out: number[] = [];
  let before = 0;
  for (let k = 0; k < K; k++) {
    const upTo = spent(design.spending, design.alpha, looks[k]! / N);
    const cross = Math.round((upTo - before) * M);
    const vals = new Float64Array(M);
    let m = 0;
    for (let i = 0; i < M; i++) if (alive[i]) vals[m++] = absT[k]![i]!;
    const sorted = vals.subarray(0, m).sort();
    // The boundary sits between the last sequence that crosses and the first that does not (descending order).
    const at = (j: number) => sorted[m - 1 - j]!;
    const c = cross <= 0 ? Infinity : cross >= m ? 0 : 0.5 * (at(cross - 1) + at(cross));
    out.push(c);
    let crossed = 0;
    for (let i = 0; i < M; i++) {
      if (alive[i] && absT[k]![i]! >= c) {
        alive[i] = 0;
        crossed++;
      }
    }
    before += crossed / M;
  }
  if (boundaryCache.size > 256) boundaryCache.clear();
  boundaryCache.set(key, out);
  return out;
}

/** A repeated confidence interval of the mean at the newest look. */
export interface SequentialInterval {
  n: number;
  mean: number;
  /** Sample std (n − 1). */
  std: number;
  /** The looks the interval assumes (seed counts, the last is n). */
  looks: number[];
  /** The t multiplier at this look (the interval is mean ± multiplier · std/√n); null below MIN_LOOK seeds. */
  multiplier: number | null;
  /** Simultaneous coverage of the repeated intervals, 1 − α. */
  level: number;
  /** [lower, upper]; null below MIN_LOOK seeds. */
  ci: [number, number] | null;
}

/**
 * The repeated confidence interval of the mean of `xs` (paired differences, in seed order) at
 * simultaneous level 1 − design.alpha, assuming looks at `looksAt(xs.length, design.maxSeeds)`.
 */
export function sequentialInterval(xs: readonly number[], design: SequentialDesign): SequentialInterval {
  if (xs.length === 0) throw new RangeError('sequentialInterval: no values');
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`sequentialInterval: value ${x} is not finite`);
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const looks = looksAt(n, design.maxSeeds);
  if (n < MIN_LOOK) return { n, mean, std, looks, multiplier: null, level: 1 - design.alpha, ci: null };
  const multiplier = tBoundaries(looks, design).at(-1)!;
  const half = multiplier * (std / Math.sqrt(n));
  // null, not Infinity, where a look spends nothing: the interval travels as JSON (Infinity would arrive as null anyway).
  return { n, mean, std, looks, multiplier: Number.isFinite(multiplier) ? multiplier : null, level: 1 - design.alpha, ci: Number.isFinite(half) ? [mean - half, mean + half] : null };
}
