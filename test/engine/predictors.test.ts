import test from 'node:test';
import assert from 'node:assert/strict';
import { directCopyWeights, directPredGains, directPredWeights, optimalWeights } from '../../src-main/engine/predictors.ts';
import { effectiveRank, spectra } from '../../src-main/common/metrics.ts';

/** R diag(v) Rᵀ for a 3×3 rotation R about the z axis by angle a. */
function rotated(v: number[], a: number): { M: Float64Array; R: number[][] } {
  const c = Math.cos(a), s = Math.sin(a);
  const R = [
    [c, -s, 0],
    [s, c, 0],
    [0, 0, 1],
  ];
  const M = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let acc = 0;
    for (let k = 0; k < 3; k++) acc += R[i]![k]! * v[k]! * R[j]![k]!;
    M[i * 3 + j] = acc;
  }
  return { M, R };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9) {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `entry ${i}: ${a[i]} vs ${b[i]}`);
}

test('DirectPred: p_j = sqrt(max(s_j,0)/max s) + eps in the eigenbasis of F', () => {
  const eps = 0.1;
  // Diagonal F: s = (4, 1, 0) → p = (1 + ε, 0.5 + ε, ε).
  close(directPredWeights([4, 0, 0, 0, 1, 0, 0, 0, 0], 3, eps), [1.1, 0, 0, 0, 0.6, 0, 0, 0, 0.1]);
  // Rotated F: W_p = R diag(p) Rᵀ with the same p.
  const F = rotated([4, 1, 0], 0.7);
  const W = rotated([1.1, 0.6, 0.1], 0.7);
  close(directPredWeights(F.M, 3, eps), W.M, 1e-9);
  // A negative eigenvalue (numerical noise) counts as 0.
  close(directPredWeights([9, 0, 0, 0, -1e-3, 0, 0, 0, 1], 3, 0), [1, 0, 0, 0, 1e-4, 0, 0, 0, 1 / 3]);
  // F = 0 at the start: every p_j = ε (clamped at 1e-4).
  close(directPredWeights(new Float64Array(9), 3, 0.2), [0.2, 0, 0, 0, 0.2, 0, 0, 0, 0.2]);
});

test('DirectPred with c_j (Table 7): p_j = sqrt(max(s_j/max s − c_j, 1e-4)) + eps, the official dyn_eps_inside form', () => {
  // s/s_max = (1, 0.25, 0.04, 0) (a negative eigenvalue counts as 0).
  const s = [4, 1, 0.16, -0.01];
  close(directPredGains(s, 0, 0.1), [Math.sqrt(0.9), Math.sqrt(0.15), 0.01, 0.01]);
  close(directPredGains(s, 0, -0.05), [Math.sqrt(1.05), Math.sqrt(0.3), Math.sqrt(0.09), Math.sqrt(0.05)]);
  close(directPredGains(s, 0.1, 0.1), [Math.sqrt(0.9) + 0.1, Math.sqrt(0.15) + 0.1, 0.11, 0.11]);
  // c_j = 0 is the plain rule, bit for bit (floor 1e-4 outside the root, as before c_j existed).
  assert.deepEqual(directPredGains(s, 0.1, 0), directPredGains(s, 0.1));
  close(directPredGains(s, 0), [1, 0.5, 0.2, 1e-4]);
  // In the eigenbasis: W_p = R diag(p) Rᵀ.
  const F = rotated([4, 1, 0], 0.3);
  close(directPredWeights(F.M, 3, 0, 0.1), rotated([Math.sqrt(0.9), Math.sqrt(0.15), 0.01], 0.3).M, 1e-9);
});

