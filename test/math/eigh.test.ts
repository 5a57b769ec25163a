import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigh } from '../../src-main/math/eigh.ts';
import { SeededRandom } from '../../src-main/math/random.ts';
import { choleskyPSD, matmul, matmulBT } from '../../src-main/math/dense.ts';

function randomSymmetric(n: number, rng: SeededRandom): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  return a;
}

/** max |A v_j − λ_j v_j|, max |VᵀV − I|, and whether values descend. */
function check(a: Float64Array, n: number) {
  const { values, vectors } = eigh(a, n);
  let res = 0, orth = 0, scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]!));
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * vectors[k * n + j]!;
      res = Math.max(res, Math.abs(s - values[j]! * vectors[i * n + j]!));
    }
    for (let l = 0; l < n; l++) {
      let d = 0;
      for (let k = 0; k < n; k++) d += vectors[k * n + j]! * vectors[k * n + l]!;
      orth = Math.max(orth, Math.abs(d - (j === l ? 1 : 0)));
    }
  }
  for (let j = 1; j < n; j++) assert.ok(values[j]! <= values[j - 1]!, `values not descending at ${j}`);
  return { res: res / Math.max(scale, 1e-300), orth, values };
}

test('eigh: random symmetric matrices satisfy A V = V Λ and VᵀV = I to ~1e-13', () => {
  const rng = new SeededRandom(11);
  for (const n of [1, 2, 3, 7, 16, 40, 128]) {
    const { res, orth } = check(randomSymmetric(n, rng), n);
    assert.ok(res < 1e-12 * Math.max(1, n / 10), `n=${n}: residual ${res}`);
    assert.ok(orth < 1e-12, `n=${n}: orthogonality ${orth}`);
  }
});

test('eigh: known spectra, repeated eigenvalues, zero and diagonal matrices', () => {
  // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with eigenvectors (1, ±1)/√2.
  const r = eigh([2, 1, 1, 2], 2);
  assert.ok(Math.abs(r.values[0]! - 3) < 1e-14 && Math.abs(r.values[1]! - 1) < 1e-14);
  assert.ok(Math.abs(Math.abs(r.vectors[0]!) - Math.SQRT1_2) < 1e-14);
  const zero = check(new Float64Array(25), 5);
  assert.deepEqual(Array.from(zero.values), [0, 0, 0, 0, 0]);
  const d = check(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3);
  assert.deepEqual(Array.from(d.values), [3, 2, -1]);
  // Q diag(5,5,5,1,1,0) Qᵀ with a random orthogonal Q (from a PSD Cholesky-free construction).
  const rng = new SeededRandom(5);
  const n = 6;
  const spec = eigh(randomSymmetric(n, rng), n).vectors; // orthogonal
  const lam = [5, 5, 5, 1, 1, 0];
  const QL = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) QL[i * n + j] = spec[i * n + j]! * lam[j]!;
  const A = matmulBT(QL, spec, n, n, n);
  const c = check(A, n);
  c.values.forEach((v, j) => assert.ok(Math.abs(v - lam[j]!) < 1e-13, `λ_${j} = ${v}, expected ${lam[j]}`));
  assert.ok(c.res < 1e-13 && c.orth < 1e-13);
});

test('eigh: uses the symmetric part and rejects bad input', () => {
  const r = eigh([1, 2, 0, 1], 2); // symmetric part [[1, 1], [1, 1]]
  assert.ok(Math.abs(r.values[0]! - 2) < 1e-14 && Math.abs(r.values[1]!) < 1e-14);
  assert.throws(() => eigh([1, 2, 3], 2), /expected 4 entries/);
  assert.throws(() => eigh([1, NaN, NaN, 1], 2), /non-finite/);
});

test('choleskyPSD factors PSD matrices, including rank-deficient ones', () => {
  const rng = new SeededRandom(2);
  const n = 5;
  const G = rng.normals(n * 3); // n×3 → rank 3
  const A = matmulBT(G, G, n, 3, n);
  const L = choleskyPSD(A, n);
  const LLt = matmulBT(L, L, n, n, n);
  for (let i = 0; i < n * n; i++) assert.ok(Math.abs(LLt[i]! - A[i]!) < 1e-10, `entry ${i}: ${LLt[i]} vs ${A[i]}`);
  const I = choleskyPSD(Float64Array.from([4, 0, 0, 9]), 2);
  assert.deepEqual(Array.from(matmul(I, Float64Array.from([1, 0, 0, 1]), 2, 2, 2)), [2, 0, 0, 3]);
});

test('matmul kernels agree with the textbook triple loop on odd and even shapes', async () => {
  const { matmulAT } = await import('../../src-main/math/dense.ts');
  const rng = new SeededRandom(8);
  for (const [m, k, n] of [[1, 1, 1], [2, 3, 4], [5, 7, 3], [6, 4, 9], [13, 8, 11], [64, 64, 64]] as const) {
    const a = rng.normals(m * k), b = rng.normals(k * n);
    const ref = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) ref[i * n + j] += a[i * k + p]! * b[p * n + j]!;
    const got = matmul(a, b, m, k, n);
    const bt = new Float64Array(n * k);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bt[j * k + p] = b[p * n + j]!;
    const got2 = matmulBT(a, bt, m, k, n);
    const at = new Float64Array(k * m);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) at[p * m + i] = a[i * k + p]!;
    const got3 = matmulAT(at, b, k, m, n);
    for (let i = 0; i < m * n; i++) {
      for (const g of [got, got2, got3]) assert.ok(Math.abs(g[i]! - ref[i]!) < 1e-12 * (1 + Math.abs(ref[i]!)), `${m}×${k}×${n} entry ${i}`);
    }
  }
});
