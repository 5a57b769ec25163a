/**
 * Fixed points found from the flow (theory/fixedpoints.ts) against closed forms, in every regime
 * of the Appendix D.4 flows (λ_d < λ_s, the line of fixed points at λ_d = λ_s, the saddle at
 * λ_d > λ_s), on the (p, s) flow of Eqs. 11–12 (its closed-form fixed points; two crossing lines of
 * fixed points at η = 0), on fields with foci, a center and a closed curve of fixed points; and the
 * `lowdim-predictor` claim computed from those flows: reproduced on the paper's dynamics, not
 * reproduced when the dynamics are altered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPlanarFixedPoints, lowDimField, lowDimFlow, phasePortrait, type LowDimVariantParams, type PlanarField } from '../../src-main/theory/index.ts';
import { lowdimOutcome, THEORY_CHECKS } from '../../src-main/reproduce/theory-claims.ts';
import { claimById, type TheoryClaim } from '../../src-main/reproduce/claims.ts';
import { evaluateTheory } from '../../src-main/reproduce/verdict.ts';

const W = { x: [-2, 2] as [number, number], y: [-2, 2] as [number, number] };
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
/** Eigenvalues of a real 2×2 with trace tr and determinant det, larger real part first. */
function eig(tr: number, det: number): { re: number; im: number }[] {
  const disc = tr * tr - 4 * det;
  return disc >= 0 ? [{ re: (tr + Math.sqrt(disc)) / 2, im: 0 }, { re: (tr - Math.sqrt(disc)) / 2, im: 0 }] : [{ re: tr / 2, im: Math.sqrt(-disc) / 2 }, { re: tr / 2, im: -Math.sqrt(-disc) / 2 }];
}
function sameEig(got: { re: number; im: number }[], want: { re: number; im: number }[], what: string) {
  const key = (e: { re: number; im: number }[]) => e.slice().sort((a, b) => b.re - a.re || b.im - a.im);
  key(got).forEach((e, i) => {
    close(e.re, key(want)[i]!.re, 1e-6, `${what} Re λ${i}`);
    close(Math.abs(e.im), Math.abs(key(want)[i]!.im), 1e-6, `${what} Im λ${i}`);
  });
}
const flow = (variant: LowDimVariantParams['variant'], lambdaS: number, lambdaD: number, alphaP = 1, beta = 1) => lowDimField({ variant, lambdaS, lambdaD, alphaP, beta }).field;

test('tied w = w_p: collapse (non-hyperbolic, eigenvalues 0 and −β) and a stable node at w = w_a = λ_d/λ_s, in every regime', () => {
  for (const [lambdaS, lambdaD, beta] of [[1, 0.5, 1], [1.5, 0.6, 0.4], [1, 1, 1], [1, 1.8, 2]] as const) {
    const r = findPlanarFixedPoints(flow('tied', lambdaS, lambdaD, 1, beta), W);
    const what = `λ_s ${lambdaS} λ_d ${lambdaD} β ${beta}`;
    assert.equal(r.curves.length, 0, what);
    assert.equal(r.points.length, 2, `${what}: ${JSON.stringify(r.points.map((p) => [p.x, p.y]))}`);
    const [o, p] = r.points as [typeof r.points[0], typeof r.points[0]];
    close(Math.hypot(o.x, o.y), 0, 1e-8, what);
    assert.equal(o.kind, 'non-hyperbolic', what);
    sameEig(o.eigenvalues, [{ re: 0, im: 0 }, { re: -beta, im: 0 }], `${what} origin`);
    const k = lambdaD / lambdaS;
    close(p.x, k, 1e-9, what);
    close(p.y, k, 1e-9, what);
    // J = [[−2kλ_d, kλ_d], [β, −β]]: tr = −2kλ_d − β, det = kλ_dβ > 0, real eigenvalues.
    sameEig(p.eigenvalues, eig(-2 * k * lambdaD - beta, k * lambdaD * beta), `${what} (k, k)`);
    assert.equal(p.kind, 'stable node', what);
  }
});

