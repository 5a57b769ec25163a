/**
 * ODE integrators on flat Float64Array states: classic fixed-step RK4 and adaptive Dormand–Prince
 * 5(4) (Dormand & Prince 1980; Hairer, Nørsett & Wanner, "Solving ODEs I", §II.5, with the
 * standard step-size controller). Both visit a list of sample times exactly.
 */
import type { IntegratorParams } from './params.ts';

/** Right-hand side: writes dy/dt at (t, y) into `dy`. */
export type Derivative = (t: number, y: Float64Array, dy: Float64Array) => void;

/** Counts of the work done, for reports and benchmarks. */
export interface IntegrationStats {
  steps: number;
  rejected: number;
  evaluations: number;
}

function assertFinite(y: Float64Array, t: number): void {
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) throw new Error(`integration diverged: state entry ${i} is ${y[i]} at t = ${t}; reduce the step or the time horizon`);
  }
}

/**
 * Integrates y' = f(t, y) from times[0] to the last entry of `times` (ascending), calling
 * `onSample(t, y)` at each of them (y is the live state: copy what you keep). `y` is updated in place.
 */
export function integrate(f: Derivative, y: Float64Array, times: number[], opts: IntegratorParams, onSample: (t: number, y: Float64Array) => void): IntegrationStats {
  const stats: IntegrationStats = { steps: 0, rejected: 0, evaluations: 0 };
  if (times.length === 0) return stats;
  onSample(times[0]!, y);
  if (opts.method === 'rk4') {
    const n = y.length;
    const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n), tmp = new Float64Array(n);
    for (let s = 1; s < times.length; s++) {
      const ta = times[s - 1]!;
      const tb = times[s]!;
      // Equal steps no longer than dt so each sample time is hit exactly.
      const count = Math.max(1, Math.ceil((tb - ta) / opts.dt - 1e-9));
      const h = (tb - ta) / count;
      for (let c = 0; c < count; c++) {
        const t = ta + c * h;
        f(t, y, k1);
        for (let i = 0; i < n; i++) tmp[i] = y[i]! + 0.5 * h * k1[i]!;
        f(t + 0.5 * h, tmp, k2);
        for (let i = 0; i < n; i++) tmp[i] = y[i]! + 0.5 * h * k2[i]!;
        f(t + 0.5 * h, tmp, k3);
        for (let i = 0; i < n; i++) tmp[i] = y[i]! + h * k3[i]!;
        f(t + h, tmp, k4);
        for (let i = 0; i < n; i++) y[i] = y[i]! + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
        stats.steps++;
        stats.evaluations += 4;
      }
      assertFinite(y, tb);
      onSample(tb, y);
    }
    return stats;
  }
  return dopri5(f, y, times, opts, onSample, stats);
}

// Dormand–Prince 5(4) tableau.
const C2 = 1 / 5, C3 = 3 / 10, C4 = 4 / 5, C5 = 8 / 9;
const A21 = 1 / 5;
const A31 = 3 / 40, A32 = 9 / 40;
const A41 = 44 / 45, A42 = -56 / 15, A43 = 32 / 9;
const A51 = 19372 / 6561, A52 = -25360 / 2187, A53 = 64448 / 6561, A54 = -212 / 729;
const A61 = 9017 / 3168, A62 = -355 / 33, A63 = 46732 / 5247, A64 = 49 / 176, A65 = -5103 / 18656;
const B1 = 35 / 384, B3 = 500 / 1113, B4 = 125 / 192, B5 = -2187 / 6784, B6 = 11 / 84;
// Error weights: 5th-order minus embedded 4th-order solution.
const E1 = 71 / 57600, E3 = -71 / 16695, E4 = 71 / 1920, E5 = -17253 / 339200, E6 = 22 / 525, E7 = -1 / 40;

function dopri5(f: Derivative, y: Float64Array, times: number[], opts: Extract<IntegratorParams, { method: 'dopri5' }>, onSample: (t: number, y: Float64Array) => void, stats: IntegrationStats): IntegrationStats {
  const n = y.length;
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n);
  const k5 = new Float64Array(n), k6 = new Float64Array(n), k7 = new Float64Array(n), tmp = new Float64Array(n), yNew = new Float64Array(n);
  const { rtol, atol } = opts;
  const span = times[times.length - 1]! - times[0]!;
  const dtMax = opts.dtMax ?? span;
  let t = times[0]!;
  f(t, y, k1);
  stats.evaluations++;
  let h = Math.min(dtMax, 1e-3 * Math.max(span, 1e-12));
  for (let s = 1; s < times.length; s++) {
    const tb = times[s]!;
    while (t < tb) {
      if (stats.steps + stats.rejected >= opts.maxSteps) throw new Error(`dopri5: more than ${opts.maxSteps} steps before t = ${tb} (stiff or diverging; try rk4 with a small dt)`);
      let hh = Math.min(h, dtMax);
      const last = t + hh >= tb - 1e-12 * Math.max(1, Math.abs(tb));
      if (last) hh = tb - t;
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + hh * A21 * k1[i]!;
      f(t + C2 * hh, tmp, k2);
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + hh * (A31 * k1[i]! + A32 * k2[i]!);
      f(t + C3 * hh, tmp, k3);
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + hh * (A41 * k1[i]! + A42 * k2[i]! + A43 * k3[i]!);
      f(t + C4 * hh, tmp, k4);
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + hh * (A51 * k1[i]! + A52 * k2[i]! + A53 * k3[i]! + A54 * k4[i]!);
      f(t + C5 * hh, tmp, k5);
      for (let i = 0; i < n; i++) tmp[i] = y[i]! + hh * (A61 * k1[i]! + A62 * k2[i]! + A63 * k3[i]! + A64 * k4[i]! + A65 * k5[i]!);
      f(t + hh, tmp, k6);
      for (let i = 0; i < n; i++) yNew[i] = y[i]! + hh * (B1 * k1[i]! + B3 * k3[i]! + B4 * k4[i]! + B5 * k5[i]! + B6 * k6[i]!);
      f(t + hh, yNew, k7);
      stats.evaluations += 6;
      let err = 0;
      for (let i = 0; i < n; i++) {
        const e = hh * (E1 * k1[i]! + E3 * k3[i]! + E4 * k4[i]! + E5 * k5[i]! + E6 * k6[i]! + E7 * k7[i]!);
        const sc = atol + rtol * Math.max(Math.abs(y[i]!), Math.abs(yNew[i]!));
        err += (e / sc) * (e / sc);
      }
      err = Math.sqrt(err / Math.max(1, n));
      if (!Number.isFinite(err)) err = 1e10;
      if (err <= 1) {
        t = last ? tb : t + hh;
        y.set(yNew);
        k1.set(k7); // first-same-as-last
        stats.steps++;
        h = hh * Math.min(5, Math.max(0.2, 0.9 * Math.pow(err || 1e-10, -0.2)));
        if (last) h = Math.max(h, hh); // do not let a short final step shrink the next segment
      } else {
        stats.rejected++;
        h = hh * Math.max(0.1, 0.9 * Math.pow(err, -0.2));
        if (h < 1e-14 * Math.max(1, Math.abs(t))) throw new Error(`dopri5: step size underflow at t = ${t}`);
      }
    }
    assertFinite(y, tb);
    onSample(tb, y);
  }
  return stats;
}
