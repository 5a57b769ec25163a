/**
 * The computations behind the theory claims (claims.ts names them by key). Each runs the theory
 * module exactly as the figure presets do and holds the numbers to the condition the paper states;
 * thresholds are numerical tolerances of the integrators (dopri5 at rtol 1e-8, rk4 at dt 0.01), not
 * fitted to the outcome.
 */
import { findPlanarFixedPoints, fixedPoints, lowDimField, phaseLine, runPreset, type LowDimVariantParams, type PlanarField, type PresetResult } from '../theory/index.ts';
import type { TheoryCurve, TheoryEvidence, TheoryOutcome } from './claims.ts';

type Series = { t: number[]; series: Record<string, number[]> };

function timelineOf(r: PresetResult['runs'][number]): Series {
  return (r.output.result as { timeline: Series }).timeline;
}

const max = (xs: readonly number[]) => xs.reduce((a, b) => Math.max(a, b), -Infinity);

function curve(label: string, ts: Series, name: string): TheoryCurve {
  return { label, x: ts.t, y: ts.series[name] ?? [] };
}

function theorem1(): TheoryOutcome {
  const runs = runPreset('fig7').runs;
  const evidence: TheoryEvidence[] = runs.map((r) => {
    const v = max(timelineOf(r).series.theorem1Relative ?? [Infinity]);
    return { label: `max relative residual, ${r.label}`, value: v, condition: '< 1e-6', holds: v < 1e-6 };
  });
  return { evidence, curves: [{ title: 'Theorem 1 residual / ‖WWᵀ‖', xLabel: 't', yLabel: 'relative residual', log: true, lines: runs.map((r) => curve(r.label, timelineOf(r), 'theorem1Relative')) }] };
}

function eq14(): TheoryOutcome {
  const runs = runPreset('fig5-wd').runs;
  const evidence = runs.map((r): TheoryEvidence => {
    const v = max(timelineOf(r).series.eq14Residual ?? [Infinity]);
    return { label: `max_j |s_j − p_j²/α_p − e^(−2ηt)c_j|, ${r.label}`, value: v, condition: '< 1e-6', holds: v < 1e-6 };
  });
  return { evidence, curves: [] };
}

function threshold(): TheoryOutcome {
  const evidence: TheoryEvidence[] = [];
  // Just below and above η* = τ²/(4(1+σ²)) = 0.25 at τ = 1, σ² = 0.
  const below = phaseLine({ tau: 1, eta: 0.24, sigma2: 0, pRange: [-0.2, 1.2] });
  const above = phaseLine({ tau: 1, eta: 0.26, sigma2: 0, pRange: [-0.2, 1.2] });
  const fp = fixedPoints({ tau: 1, eta: 0.24, sigma2: 0 });
  evidence.push({ label: 'fixed points of ṗ at η = 0.24 (below η* = 0.25)', value: below.fixedPoints.length, condition: '= 3 (0, p*₋, p*₊)', holds: below.fixedPoints.length === 3 });
  evidence.push({ label: 'fixed points of ṗ at η = 0.26 (above η*)', value: above.fixedPoints.length, condition: '= 1 (only p = 0)', holds: above.fixedPoints.length === 1 });
  evidence.push({ label: 'p*₋ at η = 0.24 (edge of the collapse basin)', value: fp.pMinus ?? NaN, condition: '= (1 − √(1 − 0.96))/2 = 0.4 within 1e-12', holds: Math.abs((fp.pMinus ?? NaN) - 0.4) < 1e-12 });
  // Fig. 5's modes: collapsed count never falls as η grows, and all collapse past η*.
  const modes = runPreset('fig5-wd').runs.map((r) => ({ label: r.label, collapsed: (r.output.result as { final: { collapsed: boolean[] } }).final.collapsed }));
  const counts = modes.map((m) => m.collapsed.filter(Boolean).length);
  const monotone = counts.every((c, i) => i === 0 || c >= counts[i - 1]!);
  evidence.push({ label: `collapsed modes of 8 for η = 0, 0.01, 0.04, 0.1, 0.3: ${counts.join(', ')}`, value: counts.at(-1)!, condition: 'non-decreasing in η, and 8 at η = 0.3 > η*', holds: monotone && counts.at(-1) === 8 });
  return { evidence, curves: [{ title: 'phase line ṗ (Eq. 16), τ = 1', xLabel: 'p', yLabel: 'ṗ', log: false, lines: [{ label: 'η = 0.24', x: below.p, y: below.pDot }, { label: 'η = 0.26', x: above.p, y: above.pDot }] }] };
}

