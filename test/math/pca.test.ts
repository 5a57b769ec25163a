/**
 * pca2 (the representation picture's projection): on clouds of known structure it finds the axes and
 * the variance they hold, in both of its ways (covariance when points outnumber dimensions, Gram
 * matrix otherwise); a collapsed cloud reads as collapsed; signs follow the largest loading, so a
 * reordered or resigned input gives the same picture.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { pca2 } from '../../src-main/math/pca.ts';
import { Rng } from '../../src-main/math/seeds.ts';

/** n points in `dim` dimensions: std `sa` along unit axis e_0+e_1 (normalised), `sb` along e_2, `noise` in every dimension, offset by `shift`. */
function cloud(n: number, dim: number, sa: number, sb: number, noise: number, seed: number, shift = 0): { x: Float64Array; a: Float64Array; b: Float64Array } {
  const rng = new Rng(seed);
  const a = new Float64Array(dim);
  a[0] = Math.SQRT1_2;
  a[1] = -Math.SQRT1_2;
  const b = new Float64Array(dim);
  b[2] = 1;
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const u = sa * rng.normal();
    const v = sb * rng.normal();
    for (let k = 0; k < dim; k++) x[i * dim + k] = shift + u * a[k]! + v * b[k]! + noise * rng.normal();
  }
  return { x, a, b };
}

const dot = (p: ArrayLike<number>, q: ArrayLike<number>) => Array.from(p).reduce((s, v, i) => s + v * q[i]!, 0);

for (const [n, dim, way] of [[400, 12, 'covariance'], [40, 64, 'Gram matrix']] as const) {
  test(`pca2 (${way}: ${n} points in ${dim}-d) recovers the two axes and their share of the variance`, () => {
    const { x, a, b } = cloud(n, dim, 3, 2, 0.05, 7, 5);
    const p = pca2(x, n, dim);
    assert.ok(Math.abs(dot(p.axes[0], a)) > 0.99, `PC1 · a = ${dot(p.axes[0], a)}`);
    assert.ok(Math.abs(dot(p.axes[1], b)) > 0.99, `PC2 · b = ${dot(p.axes[1], b)}`);
    // Sample variances along the axes, over the total: the expected shares within sampling error.
    const total = p.totalVariance;
    const expect1 = 9 / (9 + 4 + dim * 0.0025);
    const expect2 = 4 / (9 + 4 + dim * 0.0025);
    assert.ok(Math.abs(p.explained[0] - expect1) < 0.12, `PC1 explains ${p.explained[0]}, expected ≈ ${expect1}`);
    assert.ok(Math.abs(p.explained[1] - expect2) < 0.12, `PC2 explains ${p.explained[1]}, expected ≈ ${expect2}`);
    assert.ok(p.explained[0] >= p.explained[1]);
    // Coordinates: their variances are the explained parts; their means 0.
    let m1 = 0, v1 = 0, v2 = 0;
    for (let i = 0; i < n; i++) {
      m1 += p.coords[2 * i]! / n;
      v1 += p.coords[2 * i]! ** 2 / n;
      v2 += p.coords[2 * i + 1]! ** 2 / n;
    }
    assert.ok(Math.abs(m1) < 1e-9, `mean of PC1 coordinates ${m1}`);
    assert.ok(Math.abs(v1 / total - p.explained[0]) < 1e-9);
    assert.ok(Math.abs(v2 / total - p.explained[1]) < 1e-9);
    // The cloud sits away from the origin (5 in every dimension): its spread over its mean square.
    const rel = total / (total + 25 * dim);
    assert.ok(Math.abs(p.relativeVariance - rel) < 0.2 * rel, `relative variance ${p.relativeVariance}, expected ≈ ${rel}`);
    for (const axis of p.axes) {
      const big = Array.from(axis).reduce((j, v, k) => (Math.abs(v) > Math.abs(axis[j]!) ? k : j), 0);
      assert.ok(axis[big]! > 0, 'the largest loading of each axis is positive');
    }
  });
}

test('both ways (covariance and Gram matrix) give the same picture of the same points', () => {
  const n = 30;
  const dim = 30;
  const { x } = cloud(n, dim, 3, 2, 0.3, 11);
  const p = pca2(x, n, dim); // dim ≤ n: covariance
  const q = pca2(x.subarray(0, (n - 1) * dim), n - 1, dim); // dim > n: Gram
  const r = pca2(x.subarray(0, (n - 1) * dim), n - 1, dim);
  assert.deepEqual(q.coords, r.coords, 'deterministic');
  // Same points minus one: axes close, and the picture's signs agree.
  assert.ok(dot(p.axes[0], q.axes[0]) > 0.95, `PC1 of both ways: cos ${dot(p.axes[0], q.axes[0])}`);
});

test('a collapsed encoder reads as collapsed: one line explains everything, one point has no variance', () => {
  // Every image on one line (rank one, plus rounding-sized noise).
  const n = 200;
  const dim = 16;
  const line = cloud(n, dim, 4, 0, 1e-6, 3, 1);
  const p = pca2(line.x, n, dim);
  assert.ok(p.explained[0] > 0.999, `PC1 explains ${p.explained[0]}`);
  assert.ok(p.explained[1] < 1e-3, `PC2 explains ${p.explained[1]}`);
  // Every image on one point away from the origin.
  const point = cloud(n, dim, 0, 0, 1e-6, 4, 2);
  const q = pca2(point.x, n, dim);
  assert.ok(q.totalVariance < 1e-10, `total variance ${q.totalVariance}`);
  assert.ok(q.relativeVariance < 1e-10, `relative variance ${q.relativeVariance}`);
  // Exactly one point: no variance at all, coordinates 0, not NaN.
  const same = new Float64Array(n * dim).fill(0.5);
  const z = pca2(same, n, dim);
  assert.equal(z.totalVariance, 0);
  assert.deepEqual([...new Set(z.coords)], [0]);
  assert.deepEqual(z.explained, [0, 0]);
});

test('signs are fixed: a reordered input gives the same picture, a negated one its mirror image', () => {
  const n = 120;
  const dim = 10;
  const { x } = cloud(n, dim, 3, 1.5, 0.1, 21);
  const p = pca2(x, n, dim);
  const perm = Array.from({ length: n }, (_, i) => (i * 37) % n);
  const xp = new Float64Array(n * dim);
  perm.forEach((src, i) => xp.set(x.subarray(src * dim, src * dim + dim), i * dim));
  const q = pca2(xp, n, dim);
  const neg = pca2(x.map((v) => -v), n, dim);
  for (let j = 0; j < 2; j++) {
    for (let k = 0; k < dim; k++) assert.ok(Math.abs(neg.axes[j]![k]! - p.axes[j]![k]!) < 1e-9, `axis ${j} of the negated input`);
    for (let i = 0; i < n; i++) {
      assert.ok(Math.abs(q.coords[2 * i + j]! - p.coords[2 * perm[i]! + j]!) < 1e-9, `point ${i}, axis ${j}: reordered input`);
      assert.ok(Math.abs(neg.coords[2 * i + j]! + p.coords[2 * i + j]!) < 1e-9, `point ${i}, axis ${j}: negated input`);
    }
  }
});

test('pca2 names bad input', () => {
  assert.throws(() => pca2([1, 2, 3], 2, 2), /expected 4 values for 2 points of dimension 2, got 3/);
  assert.throws(() => pca2([1, NaN, 3, 4], 2, 2), /point 0 has a non-finite value at dimension 1/);
  assert.deepEqual(pca2([], 0, 3).explained, [0, 0]);
});
