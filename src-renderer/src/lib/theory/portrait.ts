/**
 * Slider-speed geometry of the (p, s) phase portrait at fixed τ (paper Fig. 3, Eqs. 11–12) and of
 * the phase line on the invariant parabola (Fig. 4, Eq. 16): vector field, fixed points with their
 * stability, trajectories. Fixed points come from the theory module's closed forms; the field is
 * the per-mode flow ṗ = α_p s g − ηp, ṡ = 2ps g − 2ηs with g = τ − (1+σ²)p.
 */
import { fixedPoints, pDotOnParabola } from '../../../../src-main/theory/closedForms.ts';

/** The playground's parameters (paper symbols). */
export interface FlowParams {
  tau: number;
  sigma2: number;
  eta: number;
  alphaP: number;
  beta: number;
}

/** The (p, s) window drawn. */
export interface Window {
  p: [number, number];
  s: [number, number];
}

/** ṗ and ṡ at (p, s) for fixed τ. */
export function flowAt(q: FlowParams, p: number, s: number): [number, number] {
  const g = q.tau - (1 + q.sigma2) * p;
  return [q.alphaP * s * g - q.eta * p, 2 * p * s * g - 2 * q.eta * s];
}

/** One arrow of the vector field: its base and the (unnormalised) flow there. */
export interface Arrow {
  p: number;
  s: number;
  dp: number;
  ds: number;
}

/** The vector field on an n×m grid of cell centres. */
export function vectorField(q: FlowParams, w: Window, n = 21, m = 17): Arrow[] {
  const out: Arrow[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      const p = w.p[0] + ((i + 0.5) / n) * (w.p[1] - w.p[0]);
      const s = w.s[0] + ((k + 0.5) / m) * (w.s[1] - w.s[0]);
      const [dp, ds] = flowAt(q, p, s);
      out.push({ p, s, dp, ds });
    }
  }
  return out;
}

/** A fixed point of the (p, s) flow; `stable` per linearisation (null: degenerate, e.g. η = 0). */
export interface PortraitFixedPoint {
  p: number;
  s: number;
  stable: boolean | null;
  label: string;
}

/** What the portrait marks as fixed: isolated points, and at η = 0 the line p = τ/(1+σ²). */
export interface PortraitFixed {
  points: PortraitFixedPoint[];
  /** η = 0: every (τ/(1+σ²), s) is fixed (paper Fig. 3 left). */
  line: number | null;
  etaThreshold: number;
  collapseCertain: boolean;
}

/**
 * Fixed points at fixed τ. With η > 0: the origin (stable: eigenvalues −η, −2η), and on the
 * invariant parabola p*₋ (unstable, edge of the collapse basin) and p*₊ (stable) while
 * η ≤ τ²/(4(1+σ²)); beyond that threshold only the origin remains (Obs. #5).
 */
export function portraitFixedPoints(q: FlowParams): PortraitFixed {
  const fp = fixedPoints({ tau: q.tau, sigma2: q.sigma2, eta: q.eta, alphaP: q.alphaP });
  if (q.eta === 0) {
    return {
      points: [{ p: 0, s: 0, stable: false, label: 'origin (saddle)' }],
      line: q.tau / (1 + q.sigma2),
      etaThreshold: fp.etaThreshold,
      collapseCertain: false,
    };
  }
  const points: PortraitFixedPoint[] = [{ p: 0, s: 0, stable: true, label: 'collapse (0, 0)' }];
  if (!fp.collapseCertain && fp.pMinus !== null && fp.pPlus !== null) {
    points.push({ p: fp.pMinus, s: fp.sMinus!, stable: false, label: 'p*₋' });
    if (fp.pPlus !== fp.pMinus) points.push({ p: fp.pPlus, s: fp.sPlus!, stable: true, label: 'p*₊' });
  }
  return { points, line: null, etaThreshold: fp.etaThreshold, collapseCertain: fp.collapseCertain };
}

/** A trajectory of the flow from (p0, s0), RK4 with step dt until t1 or until it leaves a wide box. */
export function trajectory(q: FlowParams, p0: number, s0: number, t1: number, dt: number, bound: Window): [number, number][] {
  const pts: [number, number][] = [[p0, s0]];
  let p = p0;
  let s = s0;
  const spanP = bound.p[1] - bound.p[0];
  const spanS = bound.s[1] - bound.s[0];
  const steps = Math.ceil(t1 / dt);
  for (let k = 0; k < steps; k++) {
    const [a1, b1] = flowAt(q, p, s);
    const [a2, b2] = flowAt(q, p + 0.5 * dt * a1, s + 0.5 * dt * b1);
    const [a3, b3] = flowAt(q, p + 0.5 * dt * a2, s + 0.5 * dt * b2);
    const [a4, b4] = flowAt(q, p + dt * a3, s + dt * b3);
    p += (dt / 6) * (a1 + 2 * a2 + 2 * a3 + a4);
    s += (dt / 6) * (b1 + 2 * b2 + 2 * b3 + b4);
    if (!Number.isFinite(p) || !Number.isFinite(s)) break;
    pts.push([p, s]);
    if (p < bound.p[0] - spanP || p > bound.p[1] + spanP || s < bound.s[0] - spanS || s > bound.s[1] + spanS) break;
  }
  return pts;
}

/** Default trajectory starts: a spread of initial modes over the window (incl. small-s ones near the collapse basin). */
export function defaultStarts(w: Window): [number, number][] {
  const out: [number, number][] = [];
  const ps = [0.08, 0.3, 0.55, 0.85];
  const ss = [0.15, 0.6];
  for (const a of ps) for (const b of ss) out.push([w.p[0] + a * (w.p[1] - w.p[0]), w.s[0] + b * (w.s[1] - w.s[0])]);
  return out;
}

/** Phase line samples ṗ(p) on the invariant parabola (Eq. 16) at fixed τ. */
export function phaseLine(q: FlowParams, range: [number, number], count = 241): { p: number[]; pDot: number[] } {
  const p: number[] = [];
  const pDot: number[] = [];
  for (let i = 0; i < count; i++) {
    const x = range[0] + (i / (count - 1)) * (range[1] - range[0]);
    p.push(x);
    pDot.push(pDotOnParabola(x, q.tau, q.eta, q.sigma2));
  }
  return { p, pDot };
}
