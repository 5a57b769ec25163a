import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedPoints, pDotOnParabola, simulateModes, phaseLine, phasePortrait, TheoryParamsError } from '../../src-main/theory/index.ts';

test('fixed points: roots of Eq. 16 and the reference notes\' [derived] examples', () => {
  for (const [tau, sigma2, eta] of [[1, 0, 0.01], [1, 0.5, 0.01], [0.5, 0.5, 0.01], [0.8, 0.2, 0.1], [1, 0, 1e-8]] as const) {
    const fp = fixedPoints({ tau, sigma2, eta });
    assert.equal(fp.collapseCertain, false);
    for (const p of [fp.pMinus!, fp.pPlus!]) {
      // ṗ = −(1+σ²) p (p − p*₋)(p − p*₊): both are roots to rounding.
      assert.ok(Math.abs(pDotOnParabola(p, tau, eta, sigma2)) < 1e-12, `ṗ(${p}) = ${pDotOnParabola(p, tau, eta, sigma2)}`);
    }
    assert.ok(Math.abs(fp.pMinus! * fp.pPlus! - eta / (1 + sigma2)) < 1e-15, 'Vieta: product of roots is η/(1+σ²)');
    assert.ok(Math.abs(fp.pMinus! + fp.pPlus! - tau / (1 + sigma2)) < 1e-14, 'Vieta: sum of roots is τ/(1+σ²)');
  }
  const ex = (tau: number, sigma2: number, eta: number) => fixedPoints({ tau, sigma2, eta });
  assert.ok(Math.abs(ex(1, 0, 0.01).pMinus! - 0.0101) < 5e-5 && Math.abs(ex(1, 0, 0.01).pPlus! - 0.990) < 5e-4);
  assert.ok(Math.abs(ex(1, 0.5, 0.01).pMinus! - 0.0102) < 5e-5 && Math.abs(ex(1, 0.5, 0.01).pPlus! - 0.657) < 5e-4);
  assert.ok(Math.abs(ex(0.5, 0.5, 0.01).pMinus! - 0.0214) < 5e-5 && Math.abs(ex(0.5, 0.5, 0.01).pPlus! - 0.312) < 5e-4);
  const c = ex(1, 0.5, 0.2);
  assert.equal(c.collapseCertain, true);
  assert.equal(c.pMinus, null);
  assert.equal(c.pPlus, null);
  assert.ok(Math.abs(c.etaThreshold - 1 / 6) < 1e-15);
  // η = 0: p*₋ = 0 and p*₊ = τ/(1+σ²).
  const z = ex(1, 1, 0);
  assert.equal(z.pMinus, 0);
  assert.ok(Math.abs(z.pPlus! - 0.5) < 1e-15);
});

test('fixed points: bad parameters give a clear error', () => {
  assert.throws(() => fixedPoints({ tau: 1, sigma2: -0.1, eta: 0.01 }), (e: unknown) => e instanceof TheoryParamsError && /sigma2/.test((e as Error).message));
  assert.throws(() => fixedPoints({ tau: Number.POSITIVE_INFINITY, sigma2: 0, eta: 0.01 }), /tau/);
  assert.throws(() => fixedPoints({ tau: 1, sigma2: 0, eta: Number.NaN }), /eta/);
});

