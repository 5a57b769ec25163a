/**
 * A metric's possible values (from the registry in `common/metrics.ts`) in the units a view shows,
 * and ± std intervals clamped to them: a mean − std of a non-negative metric (collapse std, an
 * accuracy) never draws below 0, nor an accuracy's mean + std above 100 %.
 */
import { metricRange, type MetricRange } from '../../../../src-main/common/metrics.ts';
import { PERCENT_METRICS } from '../format.ts';

/** The range of `name` in displayed units: accuracies (shown in %) scaled by 100. */
export function displayRange(name: string): MetricRange {
  const r = metricRange(name);
  const k = PERCENT_METRICS.has(name) ? 100 : 1;
  return { min: r.min === null ? null : r.min * k, max: r.max === null ? null : r.max * k };
}

/** `v` moved into `range` (a null or non-finite value stays as it is). */
export function clampTo(v: number | null, range: MetricRange | undefined): number | null {
  if (v === null || !Number.isFinite(v) || !range) return v;
  if (range.min !== null && v < range.min) return range.min;
  if (range.max !== null && v > range.max) return range.max;
  return v;
}

/** The ends of mean ± std inside `range` (std null: both ends at the mean); null without a mean. */
export function clampedInterval(mean: number | null, std: number | null, range: MetricRange | undefined): { lo: number; hi: number } | null {
  if (mean === null || !Number.isFinite(mean)) return null;
  const s = std !== null && Number.isFinite(std) ? std : 0;
  return { lo: clampTo(mean - s, range)!, hi: clampTo(mean + s, range)! };
}
