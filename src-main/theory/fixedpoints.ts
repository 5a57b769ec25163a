/**
 * Fixed points of a planar flow found from the flow itself, not from closed forms: Newton's method
 * from a grid of starts (minimum-norm steps, so it also converges onto curves of fixed points where
 * the Jacobian is singular), deduplicated, each classified by the eigenvalues of its Jacobian
 * (central differences). A zero eigenvalue is checked for a curve of fixed points along its null
 * direction (Newton from a point a small step away lands there, not back), and such a curve is
 * traced through the window by predictor–corrector continuation. So a closed form that is wrong, or
 * a regime it does not cover (a line of fixed points, a saddle where a node was expected), shows.
 */

/** Stability of a fixed point from the eigenvalues of its Jacobian. */
export type Stability = 'stable' | 'unstable' | 'saddle' | 'marginal';

/** A planar vector field (ẋ, ẏ) at (x, y). */
export type PlanarField = (x: number, y: number) => [number, number];

/** The linearisation's verdict; 'non-hyperbolic' has a zero eigenvalue and no curve of fixed points through it. */
export type FixedPointKind = 'stable node' | 'stable focus' | 'unstable node' | 'unstable focus' | 'saddle' | 'center' | 'non-hyperbolic';

/** An isolated fixed point with its Jacobian [[a, b], [c, d]] and eigenvalues. */
export interface FoundFixedPoint {
  x: number;
  y: number;
  /** |flow| at (x, y): how close to an exact zero Newton got. */
  residual: number;
  jacobian: [number, number, number, number];
  eigenvalues: [{ re: number; im: number }, { re: number; im: number }];
  kind: FixedPointKind;
  stability: Stability;
}

/**
 * A curve made entirely of fixed points (e.g. w = w_a of the no-predictor flow at λ_d = λ_s), as
 * traced through the window. Along it the Jacobian has a zero eigenvalue (the tangent); the other
 * one, its trace, says whether nearby points fall onto the curve.
 */
export interface FixedCurve {
  x: number[];
  y: number[];
  /** Range of the transverse eigenvalue tr J over the traced points. */
  transverse: { min: number; max: number };
  kind: 'attracting' | 'repelling' | 'mixed';
}

/** What the search found, and how much it tried. */
export interface FixedPointSearch {
  points: FoundFixedPoint[];
  curves: FixedCurve[];
  starts: number;
  converged: number;
}

/** Search window and effort. */
export interface FixedPointOptions {
  /** Starts per axis on the window's grid (grid² Newton runs). */
  grid?: number;
  /** Newton iterations per start. */
  maxIter?: number;
}

type Vec = [number, number];
const norm = (v: Vec) => Math.hypot(v[0], v[1]);

/** Jacobian of `field` at (x, y) by central differences, steps relative to the window size L. */
function jacobianAt(field: PlanarField, x: number, y: number, L: number): [number, number, number, number] {
  const hx = 1e-6 * Math.max(L, Math.abs(x)), hy = 1e-6 * Math.max(L, Math.abs(y));
  const [a1, c1] = field(x + hx, y), [a0, c0] = field(x - hx, y);
  const [b1, d1] = field(x, y + hy), [b0, d0] = field(x, y - hy);
  return [(a1 - a0) / (2 * hx), (b1 - b0) / (2 * hy), (c1 - c0) / (2 * hx), (d1 - d0) / (2 * hy)];
}

/** Singular values σ₁ ≥ σ₂ and right singular vectors of a 2×2 matrix (from JᵀJ, closed form). */
function svd2(J: [number, number, number, number]): { s: Vec; v: [Vec, Vec] } {
  const [a, b, c, d] = J;
  const p = a * a + c * c, q = a * b + c * d, r = b * b + d * d; // JᵀJ = [[p, q], [q, r]]
  const mid = (p + r) / 2, rad = Math.hypot((p - r) / 2, q);
  const l1 = mid + rad, l2 = Math.max(0, mid - rad);
  // Eigenvector of [[p, q], [q, r]] for l1; the other is its perpendicular.
  let v1: Vec = Math.abs(q) > 1e-300 ? [l1 - r, q] : p >= r ? [1, 0] : [0, 1];
  const n1 = norm(v1);
  v1 = n1 > 0 ? [v1[0] / n1, v1[1] / n1] : [1, 0];
  return { s: [Math.sqrt(l1), Math.sqrt(l2)], v: [v1, [-v1[1], v1[0]]] };
}

