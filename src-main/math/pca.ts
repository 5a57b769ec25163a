/**
 * The two leading principal components of a small point cloud (a few hundred feature vectors), for
 * the representation picture: each point's coordinates on PC1 and PC2 and how much of the variance
 * they hold. Pure math over `eigh`; the covariance (dim×dim) or, when there are fewer points than
 * dimensions, the Gram matrix (n×n) is decomposed, whichever is smaller, so the cost is
 * O(min(n, dim)³ + n·dim·min(n, dim)).
 */
import { eigh } from './eigh.ts';

/** A 2-D principal-component projection of n points. */
export interface Pca2 {
  /** n×2 row-major: point i at (coords[2i], coords[2i+1]) on (PC1, PC2), centred at the mean. */
  coords: Float64Array;
  /** Fractions of the total variance along PC1 and PC2 (0 when the total variance is 0). */
  explained: [number, number];
  /** Total variance: mean squared distance of the points from their centroid (trace of the covariance). */
  totalVariance: number;
  /**
   * Total variance over the mean squared norm of the points (uncentred): 1 for a cloud centred at
   * the origin, → 0 when every point sits at one place away from it (collapse to a point).
   */
  relativeVariance: number;
  /** PC1 and PC2 as unit vectors in feature space (dim each; zero where the variance along them is 0). */
  axes: [Float64Array, Float64Array];
}

/**
 * PCA of `n` points of dimension `dim` (`x` row-major n×dim). Signs are fixed so that each axis's
 * loading of largest magnitude is positive (the first such index on ties): the eigen solver's signs
 * are arbitrary, and this keeps a picture the same from one rerun, or one evaluation, to the next.
 */
export function pca2(x: ArrayLike<number>, n: number, dim: number): Pca2 {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(dim) || dim < 1) throw new Error(`pca2: n and dim must be integers (n ≥ 0, dim ≥ 1), got n = ${n}, dim = ${dim}`);
  if (x.length !== n * dim) throw new Error(`pca2: expected ${n * dim} values for ${n} points of dimension ${dim}, got ${x.length}`);
  const mean = new Float64Array(dim);
  let meanSquare = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) {
      const v = x[i * dim + k]!;
      if (!Number.isFinite(v)) throw new Error(`pca2: point ${i} has a non-finite value at dimension ${k}: ${v}`);
      mean[k]! += v;
      meanSquare += v * v;
    }
  }
  const empty = (): Pca2 => ({ coords: new Float64Array(2 * n), explained: [0, 0], totalVariance: 0, relativeVariance: 0, axes: [new Float64Array(dim), new Float64Array(dim)] });
  if (n === 0) return empty();
  for (let k = 0; k < dim; k++) mean[k]! /= n;
  meanSquare /= n;
  const xc = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) xc[i * dim + k] = x[i * dim + k]! - mean[k]!;

  const axes: [Float64Array, Float64Array] = [new Float64Array(dim), new Float64Array(dim)];
  const lambda: [number, number] = [0, 0];
  let trace = 0;
  if (dim <= n) {
    // Covariance C = Xcᵀ Xc / n; its leading eigenvectors are the axes.
    const c = new Float64Array(dim * dim);
    for (let i = 0; i < n; i++) {
      const row = i * dim;
      for (let a = 0; a < dim; a++) {
        const va = xc[row + a]!;
        if (va === 0) continue;
        for (let b = a; b < dim; b++) c[a * dim + b]! += va * xc[row + b]!;
      }
    }
    for (let a = 0; a < dim; a++) {
      for (let b = a; b < dim; b++) {
        const v = c[a * dim + b]! / n;
        c[a * dim + b] = v;
        c[b * dim + a] = v;
      }
      trace += c[a * dim + a]!;
    }
    const e = eigh(c, dim);
    for (let j = 0; j < Math.min(2, dim); j++) {
      lambda[j] = Math.max(0, e.values[j]!);
      if (lambda[j] > 0) for (let k = 0; k < dim; k++) axes[j]![k] = e.vectors[k * dim + j]!;
    }
  } else {
    // Gram G = Xc Xcᵀ / n shares C's non-zero eigenvalues; an eigenvector u of G gives the axis Xcᵀu / √(nλ).
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += xc[i * dim + k]! * xc[j * dim + k]!;
        g[i * n + j] = s / n;
        g[j * n + i] = s / n;
      }
      trace += g[i * n + i]!;
    }
    const e = eigh(g, n);
    for (let j = 0; j < Math.min(2, n); j++) {
      lambda[j] = Math.max(0, e.values[j]!);
      if (lambda[j] <= 0) continue;
      const axis = axes[j]!;
      for (let i = 0; i < n; i++) {
        const u = e.vectors[i * n + j]!;
        for (let k = 0; k < dim; k++) axis[k]! += xc[i * dim + k]! * u;
      }
      let norm = 0;
      for (let k = 0; k < dim; k++) norm += axis[k]! * axis[k]!;
      norm = Math.sqrt(norm);
      for (let k = 0; k < dim; k++) axis[k] = norm > 0 ? axis[k]! / norm : 0;
    }
  }
  // Rounding can leave eigenvalues a hair above a zero trace: no variance, no axes.
  if (!(trace > 0)) return empty();
  for (const axis of axes) {
    let at = 0;
    for (let k = 1; k < dim; k++) if (Math.abs(axis[k]!) > Math.abs(axis[at]!)) at = k;
    if (axis[at]! < 0) for (let k = 0; k < dim; k++) axis[k] = -axis[k]!;
  }
  const coords = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += xc[i * dim + k]! * axes[j]![k]!;
      coords[2 * i + j] = s;
    }
  }
  return {
    coords,
    explained: [Math.min(1, lambda[0] / trace), Math.min(1, lambda[1] / trace)],
    totalVariance: trace,
    relativeVariance: meanSquare > 0 ? Math.min(1, trace / meanSquare) : 0,
    axes,
  };
}