test('optimal (Table 1): the least-squares W_p of a constructed regression, the ridge as stated, deterministic', () => {
  // Samples f = R g ∈ R^3 (g: independent, scales 2, 1, 0.5, from a seeded LCG) and targets
  // f_a = A f + small noise with A = R diag(0.9, 0.5, −0.2) Rᵀ, which commutes with E[ffᵀ]: then the
  // least-squares regression of f_a on f, A, also solves W_p E[ffᵀ] = ½(E[f_a fᵀ] + E[f f_aᵀ]).
  const d = 3, n = 20000;
  let x = 12345;
  const rnd = () => ((x = (1103515245 * x + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const c1 = Math.cos(0.7), s1 = Math.sin(0.7), c2 = Math.cos(0.4), s2 = Math.sin(0.4);
  // R = Rz(0.7)·Rx(0.4), orthonormal.
  const R = [c1, -s1 * c2, s1 * s2, s1, c1 * c2, -c1 * s2, 0, s2, c2];
  const a = [0.9, 0.5, -0.2];
  const A = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) A[i * 3 + j] += R[i * 3 + k]! * a[k]! * R[j * 3 + k]!;
  const F = new Float64Array(9), C = new Float64Array(9);
  for (let t = 0; t < n; t++) {
    const g = [rnd() * 2, rnd(), rnd() * 0.5];
    const f = [0, 1, 2].map((i) => R[i * 3]! * g[0]! + R[i * 3 + 1]! * g[1]! + R[i * 3 + 2]! * g[2]!);
    const fa = [0, 1, 2].map((i) => f[0]! * A[i * 3]! + f[1]! * A[i * 3 + 1]! + f[2]! * A[i * 3 + 2]! + 0.01 * rnd());
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      F[i * 3 + j] += (f[i]! * f[j]!) / n;
      C[i * 3 + j] += (fa[i]! * f[j]!) / n;
    }
  }
  const W = optimalWeights(F, C, d, 0);
  close(W, A, 3e-2);
  // The solve itself, exactly: W (F + λ·λ_max I) = ½(C + Cᵀ) at ridge 0.1.
  const ridge = 0.1;
  const lmax = eigTop(F);
  const Wr = optimalWeights(F, C, d, ridge);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
    let lhs = 0;
    for (let k = 0; k < 3; k++) lhs += Wr[a * 3 + k]! * (F[k * 3 + b]! + (k === b ? ridge * lmax : 0));
    assert.ok(Math.abs(lhs - 0.5 * (C[a * 3 + b]! + C[b * 3 + a]!)) < 1e-10, `(${a},${b})`);
  }
  // The ridge shrinks W_p toward 0; the same inputs give the same bits.
  assert.ok(Math.abs(Wr[0]!) < Math.abs(W[0]!));
  assert.deepEqual(optimalWeights(F, C, d, ridge), Wr);
  // A non-symmetric solution is kept as such (W_p F = S has no reason to be symmetric).
  const Wn = optimalWeights([4, 0, 0, 0, 1, 0, 0, 0, 1], [0, 1, 0, 1, 0, 0, 0, 0, 1], 3, 0);
  close(Wn, [0, 1, 0, 0.25, 0, 0, 0, 0, 1]);
  // F̂ = 0 (no statistics yet) at ridge 0: W_p = 0, not NaN.
  assert.ok(optimalWeights(new Float64Array(9), new Float64Array(9), 3, 0).every((v) => v === 0));
});

/** Largest eigenvalue of a symmetric 3×3 by power iteration (independent of eigh). */
function eigTop(M: ArrayLike<number>): number {
  let v = [1, 1, 1];
  let lam = 0;
  for (let it = 0; it < 500; it++) {
    const w = [0, 1, 2].map((i) => M[i * 3]! * v[0]! + M[i * 3 + 1]! * v[1]! + M[i * 3 + 2]! * v[2]!);
    const norm = Math.hypot(...w);
    lam = norm / Math.hypot(...v);
    v = w.map((x) => x / norm);
  }
  return lam;
}

test('DirectCopy: W_p = F / lambda_max + eps I', () => {
  const F = rotated([4, 2, 1], 0.3).M;
  const W = directCopyWeights(F, 3, 0.05);
  const expected = Array.from(F, (x, i) => x / 4 + (i % 4 === 0 ? 0.05 : 0));
  close(W, expected, 1e-12);
});

test('spectra: eigenvalues, alignment and asymmetry of W_p against F', () => {
  const F = rotated([3, 2, 1], 0.4).M;
  // W_p sharing F's eigenvectors: perfect alignment, symmetric.
  const aligned = spectra(F, directPredWeights(F, 3, 0), 3);
  close(aligned.fEig, [3, 2, 1], 1e-9);
  close(aligned.alignment, [1, 1, 1], 1e-9);
  assert.ok(aligned.asymmetry < 1e-12);
  // A rotation by 90° in the xy-plane maps u_1 ⟂ to itself: alignment 0 for the first two modes, asymmetry ‖W−Wᵀ‖/‖W‖ = √(8/3).
  const rot = [0, -1, 0, 1, 0, 0, 0, 0, 1];
  const s = spectra(F, rot, 3);
  close(s.alignment.slice(0, 2), [0, 0], 1e-9);
  assert.ok(Math.abs(s.alignment[2]! - 1) < 1e-9);
  assert.ok(Math.abs(s.asymmetry - Math.sqrt(8 / 3)) < 1e-9);
});

test('effective rank: 1 for a single mode, d for a flat spectrum', () => {
  assert.ok(Math.abs(effectiveRank([5, 0, 0, 0]) - 1) < 1e-12);
  assert.ok(Math.abs(effectiveRank([2, 2, 2, 2]) - 4) < 1e-12);
  assert.equal(effectiveRank([0, 0]), 0);
});
