/**
 * Data for the paper's phase pictures: the (p_j, s_j) portrait of Eqs. 11–12 at fixed τ (Fig. 3),
 * the phase line of ṗ_j on the invariant parabola (Eq. 16, Fig. 4) and the low-dimensional
 * (w, w_p, w_a) flows of Appendix D.4 (Eqs. 104–106, Fig. 10). Returns numbers only; the UI draws.
 */
import { fixedPoints, invariantParabola, pDotOnParabola } from './closedForms.ts';
import { findPlanarFixedPoints, type FixedCurve, type FixedPointKind, type PlanarField, type Stability } from './fixedpoints.ts';
import { LowDimFlowParamsSchema, PhaseLineParamsSchema, PhasePortraitParamsSchema, parseParams, type LowDimFlowParams, type PhaseLineParams, type PhasePortraitParams } from './params.ts';

export type { Stability } from './fixedpoints.ts';

/** A fixed point of a planar flow. */
export interface PlanarFixedPoint {
  x: number;
  y: number;
  stability: Stability;
  /** Real parts of the Jacobian eigenvalues. */
  eigenvalues: [number, number];
  label: string;
  /** The linearisation's finer verdict, where the point was found numerically (low-dim flows). */
  kind?: FixedPointKind;
}

/** A vector field sampled on a grid plus trajectories. */
export interface PlanarFlow {
  /** Grid coordinates (x along columns, y along rows). */
  gridX: number[];
  gridY: number[];
  /** Field components, row-major [iy][ix]. */
  u: number[][];
  v: number[][];
  /** Trajectories as coordinate lists (RK4 in time, stopped if they leave 10× the window). */
  trajectories: { x: number[]; y: number[] }[];
  fixedPoints: PlanarFixedPoint[];
  /** Lines made entirely of fixed points (e.g. η = 0), as { axis, value } (axis 'x' means x = value). */
  fixedLines: { axis: 'x' | 'y'; value: number; label: string }[];
}

/** Classifies a 2×2 Jacobian [[a, b], [c, d]]. */
export function classify2x2(a: number, b: number, c: number, d: number): { stability: Stability; eigenvalues: [number, number] } {
  const tr = a + d, det = a * d - b * c;
  const disc = tr * tr - 4 * det;
  const re: [number, number] = disc >= 0 ? [(tr + Math.sqrt(disc)) / 2, (tr - Math.sqrt(disc)) / 2] : [tr / 2, tr / 2];
  const tol = 1e-12 * (Math.abs(a) + Math.abs(b) + Math.abs(c) + Math.abs(d) + 1e-300);
  let stability: Stability;
  if (re.some((r) => Math.abs(r) <= tol)) stability = 'marginal';
  else if (re[0] < 0 && re[1] < 0) stability = 'stable';
  else if (re[0] > 0 && re[1] > 0) stability = 'unstable';
  else stability = 'saddle';
  return { stability, eigenvalues: re };
}

type Field = (x: number, y: number) => [number, number];

function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

function trace(field: Field, x0: number, y0: number, t1: number, dt: number, box: [number, number, number, number], clampY0?: boolean): { x: number[]; y: number[] } {
  const xs = [x0], ys = [y0];
  let x = x0, y = y0;
  const steps = Math.ceil(t1 / dt);
  const every = Math.max(1, Math.floor(steps / 400)); // ≤ ~400 points per trajectory
  const [xa, xb, ya, yb] = box;
  const wx = xb - xa, wy = yb - ya;
  for (let k = 1; k <= steps; k++) {
    const [a1, b1] = field(x, y);
    const [a2, b2] = field(x + 0.5 * dt * a1, y + 0.5 * dt * b1);
    const [a3, b3] = field(x + 0.5 * dt * a2, y + 0.5 * dt * b2);
    const [a4, b4] = field(x + dt * a3, y + dt * b3);
    x += (dt / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
    y += (dt / 6) * (b1 + 2 * b2 + 2 * b3 + b4);
    if (clampY0 && y < 0) y = 0;
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < xa - 10 * wx || x > xb + 10 * wx || y < ya - 10 * wy || y > yb + 10 * wy) break;
    if (k % every === 0 || k === steps) {
      xs.push(x);
      ys.push(y);
    }
  }
  return { x: xs, y: ys };
}

function sampleField(field: Field, gx: number[], gy: number[]): { u: number[][]; v: number[][] } {
  const u: number[][] = [], v: number[][] = [];
  for (const y of gy) {
    const ru: number[] = [], rv: number[] = [];
    for (const x of gx) {
      const [a, b] = field(x, y);
      ru.push(a);
      rv.push(b);
    }
    u.push(ru);
    v.push(rv);
  }
  return { u, v };
}

