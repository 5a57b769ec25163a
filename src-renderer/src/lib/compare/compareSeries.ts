/**
 * The compare chart's lines: one per run in its own colour (unique within the chart), or, grouped by a setup field, the
 * mean of each group with a filled mean ± std band (std across the group's runs, normally seeds).
 */
import { getAtPath } from '../../../../src-main/common/setup.ts';
import { alignSeries, type AlignMode, type SeriesLike, type WallContext } from './align.ts';
import { groupBy, meanStdBand } from './bands.ts';
import { chartRunColors, groupColors } from '../runColors.ts';
import { formatValue } from '../format.ts';

/** What a compare line needs of a run. */
export interface CompareRun {
  id: string;
  label: string;
  setup: unknown;
  series: SeriesLike | null;
  wall: WallContext;
}

/** A chart line (the shape of Chart.svelte's ChartSeries). */
export interface Line {
  label: string;
  x: number[];
  y: (number | null)[];
  color: string;
  faint?: boolean;
  /** Label of the line that closes this one's band (the +std line fills down to the −std line). */
  fillTo?: string;
}

/** Reads a dotted path of a setup-like object (the setup schema's own path reader). */
export const fieldOf = getAtPath;

/** Lines of the compare chart for one metric. */
export function compareLines(runs: readonly CompareRun[], mode: AlignMode, by: string): Line[] {
  const withData = runs.filter((r) => r.series);
  if (!by) {
    const colors = chartRunColors(runs.map((r) => r.id));
    return withData.map((r) => ({ label: r.label, ...alignSeries(r.series!, mode, r.wall), color: colors.get(r.id)! }));
  }
  const lines: Line[] = [];
  const groups = groupBy(withData, (r) => fieldOf(r.setup, by) ?? null);
  const colors = groupColors(groups.map((g) => ({ [by]: g.value ?? null })));
  for (const [gi, g] of groups.entries()) {
    const band = meanStdBand(g.runs.map((r) => alignSeries(r.series!, mode, r.wall)));
    const name = `${by} = ${formatValue(g.value ?? null)}`;
    const color = colors[gi]!;
    lines.push({ label: `${name} (n=${g.runs.length})`, x: band.x, y: band.mean, color });
    if (g.runs.length > 1) {
      lines.push({ label: `${name} +std`, x: band.x, y: band.hi, color, faint: true, fillTo: `${name} −std` });
      lines.push({ label: `${name} −std`, x: band.x, y: band.lo, color, faint: true });
    }
  }
  return lines;
}

/** One bar of final values: a run's last value, or a group's mean ± sample std of its runs' last values. */
export interface FinalBar {
  label: string;
  mean: number | null;
  std: number | null;
  n: number;
  color: string;
}

/** Last finite value of a series. */
export function lastValue(s: SeriesLike | null): number | null {
  if (!s) return null;
  for (let i = s.values.length - 1; i >= 0; i--) {
    const v = s.values[i];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * Final values as bars, for metrics measured once per run (a probe at the end): a line chart of
 * single points would show nothing.
 */
export function finalBars(runs: readonly CompareRun[], by: string): FinalBar[] {
  if (!by) {
    const colors = chartRunColors(runs.map((r) => r.id));
    return runs.map((r) => ({ label: r.label, mean: lastValue(r.series), std: null, n: lastValue(r.series) === null ? 0 : 1, color: colors.get(r.id)! }));
  }
  const groups = groupBy(runs, (r) => fieldOf(r.setup, by) ?? null);
  const colors = groupColors(groups.map((g) => ({ [by]: g.value ?? null })));
  return groups.map((g, gi) => {
    const vals = g.runs.map((r) => lastValue(r.series)).filter((v): v is number => v !== null);
    const n = vals.length;
    const mean = n ? vals.reduce((a, b) => a + b, 0) / n : null;
    const std = n >= 2 ? Math.sqrt(vals.reduce((a, b) => a + (b - mean!) ** 2, 0) / (n - 1)) : null;
    return { label: `${by} = ${formatValue(g.value ?? null)}`, mean, std, n, color: colors[gi]! };
  });
}

/**
 * True when no run has more than one value after step 0 (then bars of final values say more). The
 * random-init evaluation at step 0 does not count: a probe measured at init and at the end is still
 * one trained value per run, and its init value is shown as the baseline, not as a line.
 */
export function measuredOncePerRun(runs: readonly CompareRun[]): boolean {
  const withData = runs.filter((r) => r.series);
  return withData.length > 0 && withData.every((r) => r.series!.values.filter((v, i) => v !== null && Number.isFinite(v) && r.series!.steps[i]! > 0).length <= 1);
}

/** The value of a series at step 0 (the random-init baseline), or null. */
export function initValue(s: SeriesLike | null): number | null {
  if (!s) return null;
  const i = s.steps.indexOf(0);
  const v = i >= 0 ? s.values[i] : null;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Mean random-init value of each bar's runs (same grouping and order as `finalBars`). */
export function initBars(runs: readonly CompareRun[], by: string): (number | null)[] {
  const groups = by ? groupBy(runs, (r) => fieldOf(r.setup, by) ?? null).map((g) => g.runs) : runs.map((r) => [r]);
  return groups.map((rs) => {
    const vals = rs.map((r) => initValue(r.series)).filter((v): v is number => v !== null);
    return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
  });
}

/**
 * The swatch colour of each run in a view: its own colour, or its group's colour when the view is
 * grouped by a setup field (so table swatches match the group's line and bar).
 */
export function swatchColors(runs: readonly { id: string; setup: unknown }[], by: string): Map<string, string> {
  if (!by) return chartRunColors(runs.map((r) => r.id));
  const groups = groupBy([...runs], (r) => fieldOf(r.setup, by) ?? null);
  const colors = groupColors(groups.map((g) => ({ [by]: g.value ?? null })));
  const out = new Map<string, string>();
  groups.forEach((g, gi) => g.runs.forEach((r) => out.set(r.id, colors[gi]!)));
  return out;
}
