import test from 'node:test';
import assert from 'node:assert/strict';
import { directCopyWeights, directPredGains, directPredWeights } from '../../src-main/engine/predictors.ts';
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