function defaultStarts(xr: [number, number], yr: [number, number], n = 5): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) out.push([xr[0] + ((i + 0.5) / n) * (xr[1] - xr[0]), yr[0] + ((k + 0.5) / n) * (yr[1] - yr[0])]);
  return out;
}

/** (p, s) portrait of Eqs. 11–12 at fixed τ: field, trajectories, fixed points and the parabola s = p²/α_p. */
export function phasePortrait(input: Partial<PhasePortraitParams> | PhasePortraitParams): PlanarFlow & { params: PhasePortraitParams; parabola: { p: number[]; s: number[] } } {
  const params = parseParams(PhasePortraitParamsSchema, input, 'phase-portrait');
  const { tau, alphaP, eta, sigma2, pRange, sRange } = params;
  const lambda = 1 + sigma2;
  const field: Field = (p, s) => {
    const g = tau - lambda * p;
    return [alphaP * s * g - eta * p, 2 * p * s * g - 2 * eta * s];
  };
  const jac = (p: number, s: number) => classify2x2(-alphaP * lambda * s - eta, alphaP * (tau - lambda * p), 2 * s * (tau - 2 * lambda * p), 2 * p * (tau - lambda * p) - 2 * eta);
  const gridX = linspace(pRange[0], pRange[1], params.gridP);
  const gridY = linspace(sRange[0], sRange[1], params.gridS);
  const { u, v } = sampleField(field, gridX, gridY);
  const starts = params.starts ?? defaultStarts(pRange, sRange);
  const trajectories = starts.map(([p, s]) => trace(field, p, s, params.t1, params.dt, [pRange[0], pRange[1], sRange[0], sRange[1]], true));
  const fps: PlanarFixedPoint[] = [];
  const fixedLines: PlanarFlow['fixedLines'] = [];
  if (eta === 0) {
    // ṗ = α_p s g, ṡ = 2 p s g: every point with s = 0 or p = τ/(1+σ²) is fixed.
    fixedLines.push({ axis: 'y', value: 0, label: 's = 0' }, { axis: 'x', value: tau / lambda, label: 'p = τ/(1+σ²)' });
  } else {
    fps.push({ x: 0, y: 0, ...jac(0, 0), label: 'collapse (0, 0)' });
    const fp = fixedPoints({ tau, sigma2, eta, alphaP });
    if (fp.pMinus !== null) fps.push({ x: fp.pMinus, y: fp.sMinus!, ...jac(fp.pMinus, fp.sMinus!), label: 'p*₋' });
    if (fp.pPlus !== null && fp.pPlus !== fp.pMinus) fps.push({ x: fp.pPlus, y: fp.sPlus!, ...jac(fp.pPlus, fp.sPlus!), label: 'p*₊' });
  }
  const pp = linspace(pRange[0], pRange[1], 201);
  return { params, gridX, gridY, u, v, trajectories, fixedPoints: fps, fixedLines, parabola: { p: pp, s: pp.map((p) => invariantParabola(p, alphaP)) } };
}

/** Phase line of Eq. 16: ṗ over a p grid, with the fixed points 0, p*₋, p*₊ and their stability. */
export function phaseLine(input: Partial<PhaseLineParams> | PhaseLineParams): { params: PhaseLineParams; p: number[]; pDot: number[]; fixedPoints: { p: number; stability: Stability; label: string }[]; etaThreshold: number; collapseCertain: boolean } {
  const params = parseParams(PhaseLineParamsSchema, input, 'phase-line');
  const { tau, eta, sigma2 } = params;
  const lambda = 1 + sigma2;
  const p = linspace(params.pRange[0], params.pRange[1], params.count);
  const pDot = p.map((x) => pDotOnParabola(x, tau, eta, sigma2));
  const fp = fixedPoints({ tau, sigma2, eta });
  const slope = (x: number) => 2 * x * tau - 3 * lambda * x * x - eta; // d ṗ / dp
  const kind = (x: number): Stability => {
    const d = slope(x);
    if (Math.abs(d) > 1e-14) return d < 0 ? 'stable' : 'unstable';
    // Degenerate: at η = 0, p = 0 is a saddle-node (ṗ ≈ τp² keeps its sign across 0).
    return 'saddle';
  };
  const list: { p: number; stability: Stability; label: string }[] = [{ p: 0, stability: kind(0), label: '0' }];
  if (fp.pMinus !== null && fp.pMinus !== 0) list.push({ p: fp.pMinus, stability: kind(fp.pMinus), label: 'p*₋' });
  if (fp.pPlus !== null && fp.pPlus !== fp.pMinus) list.push({ p: fp.pPlus, stability: kind(fp.pPlus), label: 'p*₊' });
  return { params, p, pDot, fixedPoints: list, etaThreshold: fp.etaThreshold, collapseCertain: fp.collapseCertain };
}