test('no predictor: stable node below λ_s, a line of fixed points w = w_a at λ_d = λ_s, a saddle above', () => {
  for (const [lambdaS, beta] of [[1, 1], [1.5, 0.4]] as const) {
    // λ_d < λ_s: J = [[−λ_s, λ_d], [β, −β]], tr = −(λ_s + β), det = β(λ_s − λ_d) > 0.
    const below = findPlanarFixedPoints(flow('no-predictor', lambdaS, 0.5 * lambdaS, 1, beta), W);
    assert.deepEqual([below.points.length, below.curves.length], [1, 0]);
    assert.equal(below.points[0]!.kind, 'stable node');
    sameEig(below.points[0]!.eigenvalues, eig(-(lambdaS + beta), beta * 0.5 * lambdaS), 'below');
    // λ_d = λ_s: det = 0, every point of w = w_a is fixed; across it the eigenvalue −(λ_s + β).
    const edge = findPlanarFixedPoints(flow('no-predictor', lambdaS, lambdaS, 1, beta), W);
    assert.equal(edge.points.length, 0, JSON.stringify(edge.points));
    assert.equal(edge.curves.length, 1);
    const line = edge.curves[0]!;
    assert.ok(line.x.every((x, i) => Math.abs(x - line.y[i]!) < 1e-9), 'on w = w_a');
    assert.ok(Math.min(...line.x) <= -2 && Math.max(...line.x) >= 2, 'across the window');
    assert.equal(line.kind, 'attracting');
    close(line.transverse.min, -(lambdaS + beta), 1e-6, 'transverse');
    close(line.transverse.max, -(lambdaS + beta), 1e-6, 'transverse');
    // λ_d > λ_s: det < 0, the origin is a saddle and trajectories leave.
    const above = findPlanarFixedPoints(flow('no-predictor', lambdaS, 2 * lambdaS, 1, beta), W);
    assert.deepEqual([above.points.length, above.curves.length], [1, 0]);
    assert.equal(above.points[0]!.kind, 'saddle');
    sameEig(above.points[0]!.eigenvalues, eig(-(lambdaS + beta), -beta * lambdaS), 'above');
  }
  const diverging = lowDimFlow({ variant: 'no-predictor', lambdaS: 1, lambdaD: 2 });
  assert.ok(diverging.trajectories.some((t) => Math.hypot(t.x.at(-1)!, t.y.at(-1)!) > 10), 'λ_d > λ_s: the flow diverges');
  // What the Paper view and `dplab theory` show at the edge: the line, not a lone 'stable' origin.
  const shown = lowDimFlow({ variant: 'no-predictor', lambdaS: 1, lambdaD: 1 });
  assert.equal(shown.fixedPoints.length, 0);
  assert.equal(shown.fixedCurve?.length, 1);
  assert.match(shown.fixedCurve![0]!.label, /attracting/);
});

test('fixed target: the origin is a saddle (±λ_d√α_p) and the hyperbola w_p·w = λ_d/λ_s is traced, attracting', () => {
  const r = findPlanarFixedPoints(flow('fixed-target', 1.25, 0.5, 2), W);
  assert.equal(r.points.length, 1);
  assert.equal(r.points[0]!.kind, 'saddle');
  sameEig(r.points[0]!.eigenvalues, [{ re: 0.5 * Math.SQRT2, im: 0 }, { re: -0.5 * Math.SQRT2, im: 0 }], 'origin');
  assert.equal(r.curves.length, 2, 'one branch per quadrant');
  for (const c of r.curves) {
    assert.ok(c.x.length > 50);
    assert.ok(c.x.every((x, i) => Math.abs(x * c.y[i]! - 0.4) < 1e-9), 'w_p·w = 0.5/1.25');
    assert.equal(c.kind, 'attracting');
  }
});

test('classification on fields with known linearisations: foci, a center, an unstable node, a repelling circle of fixed points', () => {
  const linear = (a: number, b: number, c: number, d: number): PlanarField => (x, y) => [a * x + b * y, c * x + d * y];
  const one = (f: PlanarField) => {
    const r = findPlanarFixedPoints(f, W);
    assert.deepEqual([r.points.length, r.curves.length], [1, 0]);
    return r.points[0]!;
  };
  assert.equal(one(linear(-0.1, 1, -1, -0.1)).kind, 'stable focus');
  assert.equal(one(linear(0.2, 1, -1, 0.2)).kind, 'unstable focus');
  assert.equal(one(linear(0, 1, -1, 0)).kind, 'center');
  assert.equal(one(linear(1, 0, 0, 2)).kind, 'unstable node');
  sameEig(one(linear(-0.1, 1, -1, -0.1)).eigenvalues, [{ re: -0.1, im: 1 }, { re: -0.1, im: -1 }], 'focus');
  // ṙ = r(r² − 1) in both coordinates: the unit circle is fixed (repelling, tr J = 2), the origin a stable node.
  const r = findPlanarFixedPoints((x, y) => [(x * x + y * y - 1) * x, (x * x + y * y - 1) * y], W);
  assert.equal(r.points.length, 1);
  assert.equal(r.points[0]!.kind, 'stable node');
  assert.equal(r.curves.length, 1);
  const circle = r.curves[0]!;
  assert.ok(circle.x.every((x, i) => Math.abs(Math.hypot(x, circle.y[i]!) - 1) < 1e-9));
  assert.ok(circle.x.length > 150 && circle.x.length < 400, `closed curve traced once: ${circle.x.length} points`);
  assert.equal(circle.kind, 'repelling');
  close(circle.transverse.min, 2, 1e-5, 'tr J on the circle');
});