/** Minimum-norm Newton step −J⁺f (singular values below 1e-10·σ₁ count as zero). */
function newtonStep(J: [number, number, number, number], f: Vec): Vec | null {
  const { s, v } = svd2(J);
  if (!(s[0] > 0) || !Number.isFinite(s[0])) return null;
  const [a, b, c, d] = J;
  const jtf: Vec = [a * f[0] + c * f[1], b * f[0] + d * f[1]];
  const step: Vec = [0, 0];
  for (let i = 0; i < 2; i++) {
    if (s[i]! <= 1e-10 * s[0]) continue;
    const k = (v[i]![0] * jtf[0] + v[i]![1] * jtf[1]) / (s[i]! * s[i]!);
    step[0] -= k * v[i]![0];
    step[1] -= k * v[i]![1];
  }
  return step;
}

/**
 * Damped minimum-norm Newton from (x, y) until |f| stops falling; the end point when |f| is below
 * `tolF`, else null. Runs the full budget on a degenerate root, where convergence is only linear.
 */
function newton(field: PlanarField, x0: Vec, L: number, tolF: number, maxIter: number, centre: Vec): Vec | null {
  let x: Vec = [x0[0], x0[1]];
  let f = field(x[0], x[1]);
  let fn = norm(f);
  for (let it = 0; it < maxIter && fn > 0; it++) {
    const step = newtonStep(jacobianAt(field, x[0], x[1], L), f);
    if (!step) break;
    let alpha = 1, moved = false;
    for (let k = 0; k < 30; k++, alpha /= 2) {
      const xn: Vec = [x[0] + alpha * step[0], x[1] + alpha * step[1]];
      const fNew = field(xn[0], xn[1]);
      const fnNew = norm(fNew);
      if (Number.isFinite(fnNew) && fnNew < fn) {
        x = xn;
        f = fNew;
        fn = fnNew;
        moved = true;
        break;
      }
    }
    if (!moved) break;
    if (Math.hypot(x[0] - centre[0], x[1] - centre[1]) > 100 * L) return null;
  }
  return fn <= tolF && Number.isFinite(x[0]) && Number.isFinite(x[1]) ? x : null;
}

/**
 * Corrector of the curve tracing: Gauss–Newton in u alone for f(q + u·n) = 0 with |u| ≤ maxU, so
 * the point found lies on the line through q along n (the normal to the tangent, as in
 * pseudo-arclength continuation) and the trace cannot jump to another curve nearby.
 */
