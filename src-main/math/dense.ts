/**
 * Small dense linear-algebra helpers on row-major Float64Array matrices. Pure math, no imports:
 * the theory simulator's matrix ODEs (W is n2×n1, W_p is n2×n2) run on these in tight loops.
 */

// Scratch buffers for the transposed operands, grown on demand and reused (no garbage per call).
let scratchA = new Float64Array(0);
let scratchB = new Float64Array(0);
function scratch(which: 'a' | 'b', size: number): Float64Array {
  if (which === 'a') {
    if (scratchA.length < size) scratchA = new Float64Array(size);
    return scratchA;
  }
  if (scratchB.length < size) scratchB = new Float64Array(size);
  return scratchB;
}

/**
 * Kernel: out (m×n) = a (m×k) · btᵀ with bt given as n×k, both row-major. Dot-product form with a
 * 2×4 register block: eight independent accumulators fed by six loads per step, so the loop is
 * throughput-bound rather than bound by one add chain's latency (≈2× a plain i-k-j loop in V8).
 */
function gemmABt(a: Float64Array, bt: Float64Array, m: number, k: number, n: number, out: Float64Array): Float64Array {
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const ra0 = i * k, ra1 = ra0 + k;
    const o0 = i * n, o1 = o0 + n;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const rb0 = j * k, rb1 = rb0 + k, rb2 = rb1 + k, rb3 = rb2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[ra0 + p]!, x1 = a[ra1 + p]!;
        const y0 = bt[rb0 + p]!, y1 = bt[rb1 + p]!, y2 = bt[rb2 + p]!, y3 = bt[rb3 + p]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      out[o0 + j] = s00;
      out[o0 + j + 1] = s01;
      out[o0 + j + 2] = s02;
      out[o0 + j + 3] = s03;
      out[o1 + j] = s10;
      out[o1 + j + 1] = s11;
      out[o1 + j + 2] = s12;
      out[o1 + j + 3] = s13;
    }
    for (; j < n; j++) {
      const rb = j * k;
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) {
        const y = bt[rb + p]!;
        s0 += a[ra0 + p]! * y;
        s1 += a[ra1 + p]! * y;
      }
      out[o0 + j] = s0;
      out[o1 + j] = s1;
    }
  }
  if (i < m) {
    const ra = i * k;
    for (let j = 0; j < n; j++) {
      const rb = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ra + p]! * bt[rb + p]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

/** out (m×n) = a (m×k) · b (k×n). `out` must not alias `a` or `b`. */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number, out: Float64Array = new Float64Array(m * n)): Float64Array {
  return gemmABt(a, transpose(b, k, n, scratch('b', k * n)), m, k, n, out);
}

/** out (m×n) = a (m×k) · bᵀ where b is n×k. */
export function matmulBT(a: Float64Array, b: Float64Array, m: number, k: number, n: number, out: Float64Array = new Float64Array(m * n)): Float64Array {
  return gemmABt(a, b, m, k, n, out);
}

/** out (m×n) = aᵀ · b where a is k×m and b is k×n. */
export function matmulAT(a: Float64Array, b: Float64Array, k: number, m: number, n: number, out: Float64Array = new Float64Array(m * n)): Float64Array {
  return gemmABt(transpose(a, k, m, scratch('a', k * m)), transpose(b, k, n, scratch('b', k * n)), m, k, n, out);
}

/** Transpose of an m×n matrix (n×m). */
export function transpose(a: Float64Array, m: number, n: number, out: Float64Array = new Float64Array(m * n)): Float64Array {
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j]!;
  return out;
}

/** Frobenius norm ‖a‖_F. */
export function frobenius(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** Frobenius inner product ⟨a, b⟩ = Σ a_ij b_ij. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** n×n identity. */
export function identity(n: number, scale = 1): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = scale;
  return out;
}

/** n×n diagonal matrix from its diagonal. */
export function diag(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = values[i]!;
  return out;
}

/** Symmetric part (a + aᵀ)/2 of an n×n matrix. */
export function symmetricPart(a: Float64Array, n: number, out: Float64Array = new Float64Array(n * n)): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = 0.5 * (a[i * n + j]! + a[j * n + i]!);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/** Antisymmetric part (a − aᵀ)/2 of an n×n matrix. */
export function antisymmetricPart(a: Float64Array, n: number, out: Float64Array = new Float64Array(n * n)): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = 0.5 * (a[i * n + j]! - a[j * n + i]!);
  }
  return out;
}

/** Commutator [a, b] = ab − ba of n×n matrices. */
export function commutator(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const ab = matmul(a, b, n, n, n);
  const ba = matmul(b, a, n, n, n);
  for (let i = 0; i < n * n; i++) ab[i] = ab[i]! - ba[i]!;
  return ab;
}

/** Converts nested rows to a row-major Float64Array, checking the shape. `what` names it in errors. */
export function fromRows(rows: number[][], what: string, rowsExpected?: number, colsExpected?: number): Float64Array {
  const m = rows.length;
  if (rowsExpected !== undefined && m !== rowsExpected) throw new Error(`${what}: expected ${rowsExpected} rows, got ${m}`);
  const n = m === 0 ? 0 : rows[0]!.length;
  if (colsExpected !== undefined && n !== colsExpected) throw new Error(`${what}: expected ${colsExpected} columns, got ${n}`);
  const out = new Float64Array(m * n);
  rows.forEach((r, i) => {
    if (r.length !== n) throw new Error(`${what}: row ${i} has ${r.length} entries, expected ${n}`);
    r.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new Error(`${what}: entry (${i}, ${j}) is not finite: ${v}`);
      out[i * n + j] = v;
    });
  });
  return out;
}

/**
 * Cholesky factor L (lower, LLᵀ = a) of a symmetric positive semi-definite matrix; pivots that
 * round to ≤ 0 are set to 0 so PSD (rank-deficient) covariances still give a usable factor.
 */
export function choleskyPSD(a: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]!));
  const tol = 1e-13 * (scale || 1);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= L[j * n + k]! * L[j * n + k]!;
    const pivot = s > tol ? Math.sqrt(s) : 0;
    L[j * n + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j]!;
      for (let k = 0; k < j; k++) t -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = pivot > 0 ? t / pivot : 0;
    }
  }
  return L;
}