test('Eqs. 11–12 at fixed τ: the points found are the closed forms’ (0, p*₋, p*₊ on s = p²/α_p); at η = 0 both crossing lines', () => {
  for (const [tau, sigma2, eta, alphaP] of [[1, 0, 0.01, 1], [1, 0.5, 0.1, 2], [0.8, 0.2, 0.1, 0.5]] as const) {
    const lambda = 1 + sigma2;
    const field: PlanarField = (p, s) => {
      const g = tau - lambda * p;
      return [alphaP * s * g - eta * p, 2 * p * s * g - 2 * eta * s];
    };
    const r = findPlanarFixedPoints(field, { x: [-0.5, 1.5], y: [-0.5, 1.5] });
    const closed = phasePortrait({ tau, sigma2, eta, alphaP, pRange: [-0.5, 1.5], sRange: [0, 1.5] });
    const what = `τ ${tau} σ² ${sigma2} η ${eta} α_p ${alphaP}`;
    assert.equal(r.curves.length, 0, what);
    assert.deepEqual(r.points.map((f) => f.stability), closed.fixedPoints.map((f) => f.stability), what);
    r.points.forEach((f, i) => {
      close(f.x, closed.fixedPoints[i]!.x, 1e-9, `${what} p`);
      close(f.y, closed.fixedPoints[i]!.y, 1e-9, `${what} s`);
    });
  }
  // η = 0: every point of s = 0 and of p = τ/(1+σ²) is fixed; Newton lands only on s = 0 (the
  // field is linear in s), so the second line is found from where tr J changes sign on the first.
  const tau = 1, lambda = 1.25;
  const r = findPlanarFixedPoints((p, s) => [s * (tau - lambda * p), 2 * p * s * (tau - lambda * p)], { x: [-0.5, 1.5], y: [-0.5, 1.5] });
  assert.equal(r.points.length, 0);
  assert.equal(r.curves.length, 2);
  const horizontal = r.curves.find((c) => c.y.every((y) => Math.abs(y) < 1e-9));
  const vertical = r.curves.find((c) => c.x.every((x) => Math.abs(x - tau / lambda) < 1e-9));
  assert.ok(horizontal && vertical, JSON.stringify(r.curves.map((c) => [c.x[0], c.y[0], c.x.at(-1), c.y.at(-1)])));
  for (const c of [horizontal, vertical]) assert.ok(c.x.length > 150, 'across the window');
  assert.equal(horizontal.kind, 'mixed', 'tr J = 2p(τ − λp) changes sign along s = 0');
});

test('the lowdim-predictor claim is computed from the flow: reproduced on the paper’s dynamics, not on altered ones', () => {
  const claim = claimById('lowdim-predictor') as TheoryClaim;
  assert.equal(claim.kind, 'theory');
  const good = lowdimOutcome();
  assert.ok(good.evidence.length >= 8);
  assert.deepEqual(good.evidence.filter((e) => !e.holds).map((e) => e.label), []);
  assert.ok(good.evidence.some((e) => /λ_d = λ_s/.test(e.label) && e.value === 1), 'the edge: one line of fixed points');
  assert.equal(evaluateTheory(claim).verdict, 'reproduced');

  const paper = (p: LowDimVariantParams) => lowDimField(p).field;
  const altered: Record<string, (p: LowDimVariantParams) => PlanarField> = {
    // A no-predictor flow that keeps a non-collapsed fixed point (the tied flow's).
    'no predictor with a non-collapsed fixed point': (p) => paper(p.variant === 'no-predictor' ? { ...p, variant: 'tied' } : p),
    // The tied flow run backwards: the same points, (k, k) now unstable.
    'tied run backwards': (p) => (p.variant === 'tied' ? (x, y) => paper(p)(x, y).map((v) => -v) as [number, number] : paper(p)),
    // λ_d and λ_s swapped in the no-predictor flow: its origin a saddle.
    'no predictor with λ_d > λ_s': (p) => paper(p.variant === 'no-predictor' && p.lambdaD < p.lambdaS ? { ...p, lambdaD: p.lambdaS / p.lambdaD } : p),
    // ẇ_a = β(w − w_a + 0.1w²): the tied fixed point moves to w = λ_d/(λ_s − 0.1λ_d).
    'tied with a shifted fixed point': (p) => (p.variant === 'tied' ? (x, y) => { const [a, b] = paper(p)(x, y); return [a, b + 0.1 * p.beta * x * x]; } : paper(p)),
  };
  const original = THEORY_CHECKS[claim.compute]!;
  try {
    for (const [what, fieldOf] of Object.entries(altered)) {
      const out = lowdimOutcome(fieldOf);
      assert.ok(out.evidence.some((e) => !e.holds), `${what}: every condition still holds`);
      THEORY_CHECKS[claim.compute] = () => lowdimOutcome(fieldOf);
      assert.equal(evaluateTheory(claim).verdict, 'not reproduced', what);
    }
  } finally {
    THEORY_CHECKS[claim.compute] = original;
  }
  assert.equal(evaluateTheory(claim).verdict, 'reproduced');
});
