/**
 * Which sequential interval decides a claim's paired test at the fewest seeds? Simulates sequences
 * of paired differences (normal, known mean and std, seeded) for effects like the reproduction
 * report's, looks after every round (at 3, 5, 8, 12 seeds, or up to --max N), and prints per
 * candidate the mean number of seeds used (an undecided sequence uses all N), the share decided, and
 * the rate of wrong verdicts (an interval wholly on the wrong side of 0, or any verdict when the
 * mean is 0). Candidates:
 *  - fixed-n 95% t interval re-read at every look (invalid under optional stopping: the reference);
 *  - group-sequential t, Lan–DeMets Pocock-type spending (src-main/math/sequential.ts);
 *  - group-sequential t, Lan–DeMets O'Brien–Fleming-type spending;
 *  - Robbins' two-sided normal-mixture confidence sequence (Howard et al. 2021), given the true σ
 *    (an oracle: in practice σ is unknown, so this is its best case), and given a bound of twice
 *    the true σ (what a safe bound on an unknown seed noise may cost);
 *  - the betting confidence sequence of Waudby-Smith & Ramdas (2024, hedged capital, predictable
 *    plug-in bets) over the metric's known range.
 * Run: npm run bench -- sequential [-- --trials 4000 --max 12]
 */
import { SeededRandom } from '../src-main/math/random.ts';
import { sequentialInterval, looksAt, LOOK_SCHEDULE, type Spending } from '../src-main/math/sequential.ts';
import { meanInterval } from '../src-main/math/stats.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const TRIALS = arg('trials', 4000);
const MAX = arg('max', 12);
const ALPHA = 0.05;
const LOOKS = looksAt(MAX, MAX).filter((n) => n >= 3);

type Interval = (xs: number[]) => [number, number] | null;

const gsd =
  (spending: Spending): Interval =>
  (xs) =>
    sequentialInterval(xs, { maxSeeds: MAX, alpha: ALPHA, spending }).ci;

const fixedT: Interval = (xs) => meanInterval(xs, 1 - ALPHA).ci;

/** Robbins' normal mixture (Howard et al. 2021, eq. (14)): |S_n| < sqrt((v + ρ) log((v + ρ)/(ρα²))), v = nσ²; ρ tuned for n ≈ 8. */
const robbins =
  (sigma: number): Interval =>
  (xs) => {
    const n = xs.length;
    const v = n * sigma * sigma;
    const target = 8 * sigma * sigma;
    const rho = target / (2 * Math.log(1 / ALPHA) + Math.log(1 + 2 * Math.log(1 / ALPHA)));
    const half = Math.sqrt((v + rho) * Math.log((v + rho) / (rho * ALPHA * ALPHA))) / n;
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    return [mean - half, mean + half];
  };

/**
 * Hedged betting CS on [lo, hi] (Waudby-Smith & Ramdas 2024, Thm 3 with the predictable plug-in
 * λ_i of their eq. (26), truncated at 1/2 of the feasible bet), over a grid of candidate means.
 */
const betting =
  (lo: number, hi: number, grid = 801): Interval =>
  (xs) => {
    const y = xs.map((x) => Math.min(1, Math.max(0, (x - lo) / (hi - lo))));
    const lambdas: number[] = [];
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < y.length; i++) {
      const t = i + 1;
      const muPrev = (0.5 + sum) / t;
      const varPrev = (0.25 + sq) / t;
      lambdas.push(Math.sqrt((2 * Math.log(2 / ALPHA)) / (varPrev * t * Math.log(1 + t))));
      sum += y[i]!;
      sq += (y[i]! - muPrev) ** 2;
    }
    let inLo = Infinity;
    let inHi = -Infinity;
    for (let g = 1; g < grid; g++) {
      const m = g / grid;
      let kp = 1;
      let km = 1;
      for (let i = 0; i < y.length; i++) {
        kp *= 1 + Math.min(lambdas[i]!, 0.5 / m) * (y[i]! - m);
        km *= 1 - Math.min(lambdas[i]!, 0.5 / (1 - m)) * (y[i]! - m);
      }
      if (0.5 * kp + 0.5 * km < 1 / ALPHA) {
        inLo = Math.min(inLo, m);
        inHi = Math.max(inHi, m);
      }
    }
    if (inLo > inHi) return null;
    return [lo + (inLo - 0.5 / grid) * (hi - lo), lo + (inHi + 0.5 / grid) * (hi - lo)];
  };

interface Scenario {
  label: string;
  mean: number;
  std: number;
  range: [number, number];
}
const SCENARIOS: Scenario[] = [
  { label: 'DirectPred vs init, probe: +0.30 ± 0.10', mean: 0.3, std: 0.1, range: [-1, 1] },
  { label: 'a weaker gain: +0.15 ± 0.14', mean: 0.15, std: 0.14, range: [-1, 1] },
  { label: 'a moderate gap: +0.05 ± 0.08', mean: 0.05, std: 0.08, range: [-1, 1] },
  { label: 'alignment, small: +0.002 ± 0.001', mean: 0.002, std: 0.001, range: [-2, 2] },
  { label: 'no effect: 0 ± 0.10', mean: 0, std: 0.1, range: [-1, 1] },
];

const rows: string[] = [`| scenario | candidate | mean seeds used | decided | wrong verdicts |`, `| --- | --- | --- | --- | --- |`];
const t0 = performance.now();
for (const sc of SCENARIOS) {
  const candidates: [string, Interval][] = [
    ['fixed-n t, re-read each round (invalid)', fixedT],
    ['GSD t, Pocock-type spending', gsd('pocock')],
    ["GSD t, O'Brien–Fleming-type spending", gsd('obrien-fleming')],
    ['normal-mixture CS, σ known (oracle)', robbins(sc.std)],
    ['normal-mixture CS, σ bounded at 2× the true σ', robbins(2 * sc.std)],
    [`betting CS on [${sc.range.join(', ')}]`, betting(sc.range[0], sc.range[1])],
  ];
  for (const [name, interval] of candidates) {
    const rng = new SeededRandom(20261207);
    let seeds = 0;
    let decided = 0;
    let wrong = 0;
    const trials = name.startsWith('betting') ? Math.min(TRIALS, 1000) : TRIALS;
    for (let k = 0; k < trials; k++) {
      const xs: number[] = [];
      let used = MAX;
      for (const look of LOOKS) {
        while (xs.length < look) xs.push(sc.mean + sc.std * rng.normal());
        const ci = interval(xs);
        if (!ci) continue;
        const side = ci[0] > 0 ? 1 : ci[1] < 0 ? -1 : 0;
        if (side !== 0) {
          used = look;
          decided++;
          if (sc.mean === 0 || side !== Math.sign(sc.mean)) wrong++;
          break;
        }
      }
      seeds += used;
    }
    const line = `| ${sc.label} | ${name} | ${(seeds / trials).toFixed(2)} | ${((100 * decided) / trials).toFixed(1)}% | ${((100 * wrong) / trials).toFixed(2)}% (of ${trials}) |`;
    rows.push(line);
    console.error(line);
  }
}
console.log(`\nlooks at ${LOOKS.join(', ')} seeds (schedule ${LOOK_SCHEDULE.join(', ')}), α = ${ALPHA}, ${TRIALS} sequences per cell (betting: ≤ 1000, it is slow); ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
console.log(rows.join('\n'));
