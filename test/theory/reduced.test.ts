import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateReduced } from '../../src-main/theory/index.ts';

test('Theorem 3: with λ_min(K) > 0 throughout, ‖[F, W_p]‖ stays below ‖[F, W_p](0)‖ e^(−2λ₀t)', () => {
  // τ = 0.5, η = 0.1 keeps K positive definite for this start (λ₀ is checked, so the test is not vacuous).
  const r = simulateReduced({ n: 8, alphaP: 1, eta: 0.1, sigma2: 0, tau: 0.5, symmetrize: true, init: { seed: 5, wpScale: 0.5, fScale: 0.5, fFromWp: false }, t1: 30, samples: 1501, integrator: { method: 'dopri5', rtol: 1e-11, atol: 1e-15 } });
  assert.ok(r.lambda0 > 0.05, `λ₀ = ${r.lambda0}`);
  const c = r.timeline.series.commutator!, b = r.timeline.series.commutatorBound!;
  assert.ok(c[0]! > 1e-3);
  c.forEach((v, i) => assert.ok(v <= b[i]! * (1 + 1e-6) + 1e-15, `t = ${r.timeline.t[i]}: ${v} > bound ${b[i]}`));
  assert.ok(c.at(-1)! < 1e-2 * c[0]!);
});

test('Theorem 3: with small F(0) and η = 0, λ_min(K) < 0 and the commutator first grows (Fig. 9)', () => {
  const r = simulateReduced({ n: 10, alphaP: 1, eta: 0, sigma2: 0, tau: 2, symmetrize: true, init: { seed: 5, wpScale: 0.5, fScale: 0.01, fFromWp: false }, t1: 20, samples: 201, integrator: { method: 'dopri5', rtol: 1e-9, atol: 1e-14 } });
  assert.ok(r.lambda0 < 0);
  assert.ok(Math.max(...r.timeline.series.commutator!) > 10 * r.timeline.series.commutator![0]!);
});

test('Fig. 8: in the non-symmetrised dynamics the antisymmetric part of W_p dies out', () => {
  for (const eta of [0.01, 0.05]) {
    const r = simulateReduced({ n: 6, alphaP: 1, eta, sigma2: 0, tau: 1, symmetrize: false, init: { seed: 3, wpScale: 1, fScale: 1, fFromWp: true }, t1: 300, samples: 31, integrator: { method: 'dopri5', rtol: 1e-9, atol: 1e-13 } });
    const B = r.timeline.series.wpAntisymNorm!, A = r.timeline.series.wpSymNorm!;
    assert.ok(B[0]! > 0.1, 'starts asymmetric');
    assert.ok(B.at(-1)! < 1e-3 * B[0]!, `η = ${eta}: ‖B‖ ${B[0]} → ${B.at(-1)}`);
    assert.ok(A.at(-1)! > 0.1, 'the symmetric part survives');
    // F(0) = W_pᵀW_p/α_p (C = 0) and Theorem 1 holds in this form: F stays balanced.
    assert.equal(r.theorem1Applies, true);
    assert.ok(Math.max(...r.timeline.series.theorem1Residual!) < 1e-6 * Math.max(...r.timeline.series.normF!));
  }
});
