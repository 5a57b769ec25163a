/**
 * Eigendecomposition of a real symmetric matrix by cyclic Jacobi rotations. Pure math, no imports:
 * used by the engine (F̂ → W_p for DirectPred, spectra) and the theory simulator. Accurate to
 * machine precision; O(n³) per sweep, a handful of sweeps (n = 128: a few tens of ms).
 */

/** Eigenvalues in descending order and the matching unit eigenvectors. */
export interface Eigh {
  /** λ_1 ≥ λ_2 ≥ … ≥ λ_n. */
  values: Float64Array;
  /** n×n row-major; column j (vectors[i*n + j], i = 0..n-1) is the eigenvector of values[j]. */
  vectors: Float64Array;
  n: number;
}

/**
 * Eigendecomposition of the symmetric n×n row-major matrix `a` (only its symmetric part is used:
 * (a + aᵀ)/2). `a` is not modified.
 */
export function eigh(a: ArrayLike<number>, n: number, opts: { maxSweeps?: number } = {}): Eigh {
  if (a.length !== n * n) throw new Error(`eigh: expected ${n * n} entries for a ${n}×${n} matrix, got ${a.length}`);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i * n + j] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  }
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(A[i]!)) throw new Error('eigh: the matrix has a non-finite entry');
  }
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  const maxSweeps = opts.maxSweeps ?? 60;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += A[i]! * A[i]!;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! * A[p * n + q]!;
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!;
        const aqq = A[q * n + q]!;
        // Rotation angle that zeroes A[p][q]: tan(2θ) = 2a_pq / (a_qq − a_pp), small root for stability.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!;
          const vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]!);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = A[src * n + src]!;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src]!;
  });
  return { values, vectors, n };
}
