/**
 * Alignment of run curves on a common x: optimisation step, epoch, or wall time. Wall time is not
 * logged per step, so it is rebuilt from the per-step throughput (Δt = batch / images/s, which
 * covers training time, not evaluation pauses); without throughput it falls back to spreading the
 * run's start–end interval evenly over its steps.
 */

/** What to put on the x axis. */
export type AlignMode = 'step' | 'epoch' | 'wall';

/** A curve: x and y of equal length; null y is a gap. */
export interface Curve {
  x: number[];
  y: (number | null)[];
}

/** A metric series as the contract returns it. */
export interface SeriesLike {
  steps: number[];
  epochs: number[];
  values: (number | null)[];
}

/** What wall-time alignment needs to know about a run. */
export interface WallContext {
  batchSize: number;
  /** The run's `imagesPerSec` series, when recorded. */
  imagesPerSec?: SeriesLike | null;
  startedAt?: number | null;
  endedAt?: number | null;
  lastStep?: number | null;
}

/**
 * Seconds of training at each of `steps` (ascending). Throughput points are piecewise constant:
 * the rate logged at step k covers the steps since the previous logged point.
 */
export function wallSeconds(steps: readonly number[], ctx: WallContext): number[] {
  const ips = ctx.imagesPerSec;
  const pts: { step: number; dt: number }[] = [];
  if (ips) {
    for (let i = 0; i < ips.steps.length; i++) {
      const v = ips.values[i];
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) pts.push({ step: ips.steps[i]!, dt: ctx.batchSize / v });
    }
  }
  if (pts.length > 0) {
    // Cumulative seconds at each throughput point; a step between points uses the next point's rate.
    const cum: number[] = [];
    let acc = 0;
    let prev = 0;
    for (const p of pts) {
      acc += p.dt * Math.max(0, p.step - prev);
      cum.push(acc);
      prev = p.step;
    }
    return steps.map((s) => {
      let i = 0;
      while (i < pts.length && pts[i]!.step < s) i++;
      if (i < pts.length && pts[i]!.step === s) return cum[i]!;
      const before = i > 0 ? cum[i - 1]! : 0;
      const beforeStep = i > 0 ? pts[i - 1]!.step : 0;
      const rate = pts[Math.min(i, pts.length - 1)]!.dt;
      return before + rate * (s - beforeStep);
    });
  }
  const { startedAt, endedAt, lastStep } = ctx;
  if (startedAt != null && endedAt != null && lastStep) {
    const total = Math.max(0, endedAt - startedAt) / 1000;
    return steps.map((s) => (s / lastStep) * total);
  }
  return steps.map(() => Number.NaN);
}

/** The curve of a series on the chosen x axis (points without a finite x are dropped). */
export function alignSeries(series: SeriesLike, mode: AlignMode, wall?: WallContext): Curve {
  const xs = mode === 'step' ? series.steps : mode === 'epoch' ? series.epochs : wallSeconds(series.steps, wall ?? { batchSize: 1 });
  const x: number[] = [];
  const y: (number | null)[] = [];
  for (let i = 0; i < xs.length; i++) {
    const xi = xs[i]!;
    if (!Number.isFinite(xi)) continue;
    x.push(xi);
    const v = series.values[i];
    y.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
  }
  return { x, y };
}

/** Axis label of an alignment mode. */
export function alignLabel(mode: AlignMode): string {
  return mode === 'step' ? 'step' : mode === 'epoch' ? 'epoch' : 'training time (s)';
}

/**
 * Joins curves onto one shared, sorted x (what uPlot needs): each curve keeps its own points and
 * gets null where it has none.
 */
export function joinCurves(curves: readonly Curve[]): { x: number[]; ys: (number | null)[][] } {
  const x = [...new Set(curves.flatMap((c) => c.x))].sort((a, b) => a - b);
  const at = new Map(x.map((v, i) => [v, i]));
  const ys = curves.map((c) => {
    const y: (number | null)[] = new Array(x.length).fill(null);
    c.x.forEach((xv, i) => {
      y[at.get(xv)!] = c.y[i] ?? null;
    });
    return y;
  });
  return { x, ys };
}