test('per-mode flow: started just above p*₋ a mode grows to p*₊ (to 1e-9); just below it collapses', () => {
  const tau = 1, sigma2 = 0.2, eta = 0.04, alphaP = 2;
  const fp = fixedPoints({ tau, sigma2, eta, alphaP });
  const above = fp.pMinus! * 1.02, below = fp.pMinus! * 0.98;
  // On the invariant parabola (c_j = 0) with τ ≡ 1 (SimSiam) the mode follows Eq. 16 exactly.
  const r = simulateModes({
    target: 'simsiam', alphaP, eta, sigma2, beta: 0,
    modes: { p0: [above, below], s0: [(above * above) / alphaP, (below * below) / alphaP] },
    t1: 1500, samples: 31, integrator: { method: 'dopri5', rtol: 1e-11, atol: 1e-14 },
  });
  assert.ok(Math.abs(r.final.p[0]! - fp.pPlus!) < 1e-9, `p(T) = ${r.final.p[0]} vs p*₊ = ${fp.pPlus}`);
  assert.ok(Math.abs(r.final.s[0]! - fp.sPlus!) < 1e-9, `s(T) = ${r.final.s[0]} vs p*₊²/α_p = ${fp.sPlus}`);
  assert.equal(r.final.collapsed[0], false);
  assert.ok(r.final.s[1]! < 1e-10 && Math.abs(r.final.p[1]!) < 1e-10, `below p*₋: p(T) = ${r.final.p[1]}, s(T) = ${r.final.s[1]}`);
  assert.equal(r.final.collapsed[1], true);
  // Eq. 14 holds along the way.
  assert.ok(Math.max(...r.timeline.series.eq14Residual!) < 1e-8);
});

test('per-mode flow: with η slightly above τ²/(4(1+σ²)) every mode collapses (SimSiam and BYOL)', () => {
  const sigma2 = 0.5;
  const eta = (1.03 * 1) / (4 * (1 + sigma2));
  const p0: number[] = [], s0: number[] = [];
  for (const p of [-0.5, -0.1, 0.05, 0.2, 0.4, 0.6, 0.8, 1.2, 2]) for (const s of [0.01, 0.3, 1, 3]) {
    p0.push(p);
    s0.push(s);
  }
  for (const target of ['simsiam', 'ema'] as const) {
    const r = simulateModes({ target, alphaP: 1, beta: 0.4, eta, sigma2, tau0: target === 'ema' ? 0 : 1, modes: { p0, s0 }, t1: 2000, samples: 11, integrator: { method: 'dopri5', rtol: 1e-9, atol: 1e-14 } });
    r.final.collapsed.forEach((c, j) => assert.ok(c, `${target}: mode (p0 ${p0[j]}, s0 ${s0[j]}) ended at s = ${r.final.s[j]}`));
  }
  // Just below the threshold some modes survive, so the test above can fail.
  const below = simulateModes({ target: 'simsiam', alphaP: 1, eta: 0.97 / 6, sigma2, modes: { p0, s0 }, t1: 2000, samples: 11, integrator: { method: 'dopri5', rtol: 1e-9, atol: 1e-14 } });
  assert.ok(below.final.collapsed.some((c) => !c));
});

test('phase line and portrait: fixed points and their stability (Figs. 3, 4)', () => {
  const b = phaseLine({ tau: 1, eta: 0.04, sigma2: 0 });
  assert.deepEqual(b.fixedPoints.map((f) => f.stability), ['stable', 'unstable', 'stable']);
  const c = phaseLine({ tau: 1, eta: 0.3, sigma2: 0 });
  assert.equal(c.collapseCertain, true);
  assert.equal(c.fixedPoints.length, 1);
  const idx = b.p.findIndex((p) => p > 0.5);
  assert.ok(b.pDot[idx]! > 0, 'between p*₋ and p*₊ the mode grows');
  const por = phasePortrait({ tau: 1, alphaP: 1, eta: 0.01 });
  assert.deepEqual(por.fixedPoints.map((f) => [f.label, f.stability]), [['collapse (0, 0)', 'stable'], ['p*₋', 'saddle'], ['p*₊', 'stable']]);
  assert.equal(por.u.length, por.gridY.length);
  assert.equal(por.u[0]!.length, por.gridX.length);
  const z = phasePortrait({ tau: 1, alphaP: 1, eta: 0 });
  assert.equal(z.fixedLines.length, 2);
  // η > 0: trajectories end near a stable fixed point or the parabola's collapse end.
  for (const tr of por.trajectories) assert.ok(tr.x.length >= 2 && tr.x.every(Number.isFinite));
});