function correctAlong(field: PlanarField, q: Vec, n: Vec, maxU: number, tolF: number): Vec | null {
  let u = 0;
  let f = field(q[0], q[1]);
  let fn = norm(f);
  const e = 1e-7 * maxU;
  for (let it = 0; it < 50 && fn > tolF * 1e-3; it++) {
    const [a1, b1] = field(q[0] + (u + e) * n[0], q[1] + (u + e) * n[1]);
    const [a0, b0] = field(q[0] + (u - e) * n[0], q[1] + (u - e) * n[1]);
    const d: Vec = [(a1 - a0) / (2 * e), (b1 - b0) / (2 * e)];
    const dd = d[0] * d[0] + d[1] * d[1];
    if (!(dd > 0)) break;
    const step = -(d[0] * f[0] + d[1] * f[1]) / dd;
    let alpha = 1, moved = false;
    for (let k = 0; k < 30; k++, alpha /= 2) {
      const un = u + alpha * step;
      if (Math.abs(un) > maxU) continue;
      const fNew = field(q[0] + un * n[0], q[1] + un * n[1]);
      const fnNew = norm(fNew);
      if (Number.isFinite(fnNew) && fnNew < fn) {
        u = un;
        f = fNew;
        fn = fnNew;
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
  return fn <= tolF ? [q[0] + u * n[0], q[1] + u * n[1]] : null;
}

/** Eigenvalues of [[a, b], [c, d]] and the kind of fixed point they make. */
export function classifyJacobian(J: [number, number, number, number], zeroTol: number): { eigenvalues: FoundFixedPoint['eigenvalues']; kind: FixedPointKind; stability: Stability } {
  const [a, b, c, d] = J;
  const tr = a + d, det = a * d - b * c, disc = tr * tr - 4 * det;
  const eigenvalues: FoundFixedPoint['eigenvalues'] =
    disc >= 0
      ? [{ re: (tr + Math.sqrt(disc)) / 2, im: 0 }, { re: (tr - Math.sqrt(disc)) / 2, im: 0 }]
      : [{ re: tr / 2, im: Math.sqrt(-disc) / 2 }, { re: tr / 2, im: -Math.sqrt(-disc) / 2 }];
  const modulus = eigenvalues.map((e) => Math.hypot(e.re, e.im));
  let kind: FixedPointKind;
  if (Math.min(...modulus) <= zeroTol) kind = 'non-hyperbolic';
  else if (disc < 0) kind = Math.abs(tr / 2) <= zeroTol ? 'center' : tr < 0 ? 'stable focus' : 'unstable focus';
  else if (det < 0) kind = 'saddle';
  else kind = tr < 0 ? 'stable node' : 'unstable node';
  const stability: Stability = kind === 'saddle' ? 'saddle' : kind.startsWith('stable') ? 'stable' : kind.startsWith('unstable') ? 'unstable' : 'marginal';
  return { eigenvalues, kind, stability };
}

/**
 * Fixed points of `field` in the window [x0, x1] × [y0, y1]: isolated ones, classified, and curves
 * of fixed points, traced. Bounded work: grid² Newton runs of at most maxIter steps, and curves of
 * at most 8·(window perimeter)/(step) points.
 */
export function findPlanarFixedPoints(field: PlanarField, window: { x: [number, number]; y: [number, number] }, options: FixedPointOptions = {}): FixedPointSearch {
  const grid = Math.max(2, Math.min(60, Math.floor(options.grid ?? 15)));
  const maxIter = Math.max(10, Math.min(500, Math.floor(options.maxIter ?? 200)));
  const [xa, xb] = window.x, [ya, yb] = window.y;
  const L = Math.max(xb - xa, yb - ya);
  if (!(L > 0) || !Number.isFinite(L)) throw new Error(`findPlanarFixedPoints: empty or infinite window x ${window.x}, y ${window.y}`);
  const centre: Vec = [(xa + xb) / 2, (ya + yb) / 2];
  const inside = (p: Vec, m = 1e-9 * L) => p[0] >= xa - m && p[0] <= xb + m && p[1] >= ya - m && p[1] <= yb + m;

  const starts: Vec[] = [];
  for (let i = 0; i < grid; i++) for (let k = 0; k < grid; k++) starts.push([xa + ((i + 0.5) / grid) * (xb - xa), ya + ((k + 0.5) / grid) * (yb - ya)]);
  // Scale of the flow, for tolerances that do not depend on its units.
  const fScale = Math.max(1e-300, ...starts.map((s) => norm(field(s[0], s[1]))).filter(Number.isFinite));
  const tolF = 1e-10 * fScale;
  const zeroTol = (J: [number, number, number, number]) => 1e-6 * Math.max(Math.hypot(...J), fScale / L);

  const roots: Vec[] = [];
  for (const s of starts) {
    const r = newton(field, s, L, tolF, maxIter, centre);
    if (r && inside(r)) roots.push(r);
  }

  const h = L / 200;
  const curves: FixedCurve[] = [];
  const points: FoundFixedPoint[] = [];
  const onCurve = (p: Vec) => curves.some((c) => c.x.some((x, i) => Math.hypot(x - p[0], c.y[i]! - p[1]) < 1.5 * h));
  // Curves of fixed points can cross (η = 0 in Eqs. 11–12: s = 0 and p = τ/(1+σ²)); there J
  // vanishes, so the transverse eigenvalue tr J changes sign along each curve. Newton from the grid
  // may only ever land on one of them, so where tr J changes sign the neighbourhood is searched for
  // further branches after tracing.
  const branchPoints: Vec[] = [];
  const nullDir = (p: Vec): { v: Vec; zero: boolean; flat: boolean; tr: number } => {
    const J = jacobianAt(field, p[0], p[1], L);
    const { s, v } = svd2(J);
    const tol = 1e-6 * (fScale / L);
    return { v: v[1], zero: s[1] <= zeroTol(J), flat: s[0] <= tol, tr: J[0] + J[3] };
  };
  // Does Newton from a small step along the null direction land a step away (a curve), or come back?
  const continues = (p: Vec, v: Vec): boolean =>
    [1, -1].some((sgn) => {
      const q: Vec = [p[0] + sgn * h * v[0], p[1] + sgn * h * v[1]];
      const r = newton(field, q, L, tolF, 50, centre);
      return r !== null && Math.hypot(r[0] - q[0], r[1] - q[1]) < h / 2 && Math.hypot(r[0] - p[0], r[1] - p[1]) > h / 2;
    });
  const trace = (p: Vec, v0: Vec): FixedCurve => {
    const sides: Vec[][] = [];
    const maxSteps = Math.ceil((8 * 2 * ((xb - xa) + (yb - ya))) / h);
    let closed = false;
    for (const sgn of [1, -1]) {
      const pts: Vec[] = [];
      sides.push(pts);
      if (closed) break; // the first direction came round to the start: nothing left to trace
      let x = p, t: Vec = [sgn * v0[0], sgn * v0[1]];
      for (let k = 0; k < maxSteps; k++) {
        const r = correctAlong(field, [x[0] + h * t[0], x[1] + h * t[1]], [-t[1], t[0]], h, tolF);
        if (!r || Math.hypot(r[0] - x[0], r[1] - x[1]) < h / 4) break;
        pts.push(r);
        if (!inside(r, 0.05 * L)) break;
        if (k > 2 && Math.hypot(r[0] - p[0], r[1] - p[1]) < 0.75 * h) {
          closed = true;
          break;
        }
        const nd = nullDir(r);
        if (!nd.zero) break;
        // At a crossing J ≈ 0 and its null direction is noise: keep going straight.
        if (!nd.flat) t = nd.v[0] * t[0] + nd.v[1] * t[1] >= 0 ? nd.v : [-nd.v[0], -nd.v[1]];
        x = r;
      }
    }
    const all = [...sides[1]!.reverse(), p, ...sides[0]!];
    const trs = all.map((q) => nullDir(q).tr);
    for (let i = 1; i < all.length; i++) if (trs[i - 1]! * trs[i]! < 0) branchPoints.push(all[i]!);
    const min = Math.min(...trs), max = Math.max(...trs);
    const tol = 1e-6 * Math.max(1, ...trs.map(Math.abs));
    return { x: all.map((q) => q[0]), y: all.map((q) => q[1]), transverse: { min, max }, kind: max < -tol ? 'attracting' : min > tol ? 'repelling' : 'mixed' };
  };

  // Best-converged first, so each cluster is represented by its most exact member.
  const ranked = roots.map((r) => ({ r, res: norm(field(r[0], r[1])) })).sort((a, b) => a.res - b.res);
  const dedup = 1e-6 * L;
  for (const { r, res } of ranked) {
    if (points.some((q) => Math.hypot(q.x - r[0], q.y - r[1]) < Math.max(dedup, 1e-3 * h)) || onCurve(r)) continue;
    const nd = nullDir(r);
    if (nd.zero && continues(r, nd.v)) {
      curves.push(trace(r, nd.v));
      continue;
    }
    const J = jacobianAt(field, r[0], r[1], L);
    points.push({ x: r[0], y: r[1], residual: res, jacobian: J, ...classifyJacobian(J, zeroTol(J)) });
  }
  for (let i = 0; i < branchPoints.length && curves.length < 64; i++) {
    const b = branchPoints[i]!;
    for (let k = 0; k < 16; k++) {
      // 3h out, so a point of another branch is clear of onCurve's 1.5h around the traced one.
      const d: Vec = [Math.cos((k * Math.PI) / 8), Math.sin((k * Math.PI) / 8)];
      const r = correctAlong(field, [b[0] + 3 * h * d[0], b[1] + 3 * h * d[1]], [-d[1], d[0]], 1.5 * h, tolF);
      if (!r || !inside(r) || onCurve(r)) continue;
      const nd = nullDir(r);
      if (nd.zero && !nd.flat) curves.push(trace(r, nd.v));
    }
  }
  // A degenerate root is approached linearly: Newton runs from different starts stop at slightly
  // different points; keep one per cluster (the loop above keeps the most exact).
  points.sort((a, b) => Math.hypot(a.x, a.y) - Math.hypot(b.x, b.y) || a.x - b.x || a.y - b.y);
  return { points, curves, starts: starts.length, converged: roots.length };
}
