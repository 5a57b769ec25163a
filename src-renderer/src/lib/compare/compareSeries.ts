/**
 * The compare chart's lines: one per run in its own colour (unique within the chart), or, grouped
 * by one or more setup fields, the mean of each group (each combination of the fields' values) with
 * a filled mean ± std band (std across the group's runs, normally seeds), clamped to the metric's
 * range; optionally split into small multiples by one of the fields.
 */
import { canonicalJson, getAtPath } from '../../../../src-main/common/setup.ts';
import type { MetricRange } from '../../../../src-main/common/metrics.ts';
import { alignSeries, type AlignMode, type SeriesLike, type WallContext } from './align.ts';
import { groupBy, meanStdBand } from './bands.ts';
import { chartRunColors, groupColors } from '../runColors.ts';
import { formatValue } from '../format.ts';
import { compareValues, shortField, type FactorStat } from '../factorBars.ts';

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

/** Group-by fields: one path (the old single choice, '' for none) or a list of paths. */
export type GroupFields = string | readonly string[];

/** The list of fields `by` names (empty: no grouping). */
export function groupFieldList(by: GroupFields): string[] {
  return typeof by === 'string' ? (by ? [by] : []) : by.filter((f) => f !== '');
}

/**
 * The group fields and panel field after choosing `path` as the `i`-th field: '' removes it and every
 * later one; a field chosen elsewhere moves here. With two or more fields and no panel field among
 * them, the last becomes the panel field (two factors read apart, as colour × panel, rather than as
 * one colour per combination); below two there are no panels.
 */
export function withGroupField(fields: readonly string[], facetBy: string, i: number, path: string): { groupBy: string[]; facetBy: string } {
  const before = fields.slice(0, i).filter((f) => f !== path);
  const groupBy = path ? [...before, path, ...fields.slice(i + 1).filter((f) => f !== path)] : before;
  if (groupBy.length < 2) return { groupBy, facetBy: '' };
  return { groupBy, facetBy: groupBy.includes(facetBy) ? facetBy : groupBy[groupBy.length - 1]! };
}

/** Runs of one combination of the group fields' values. */
export interface KeyedGroup<R> {
  /** Each field's value (path → value; null where a setup lacks it). */
  key: Record<string, unknown>;
  /** "f = v" for every field, ", "-joined. */
  label: string;
  runs: R[];
}

/** Groups runs by the values of several setup fields at once (each combination one group, in order of first appearance). */
export function groupByFields<R extends { setup: unknown }>(runs: readonly R[], by: GroupFields): KeyedGroup<R>[] {
  const fields = groupFieldList(by);
  return groupBy(runs, (r) => fields.map((f) => fieldOf(r.setup, f) ?? null)).map((g) => {
    const values = g.value as unknown[];
    const key = Object.fromEntries(fields.map((f, i) => [f, values[i] ?? null]));
    return { key, label: fields.map((f) => `${f} = ${formatValue(key[f])}`).join(', '), runs: g.runs };
  });
}

/**
 * Colours of groups by their values of every group field except the panel field: groups that differ
 * only in the panel they sit in share a colour (one field: the colours the sweep table gives them).
 */
function colorsOf(keys: readonly Record<string, unknown>[], fields: readonly string[], facetBy: string): string[] {
  const colorFields = fields.filter((f) => f !== facetBy);
  return groupColors(keys.map((k) => Object.fromEntries(colorFields.map((f) => [f, k[f] ?? null]))));
}

/** Options of the grouped lines. */
export interface LineOptions {
  /** The metric's possible values (logged units): band ends are clamped to it. */
  range?: MetricRange;
  /** A group field whose value splits the chart into panels (colours ignore it). */
  facetBy?: string;
}

/** Mean line and ± std band lines of each group, in the given colours. */
function groupLines(groups: readonly KeyedGroup<CompareRun>[], colors: readonly string[], mode: AlignMode, names: readonly string[], range?: MetricRange): Line[] {
  const lines: Line[] = [];
  for (const [gi, g] of groups.entries()) {
    const band = meanStdBand(g.runs.map((r) => alignSeries(r.series!, mode, r.wall)), undefined, range);
    const name = names[gi]!;
    const color = colors[gi]!;
    lines.push({ label: `${name} (n=${g.runs.length})`, x: band.x, y: band.mean, color });
    if (g.runs.length > 1) {
      lines.push({ label: `${name} +std`, x: band.x, y: band.hi, color, faint: true, fillTo: `${name} −std` });
      lines.push({ label: `${name} −std`, x: band.x, y: band.lo, color, faint: true });
    }
  }
  return lines;
}

