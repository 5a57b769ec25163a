import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateFullMatrix, simulateReduced, TheoryParamsError } from '../../src-main/theory/index.ts';
import { SeededRandom } from '../../src-main/math/random.ts';
import { matmulBT } from '../../src-main/math/dense.ts';

function randomPsd(n: number, scale: number, rng: SeededRandom): number[][] {
  const G = rng.normals(n * n, scale / Math.sqrt(n));
  const A = matmulBT(G, G, n, n, n);
  return Array.from({ length: n }, (_, i) => Array.from(A.subarray(i * n, (i + 1) * n)));
}

test('Theorem 1: RK4 (dt = 1e-3, t = 20) keeps ‖WWᵀ − W_pᵀW_p/α_p − e^(−2ηt)C‖ below 1e-6 ‖WWᵀ‖', () => {
  const rng = new SeededRandom(42);
  const r = simulateFullMatrix({
    n1: 20, n2: 10, alphaP: 2, beta: 0.4, eta: 0.05,
    data: { kind: 'matrices', X: randomPsd(20, 1, rng), XPrime: randomPsd(20, 0.5, rng) },
    init: { seed: 3, wScale: 1, wpScale: 1, targetInit: 'zero' },
    t1: 20, samples: 41, integrator: { method: 'rk4', dt: 1e-3 },
  });
  assert.equal(r.theorem1Applies, true);
  const rel = r.timeline.series.theorem1Relative!;
  assert.equal(rel.length, 41);
  assert.ok(Math.max(...rel) < 1e-6, `max relative residual ${Math.max(...rel)}`);
  // The balance matrix itself is far from 0, so the check is not vacuous.
  assert.ok(r.timeline.series.normW!.at(-1)! > 0.1);
});

test('Theorem 1 does not cover predictor-only weight decay or a symmetrised W_p: the flag says so and the residual shows it', () => {
  const common = { n1: 6, n2: 3, t1: 20, samples: 5, init: { seed: 2, wScale: 1, wpScale: 1, targetInit: 'zero' as const }, integrator: { method: 'dopri5' as const, rtol: 1e-10, atol: 1e-14 } };
  const wd = simulateFullMatrix({ ...common, eta: 0.1, etaScope: 'predictor' });
  assert.equal(wd.theorem1Applies, false);
  assert.ok(Math.max(...wd.timeline.series.theorem1Relative!) > 1e-3);
  const sym = simulateFullMatrix({ ...common, eta: 0.01, predictor: 'symmetric' });
  assert.equal(sym.theorem1Applies, false);
  assert.ok(Math.max(...sym.timeline.series.theorem1Relative!) > 1e-6);
  const none = simulateFullMatrix({ ...common, predictor: 'none' });
  assert.equal(none.timeline.series.theorem1Residual, undefined);
});

test('Theorem 2: without stop-gradient (SimSiam) ‖W‖ decays to 0', () => {
  const r = simulateFullMatrix({ n1: 12, n2: 6, target: 'simsiam', stopGrad: false, eta: 0.01, data: { kind: 'isotropic', sigma2: 0.2 }, init: { seed: 9, wScale: 1, wpScale: 1, targetInit: 'copy' }, t1: 60, samples: 61, integrator: { method: 'dopri5', rtol: 1e-9, atol: 1e-14 } });
  const n = r.timeline.series.normW!;
  assert.ok(n.at(-1)! < 1e-3 * n[0]!, `‖W(T)‖ = ${n.at(-1)} vs ‖W(0)‖ = ${n[0]}`);
  // With stop-gradient the same start does not collapse.
  const sg = simulateFullMatrix({ n1: 12, n2: 6, target: 'simsiam', stopGrad: true, eta: 0.01, data: { kind: 'isotropic', sigma2: 0.2 }, init: { seed: 9, wScale: 1, wpScale: 1, targetInit: 'copy' }, t1: 60, samples: 61, integrator: { method: 'dopri5', rtol: 1e-9, atol: 1e-14 } });
  assert.ok(sg.timeline.series.normW!.at(-1)! > 0.1 * n[0]!);
});