function theorem3(): TheoryOutcome {
  const runs = runPreset('fig9').runs;
  const evidence: TheoryEvidence[] = [];
  const lines: TheoryCurve[] = [];
  let positive = 0;
  for (const r of runs) {
    const res = r.output.result as { lambda0: number; timeline: Series };
    if (!(res.lambda0 > 0)) continue;
    positive++;
    const c = res.timeline.series.commutator!;
    const b = res.timeline.series.commutatorBound!;
    // The bound is an inequality at every recorded time; the ratio may touch 1 at t = 0.
    const worst = max(c.map((x, i) => x / b[i]!));
    evidence.push({ label: `${r.label} (λ₀ = ${res.lambda0.toFixed(3)}): max_t ‖[F,W_p]‖ / bound`, value: worst, condition: '≤ 1 + 1e-6', holds: worst <= 1 + 1e-6 });
    lines.push(curve(`${r.label} ‖[F,W_p]‖`, res.timeline, 'commutator'), curve(`${r.label} bound`, res.timeline, 'commutatorBound'));
  }
  evidence.push({ label: `settings of Fig. 9 (τ × η) where Theorem 3 applies (λ₀ > 0), of ${runs.length}`, value: positive, condition: '≥ 1', holds: positive >= 1 });
  return { evidence, curves: [{ title: 'commutator and Theorem 3’s bound', xLabel: 't', yLabel: '‖[F, W_p]‖_F', log: true, lines }] };
}

function antisym(): TheoryOutcome {
  const runs = runPreset('fig8').runs;
  const evidence = runs.map((r): TheoryEvidence => {
    const b = timelineOf(r).series.wpAntisymNorm!;
    const ratio = b.at(-1)! / b[0]!;
    return { label: `‖B(t1)‖/‖B(0)‖, ${r.label}`, value: ratio, condition: '< 1e-2', holds: ratio < 1e-2 };
  });
  return { evidence, curves: [{ title: 'antisymmetric part of W_p', xLabel: 't', yLabel: '‖B‖_F', log: true, lines: runs.map((r) => curve(r.label, timelineOf(r), 'wpAntisymNorm')) }] };
}

function assumption1(): TheoryOutcome {
  const runs = runPreset('fig7').runs;
  const evidence = runs.map((r): TheoryEvidence => {
    const v = timelineOf(r).series.targetCorrelation!.at(-1)!;
    return { label: `final corr(W_a, W), ${r.label}`, value: v, condition: '> 0.99', holds: v > 0.99 };
  });
  return { evidence, curves: [{ title: 'corr(W_a, W)', xLabel: 't', yLabel: 'correlation', log: false, lines: runs.map((r) => curve(r.label, timelineOf(r), 'targetCorrelation')) }] };
}

/** Where the low-dimensional flows come from: the theory module's, or (in a test) altered dynamics. */
export type LowDimFieldSource = (p: LowDimVariantParams) => PlanarField;

const LOWDIM_WINDOW: [number, number] = [-2, 2];

/**
 * Appendix D.4 computed from the flows: fixed points found numerically in [−2, 2]² (Newton from a
 * grid, Jacobian eigenvalues; curves of fixed points traced) at λ_s = 1, α_p = β = 1. The paper's
 * statement is held where the model lives, λ_d < λ_s (λ_d, λ_s are eigenvalues of Σ^d = X and
 * Σ^s = X + X', so λ_d ≤ λ_s); at the edge λ_d = λ_s the no-predictor flow must show the line of
 * fixed points w = w_a (Appendix D.3: a non-collapsed fixed point needs an eigenvalue exactly 1 of
 * Σ^d(Σ^s)⁻¹); λ_d > λ_s (origin a saddle, the flow diverges) is outside the model and not judged.
 */