/** Lines of the compare chart for one metric. */
export function compareLines(runs: readonly CompareRun[], mode: AlignMode, by: GroupFields, opts: LineOptions = {}): Line[] {
  const withData = runs.filter((r) => r.series);
  const fields = groupFieldList(by);
  if (fields.length === 0) {
    const colors = chartRunColors(runs.map((r) => r.id));
    return withData.map((r) => ({ label: r.label, ...alignSeries(r.series!, mode, r.wall), color: colors.get(r.id)! }));
  }
  const groups = groupByFields(withData, fields);
  const colors = colorsOf(groups.map((g) => g.key), fields, opts.facetBy ?? '');
  return groupLines(groups, colors, mode, groups.map((g) => g.label), opts.range);
}

/** One small multiple of the compare chart: the groups with one value of the panel field. */
export interface LinePanel {
  /** "weightDecay = 0.0004". */
  label: string;
  lines: Line[];
}

/**
 * The grouped compare chart as small multiples, one panel per value of `facetBy` (sorted), each with
 * the groups of that value; a group's line is named by the other fields and coloured by them, so a
 * colour means the same setting in every panel.
 */
export function compareFacets(runs: readonly CompareRun[], mode: AlignMode, by: GroupFields, facetBy: string, range?: MetricRange): LinePanel[] {
  const fields = groupFieldList(by);
  if (!fields.includes(facetBy)) return [{ label: '', lines: compareLines(runs, mode, fields, { range }) }];
  const groups = groupByFields(runs.filter((r) => r.series), fields);
  const colors = colorsOf(groups.map((g) => g.key), fields, facetBy);
  const rest = fields.filter((f) => f !== facetBy);
  const values = [...new Map(groups.map((g) => [canonicalJson(g.key[facetBy]), g.key[facetBy]])).values()].sort(compareValues);
  return values.map((v) => {
    const idx = groups.flatMap((g, i) => (canonicalJson(g.key[facetBy]) === canonicalJson(v) ? [i] : []));
    const names = idx.map((i) => (rest.length ? rest.map((f) => `${f} = ${formatValue(groups[i]!.key[f])}`).join(', ') : groups[i]!.label));
    return {
      label: `${shortField(facetBy)} = ${formatValue(v)}`,
      lines: groupLines(idx.map((i) => groups[i]!), idx.map((i) => colors[i]!), mode, names, range),
    };
  });
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
export function finalBars(runs: readonly CompareRun[], by: GroupFields): FinalBar[] {
  if (groupFieldList(by).length === 0) {
    const colors = chartRunColors(runs.map((r) => r.id));
    return runs.map((r) => ({ label: r.label, mean: lastValue(r.series), std: null, n: lastValue(r.series) === null ? 0 : 1, color: colors.get(r.id)! }));
  }
  const fields = groupFieldList(by);
  const groups = groupByFields(runs, fields);
  const colors = colorsOf(groups.map((g) => g.key), fields, '');
  return groups.map((g, gi) => ({ label: g.label, ...meanStdOf(g.runs.map((r) => lastValue(r.series))), color: colors[gi]! }));
}

/** Mean and sample std (null below two) of the non-null values, and their count. */
function meanStdOf(values: readonly (number | null)[]): { mean: number | null; std: number | null; n: number } {
  const vals = values.filter((v): v is number => v !== null);
  const n = vals.length;
  const mean = n ? vals.reduce((a, b) => a + b, 0) / n : null;
  const std = n >= 2 ? Math.sqrt(vals.reduce((a, b) => a + (b - mean!) ** 2, 0) / (n - 1)) : null;
  return { mean, std, n };
}

/**
 * Final values as factor statistics for the faceted bars (`lib/factorBars.ts`): one per group of the
 * fields' values, or, ungrouped, one per run with its own label and colour.
 */
export function finalStats(runs: readonly CompareRun[], by: GroupFields): FactorStat[] {
  const fields = groupFieldList(by);
  if (fields.length === 0) return finalBars(runs, '').map((b) => ({ key: {}, mean: b.mean, std: b.std, n: b.n, label: b.label, color: b.color }));
  return groupByFields(runs, fields).map((g) => ({ key: g.key, ...meanStdOf(g.runs.map((r) => lastValue(r.series))) }));
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
export function initBars(runs: readonly CompareRun[], by: GroupFields): (number | null)[] {
  const groups = groupFieldList(by).length ? groupByFields(runs, by).map((g) => g.runs) : runs.map((r) => [r]);
  return groups.map((rs) => {
    const vals = rs.map((r) => initValue(r.series)).filter((v): v is number => v !== null);
    return vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null;
  });
}

/**
 * The swatch colour of each run in a view: its own colour, or its group's colour when the view is
 * grouped by a setup field (so table swatches match the group's line and bar).
 */
export function swatchColors(runs: readonly { id: string; setup: unknown }[], by: GroupFields, facetBy = ''): Map<string, string> {
  const fields = groupFieldList(by);
  if (fields.length === 0) return chartRunColors(runs.map((r) => r.id));
  const groups = groupByFields([...runs], fields);
  const colors = colorsOf(groups.map((g) => g.key), fields, facetBy);
  const out = new Map<string, string>();
  groups.forEach((g, gi) => g.runs.forEach((r) => out.set(r.id, colors[gi]!)));
  return out;
}
