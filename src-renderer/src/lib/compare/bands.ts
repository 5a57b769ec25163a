/**
 * Mean ± std bands across the runs of a group (normally seeds of one setting), on a shared x.
 * Runs are linearly interpolated onto the grid inside their own x range and never extrapolated,
 * so a shorter run stops counting where it ends (n drops) instead of inventing values.
 */
import type { Curve } from './align.ts';
import type { MetricRange } from '../../../../src-main/common/metrics.ts';
import { clampTo } from './range.ts';

/** A band: per grid point the mean, sample std (null below 2 runs), mean ± std and the run count. */
export interface Band {
  x: number[];
  mean: (number | null)[];
  std: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
  n: number[];
}

/** Value of a curve at x by linear interpolation between its finite neighbours; null outside. */
export function valueAt(c: Curve, x: number): number | null {
  const xs = c.x;
  if (xs.length === 0 || x < xs[0]! || x > xs[xs.length - 1]!) return null;
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  if (xs[lo] === x) return c.y[lo] ?? null;
  if (xs[hi] === x) return c.y[hi] ?? null;
  const a = c.y[lo];
  const b = c.y[hi];
  if (a == null || b == null) return null;
  const u = (x - xs[lo]!) / (xs[hi]! - xs[lo]!);
  return a + u * (b - a);
}

/**
 * Mean ± sample std across curves on `grid` (default: the union of their x values); with `range`
 * (the metric's possible values) the band's ends are clamped to it, the mean and std are not.
 */
export function meanStdBand(curves: readonly Curve[], grid?: readonly number[], range?: MetricRange): Band {
  const x = grid ? [...grid] : [...new Set(curves.flatMap((c) => c.x))].sort((a, b) => a - b);
  const band: Band = { x, mean: [], std: [], lo: [], hi: [], n: [] };
  for (const xi of x) {
    const vals: number[] = [];
    for (const c of curves) {
      const v = valueAt(c, xi);
      if (v !== null && Number.isFinite(v)) vals.push(v);
    }
    const n = vals.length;
    band.n.push(n);
    if (n === 0) {
      band.mean.push(null);
      band.std.push(null);
      band.lo.push(null);
      band.hi.push(null);
      continue;
    }
    const mean = vals.reduce((s, v) => s + v, 0) / n;
    const std = n >= 2 ? Math.sqrt(vals.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : null;
    band.mean.push(mean);
    band.std.push(std);
    band.lo.push(clampTo(mean - (std ?? 0), range));
    band.hi.push(clampTo(mean + (std ?? 0), range));
  }
  return band;
}

/** Runs grouped by the value of one setup field; the label is that value as text. */
export interface RunGroup<R> {
  label: string;
  value: unknown;
  runs: R[];
}

/** Groups items by `value(item)` (compared as JSON), in order of first appearance. */
export function groupBy<R>(items: readonly R[], value: (r: R) => unknown): RunGroup<R>[] {
  const out = new Map<string, RunGroup<R>>();
  for (const r of items) {
    const v = value(r);
    const k = JSON.stringify(v ?? null);
    let g = out.get(k);
    if (!g) out.set(k, (g = { label: typeof v === 'string' ? v : k, value: v, runs: [] }));
    g.runs.push(r);
  }
  return [...out.values()];
}
