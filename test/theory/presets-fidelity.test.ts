/**
 * What the theory presets report must be true of the equations they simulate: every fixed point
 * of the low-dimensional flows (Appendix D.4), isolated or on a curve of fixed points, is a zero of
 * the flow, computed here independently;
 * Fig. 3 at η = 0.01 runs long enough that trajectories reach the invariant parabola s = p²/α_p
 * (Eq. 14); and the per-mode summary places Eq. 16's fixed points at the τ of a mode that survived.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lowDimFlow, simulateModes } from '../../src-main/theory/index.ts';
import { runPreset } from '../../src-main/theory/presets.ts';

/** Appendix D.4: ẇ_p = α_p(w_a λ_d − w_p w λ_s)w, ẇ = w_p(w_a λ_d − w_p w λ_s), ẇ_a = β(w − w_a). */
function d4(w: number, wp: number, wa: number, p: { lambdaS: number; lambdaD: number; alphaP: number; beta: number }): [number, number, number] {
  const r = wa * p.lambdaD - wp * w * p.lambdaS;
  return [wp * r, p.alphaP * r * w, p.beta * (w - wa)];
}

test('low-dim flows (Fig. 10): every reported fixed point is a zero of the Appendix D.4 flow', () => {
  for (const variant of ['fixed-target', 'tied', 'no-predictor'] as const) {
    for (const lambdaD of [0.5, 1, 2]) {
      const f = lowDimFlow({ variant, lambdaD, lambdaS: 1, alphaP: 1, beta: 1 });
      // At λ_d = λ_s the no-predictor flow has a line of fixed points and no isolated one.
      const curvePoints = (f.fixedCurve ?? []).flatMap((c) => c.x.map((x, i) => ({ x, y: c.y[i]!, label: 'curve point' })));
      assert.ok(f.fixedPoints.length + curvePoints.length > 0, variant);
      for (const fp of [...f.fixedPoints, ...curvePoints]) {
        const [x, y] = [fp.x, fp.y];
        // Axes: fixed-target (w, w_p) at w_a ≡ 1; tied (w, w_a) with w_p = w; no-predictor (w, w_a) with w_p ≡ 1.
        const [dw, dwp, dwa] = variant === 'fixed-target' ? d4(x, y, 1, f.params) : variant === 'tied' ? d4(x, x, y, f.params) : d4(x, 1, y, f.params);
        const residual = variant === 'fixed-target' ? Math.hypot(dw, dwp) : variant === 'tied' ? Math.hypot(dw, dwa) : Math.hypot(dw, dwa);
        assert.ok(residual < 1e-12, `${variant} λ_d = ${lambdaD}: ${fp.label} at (${x}, ${y}) has |flow| = ${residual}`);
      }
    }
  }
});

test('Fig. 3 at η = 0.01: trajectories end on the invariant parabola s = p²/α_p', () => {
  const out = runPreset('fig3-eta0.01').runs[0]!.output;
  assert.equal(out.kind, 'phase-portrait');
  const r = (out as { result: { trajectories: { x: number[]; y: number[] }[]; params: { sRange: [number, number]; pRange: [number, number] } } }).result;
  let checked = 0;
  for (const tr of r.trajectories) {
    const p = tr.x.at(-1)!, s = tr.y.at(-1)!;
    const inside = p > r.params.pRange[0] && p < r.params.pRange[1] && s > r.params.sRange[0] && s < r.params.sRange[1];
    if (!inside || s < 1e-3) continue; // left the window, or collapsed onto s = 0
    checked++;
    const c0 = Math.abs(tr.y[0]! - tr.x[0]! ** 2);
    assert.ok(Math.abs(s - p * p) <= 0.01 * Math.max(c0, 0.1), `ends at (p, s) = (${p}, ${s}), ${Math.abs(s - p * p)} off the parabola`);
  }
  assert.ok(checked >= 3, `${checked} trajectories stayed in the window`);
});

test('per-mode summary: fixed points at the τ of the strongest surviving mode; none when all collapsed', () => {
  // Mode 0 starts in the collapse basin (p below p*₋ with η = 0.1), mode 1 well above it.
  const mixed = simulateModes({ target: 'ema', alphaP: 1, beta: 0.4, eta: 0.1, sigma2: 0, tau0: 0, modes: { p0: [0.01, 0.6], s0: [0.01, 1] }, t1: 200, samples: 11 });
  assert.deepEqual(mixed.final.collapsed, [true, false]);
  assert.equal(mixed.tauMode, 1);
  assert.ok(mixed.fixedPointsAtFinalTau);
  assert.ok(Math.abs(mixed.final.tau[1]! - 1) < 0.05, 'the surviving mode’s τ has relaxed to ≈ 1');
  assert.ok(mixed.fixedPointsAtFinalTau!.pPlus !== null && mixed.fixedPointsAtFinalTau!.pPlus > 0.5);
  const dead = simulateModes({ target: 'ema', alphaP: 1, beta: 0.4, eta: 0.5, sigma2: 0, tau0: 0, modes: { p0: [0.1, 0.2], s0: [0.1, 0.2] }, t1: 200, samples: 11 });
  assert.deepEqual(dead.final.collapsed, [true, true]);
  assert.equal(dead.tauMode, null);
  assert.equal(dead.fixedPointsAtFinalTau, null);
});