export function lowdimOutcome(fieldOf: LowDimFieldSource = (p) => lowDimField(p).field): TheoryOutcome {
  const evidence: TheoryEvidence[] = [];
  const lambdaS = 1, alphaP = 1, beta = 1;
  const search = (variant: LowDimVariantParams['variant'], lambdaD: number) => findPlanarFixedPoints(fieldOf({ variant, lambdaS, lambdaD, alphaP, beta }), { x: LOWDIM_WINDOW, y: LOWDIM_WINDOW });
  const atOrigin = (f: { x: number; y: number }) => Math.hypot(f.x, f.y) < 1e-8;
  for (const lambdaD of [0.25, 0.5, 0.8, 1]) {
    const k = lambdaD / lambdaS;
    const tied = search('tied', lambdaD);
    const stable = tied.points.filter((f) => !atOrigin(f) && f.stability === 'stable');
    const others = tied.points.filter((f) => !atOrigin(f) && f.stability !== 'stable').length + tied.curves.length;
    const at = stable.length === 1 && Math.abs(stable[0]!.x - k) < 1e-8 && Math.abs(stable[0]!.y - k) < 1e-8;
    evidence.push({
      label: `tied w = w_p, λ_d = ${lambdaD}: stable non-collapsed fixed points found (${stable.map((f) => `${f.kind} at (${f.x.toPrecision(6)}, ${f.y.toPrecision(6)})`).join('; ') || 'none'})`,
      value: stable.length,
      condition: `= 1, at w = w_a = λ_d/λ_s = ${k} (within 1e-8), no other non-collapsed fixed point`,
      holds: at && others === 0,
    });
    const none = search('no-predictor', lambdaD);
    const origin = none.points.find(atOrigin);
    const nonZero = none.points.filter((f) => !atOrigin(f)).length;
    if (lambdaD < lambdaS) {
      evidence.push({
        label: `no predictor, λ_d = ${lambdaD}: fixed points other than the collapsed one (collapse: ${origin ? origin.kind : 'not found'})`,
        value: nonZero + none.curves.length,
        condition: '= 0, and (0, 0) a stable node or focus',
        holds: nonZero === 0 && none.curves.length === 0 && origin?.stability === 'stable',
      });
    } else {
      const line = none.curves.length === 1 ? none.curves[0]! : undefined;
      const onDiagonal = line !== undefined && line.x.every((x, i) => Math.abs(x - line.y[i]!) < 1e-8);
      const spans = line !== undefined && Math.min(...line.x) <= LOWDIM_WINDOW[0] && Math.max(...line.x) >= LOWDIM_WINDOW[1];
      evidence.push({
        label: `no predictor, λ_d = λ_s = ${lambdaD} (edge of the model): curves of fixed points found (${line ? line.kind : 'none'})`,
        value: none.curves.length,
        condition: '= 1: the whole line w = w_a (within 1e-8, across the window), attracting, no isolated fixed point (Appendix D.3)',
        holds: onDiagonal && spans && line.kind === 'attracting' && none.points.length === 0,
      });
    }
  }
  return { evidence, curves: [] };
}

function lowdim(): TheoryOutcome {
  return lowdimOutcome();
}

/**
 * Obs. #8–#9 on the Fig. 5 (bottom) preset: with EMA, τ (the target's lag, Assumption 1) starts at 0
 * and rises to 1 on every mode that does not collapse (an automatic curriculum: a small target
 * first), and the rise is slower the smaller the EMA rate β. Collapsed modes (final p_j < 0.1) are
 * left out: there τ is a ratio of vanishing weights. Obs. #10 (small τ traps more modes) is not
 * judged: on these 8 modes the same 2 collapse at every β.
 */
function emaCurriculum(): TheoryOutcome {
  const runs = runPreset('fig5-ema').runs.filter((r) => r.label.startsWith('β'));
  const evidence: TheoryEvidence[] = [];
  const halfTimes: { label: string; t: number }[] = [];
  const lines: TheoryCurve[] = [];
  for (const r of runs) {
    const ts = timelineOf(r);
    const modes = Object.keys(ts.series).filter((k) => k.startsWith('tau_')).map((k) => Number(k.slice(4)));
    const live = modes.filter((j) => (ts.series[`p_${j}`]?.at(-1) ?? 0) > 0.1);
    const tau0 = max(live.map((j) => Math.abs(ts.series[`tau_${j}`]![0]!)));
    evidence.push({ label: `max |τ_j(0)| over non-collapsed modes, ${r.label}`, value: tau0, condition: '< 1e-9 (the target starts at 0)', holds: live.length > 0 && tau0 < 1e-9 });
    const half = live.map((j) => {
      const i = ts.series[`tau_${j}`]!.findIndex((x) => x >= 0.5);
      return i < 0 ? Infinity : ts.t[i]!;
    });
    halfTimes.push({ label: r.label, t: half.reduce((a, b) => a + b, 0) / half.length });
    if (!r.label.endsWith('0.04')) {
      const gap = max(live.map((j) => Math.abs(1 - ts.series[`tau_${j}`]!.at(-1)!)));
      evidence.push({ label: `max |1 − τ_j(end)| over non-collapsed modes, ${r.label}`, value: gap, condition: '< 0.1 (τ reaches 1 within a tenth)', holds: gap < 0.1 });
    }
    const j = live[live.length - 1];
    if (j !== undefined) lines.push(curve(`${r.label}, mode ${j}`, ts, `tau_${j}`));
  }
  // Obs. #9: the mean time for τ to reach 1/2 falls as β grows.
  for (let i = 1; i < halfTimes.length; i++) {
    const [slow, fast] = [halfTimes[i - 1]!, halfTimes[i]!];
    const ratio = fast.t / slow.t;
    evidence.push({ label: `mean time for τ to reach ½: ${fast.label} over ${slow.label}`, value: ratio, condition: '< 1 (a larger β rises sooner)', holds: ratio < 1 });
  }
  return { evidence, curves: [{ title: 'τ(t) of one non-collapsed mode per EMA rate β', xLabel: 't', yLabel: 'τ', log: false, lines }] };
}

/** The theory computations by the key a TheoryClaim names. */
export const THEORY_CHECKS: Record<string, () => TheoryOutcome> = { theorem1, eq14, threshold, theorem3, antisym, assumption1, lowdim, emaCurriculum };