test('no predictor: ‖W‖ → 0; in SimSiam exactly ‖W(t)‖ = e^(−(σ²+η)t) ‖W(0)‖', () => {
  const sigma2 = 0.3, eta = 0.02;
  const r = simulateFullMatrix({ n1: 8, n2: 4, target: 'simsiam', predictor: 'none', eta, data: { kind: 'isotropic', sigma2 }, t1: 40, samples: 9, integrator: { method: 'dopri5', rtol: 1e-11, atol: 1e-15 } });
  const n = r.timeline.series.normW!;
  r.timeline.t.forEach((t, i) => assert.ok(Math.abs(n[i]! / n[0]! - Math.exp(-(sigma2 + eta) * t)) < 1e-8, `t = ${t}`));
  const byol = simulateFullMatrix({ n1: 8, n2: 4, target: 'ema', predictor: 'none', eta, beta: 0.4, data: { kind: 'isotropic', sigma2 }, init: { seed: 1, wScale: 1, wpScale: 1, targetInit: 'copy' }, t1: 200, samples: 11, integrator: { method: 'dopri5', rtol: 1e-9, atol: 1e-14 } });
  assert.ok(byol.timeline.series.normW!.at(-1)! < 1e-3 * byol.timeline.series.normW![0]!);
});

test('Eq. 7: the full-matrix SimSiam flow with a symmetric predictor matches the reduced (W_p, F) flow', () => {
  const n1 = 9, n2 = 4, sigma2 = 0.3, eta = 0.02, alphaP = 1.5;
  const rng = new SeededRandom(4);
  const W = rng.normals(n2 * n1, 0.4);
  const G = rng.normals(n2 * n2, 0.4);
  const Wp = G.map((_, k) => 0.5 * (G[k]! + G[(k % n2) * n2 + Math.floor(k / n2)]!));
  const F = matmulBT(W, W, n2, n1, n2);
  const rows = (a: Float64Array, r: number, c: number) => Array.from({ length: r }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c)));
  const integrator = { method: 'dopri5' as const, rtol: 1e-11, atol: 1e-14 };
  const full = simulateFullMatrix({ n1, n2, alphaP, eta, target: 'simsiam', predictor: 'symmetric', data: { kind: 'isotropic', sigma2 }, init: { seed: 0, wScale: 0, wpScale: 0, targetInit: 'copy', W: rows(W, n2, n1), Wp: rows(Wp, n2, n2) }, t1: 10, samples: 3, integrator });
  const red = simulateReduced({ n: n2, alphaP, eta, sigma2, tau: 1, symmetrize: true, init: { seed: 0, wpScale: 0, fScale: 0, fFromWp: false, Wp: rows(Wp, n2, n2), F: rows(F, n2, n2) }, t1: 10, samples: 3, integrator });
  for (let j = 0; j < n2; j++) {
    assert.ok(Math.abs(full.timeline.series[`F_eig_${j}`]!.at(-1)! - red.timeline.series[`F_eig_${j}`]!.at(-1)!) < 1e-8, `F eigenvalue ${j}`);
    assert.ok(Math.abs(full.timeline.series[`Wp_eig_${j}`]!.at(-1)! - red.timeline.series[`Wp_eig_${j}`]!.at(-1)!) < 1e-8, `W_p eigenvalue ${j}`);
  }
  assert.ok(Math.abs(full.timeline.series.commutator!.at(-1)! - red.timeline.series.commutator!.at(-1)!) < 1e-8);
});

test('full matrix: bad parameters are reported with their field', () => {
  const bad = (p: unknown, re: RegExp) => assert.throws(() => simulateFullMatrix(p as never), (e: unknown) => e instanceof TheoryParamsError && re.test((e as Error).message));
  bad({ n1: 4, n2: 2, data: { kind: 'isotropic', sigma2: -1 } }, /data\.sigma2/);
  bad({ n1: 4, n2: 2, data: { kind: 'spectra', x: [1, 1], xPrime: [0, 0, 0, 0] } }, /data\.x: must have n1 = 4/);
  bad({ n1: 3, n2: 2, data: { kind: 'matrices', X: [[1, 0], [0, 1]], XPrime: [[0, 0, 0], [0, 0, 0], [0, 0, 0]] } }, /data\.X: must be 3×3/);
  bad({ n1: 2, n2: 2, data: { kind: 'matrices', X: [[1, 0.5], [0, 1]], XPrime: [[0, 0], [0, 0]] } }, /symmetric/);
  bad({ n1: 3, n2: 2, init: { W: [[1, 2]] } }, /init\.W: must be 2×3/);
  bad({ target: 'ema', stopGrad: false }, /stopGrad/);
  bad({ eta: Number.POSITIVE_INFINITY }, /eta/);
  bad({ alphaP: 0 }, /alphaP/);
});