/** The low-dimensional flows' parameters (Appendix D.4). */
export type LowDimVariantParams = Pick<LowDimFlowParams, 'variant' | 'lambdaS' | 'lambdaD' | 'alphaP' | 'beta'>;

/**
 * The planar field of one Appendix D.4 flow (ẇ_p = α_p(w_a λ_d − w_p w λ_s) w,
 * ẇ = w_p(w_a λ_d − w_p w λ_s), ẇ_a = β(w − w_a)) restricted to its plane: 'fixed-target' (w, w_p)
 * with w_a ≡ 1, 'tied' (w, w_a) with w_p = w, 'no-predictor' (w, w_a) with w_p ≡ 1.
 */
export function lowDimField(p: LowDimVariantParams): { field: PlanarField; axes: [string, string] } {
  const { lambdaS, lambdaD, alphaP, beta } = p;
  if (p.variant === 'fixed-target') {
    return {
      axes: ['w', 'w_p'],
      field: (w, wp) => {
        const r = lambdaD - wp * w * lambdaS;
        return [wp * r, alphaP * r * w];
      },
    };
  }
  if (p.variant === 'tied') return { axes: ['w', 'w_a'], field: (w, wa) => [w * (wa * lambdaD - w * w * lambdaS), beta * (w - wa)] };
  return { axes: ['w', 'w_a'], field: (w, wa) => [wa * lambdaD - w * lambdaS, beta * (w - wa)] };
}

/**
 * Planar flows of Appendix D.4 (ẇ_p = α_p(w_a λ_d − w_p w λ_s) w, ẇ = w_p(w_a λ_d − w_p w λ_s),
 * ẇ_a = β(w − w_a)): 'fixed-target' is (w, w_p) with w_a ≡ 1 (a hyperbola of fixed points
 * w_p w = λ_d/λ_s); 'tied' is (w, w_a) with w_p = w; 'no-predictor' is (w, w_a) with w_p ≡ 1.
 */
export function lowDimFlow(input: LowDimFlowParams | { variant: LowDimFlowParams['variant'] } & Partial<LowDimFlowParams>): PlanarFlow & { params: LowDimFlowParams; axes: [string, string]; fixedCurve?: (FixedCurve & { label: string })[] } {
  const params = parseParams(LowDimFlowParamsSchema, input, 'low-dim-flow');
  const { range } = params;
  const { field, axes } = lowDimField(params);
  // Fixed points from the flow itself (Newton from a grid, Jacobian eigenvalues), so every regime
  // shows as it is: λ_d = λ_s turns the no-predictor origin into a line of fixed points w = w_a,
  // λ_d > λ_s into a saddle; the fixed-target flow has a hyperbola w_p·w = λ_d/λ_s.
  const found = findPlanarFixedPoints(field, { x: range, y: range });
  const fmt = (v: number) => String(Number(v.toPrecision(4)));
  const small = 1e-6 * (range[1] - range[0]);
  const fps: PlanarFixedPoint[] = found.points.map((f) => ({
    x: f.x,
    y: f.y,
    stability: f.stability,
    kind: f.kind,
    eigenvalues: [f.eigenvalues[0].re, f.eigenvalues[1].re],
    label: Math.hypot(f.x, f.y) < small ? (params.variant === 'fixed-target' ? 'origin' : 'collapse') : `${axes[0]} = ${fmt(f.x)}, ${axes[1]} = ${fmt(f.y)}`,
  }));
  const fixedCurve = found.curves.map((c) => ({ ...c, label: `curve of fixed points from (${fmt(c.x[0]!)}, ${fmt(c.y[0]!)}) to (${fmt(c.x.at(-1)!)}, ${fmt(c.y.at(-1)!)}), ${c.kind}` }));
  const gridX = linspace(range[0], range[1], params.grid);
  const gridY = gridX.slice();
  const { u, v } = sampleField(field, gridX, gridY);
  const starts = params.starts ?? defaultStarts(range, range);
  const trajectories = starts.map(([x, y]) => trace(field, x, y, params.t1, params.dt, [range[0], range[1], range[0], range[1]]));
  return { params, gridX, gridY, u, v, trajectories, fixedPoints: fps, fixedLines: [], axes, ...(fixedCurve.length ? { fixedCurve } : {}) };
}
