/**
 * The compare chart's lines: one per run in its own colour (unique within the chart), or, grouped
 * by one or more setup fields, the mean of each group (each combination of the fields' values) with
 * a filled mean ± std band (std across the group's runs, normally seeds), clamped to the metric's
 * range; optionally split into small multiples by one of the fields and drawn in a dash pattern by
 * another, so two factors read as colour × line style (or colour × panel) on their own.
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
  /** Dash pattern in CSS px (on, off, …) of a group's mean line when a field sets the line style. */
  dash?: readonly number[];
}

/**
 * Dash patterns for the values of the line-style field, in CSS px, most distinct first: solid, long
 * dashes, dots, dash-dot, then two more; a field with more values repeats them (its legend says so).
 */
export const DASHES: readonly (readonly number[])[] = [[], [9, 4], [2, 3], [10, 3, 2, 3], [5, 6], [14, 4, 2, 4, 2, 4]];

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
 * Colours of groups by their values of every group field except the panel and line-style fields:
 * groups that differ only in the panel they sit in or in their dash share a colour (one field: the
 * colours the sweep table gives them).
 */
function colorsOf(keys: readonly Record<string, unknown>[], fields: readonly string[], ...others: string[]): string[] {
  const colorFields = colorFieldsOf(fields, ...others);
  return groupColors(keys.map((k) => Object.fromEntries(colorFields.map((f) => [f, k[f] ?? null]))));
}

/** The group fields the colour stands for: every one but the panel and line-style fields. */
export function colorFieldsOf(fields: readonly string[], ...others: string[]): string[] {
  return fields.filter((f) => !others.includes(f));
}

/** The distinct values of `field` among `keys`, sorted (`compareValues`): the order dashes are given in. */
function sortedValues(keys: readonly Record<string, unknown>[], field: string): unknown[] {
  const seen = new Map<string, unknown>();
  for (const k of keys) seen.set(canonicalJson(k[field] ?? null), k[field] ?? null);
  return [...seen.values()].sort(compareValues);
}

/** Each group's dash pattern by its value of `dashBy` (undefined for all when `dashBy` is not a group field). */
function dashesOf(keys: readonly Record<string, unknown>[], fields: readonly string[], dashBy: string): (readonly number[] | undefined)[] {
  if (!dashBy || !fields.includes(dashBy)) return keys.map(() => undefined);
  const order = sortedValues(keys, dashBy).map((v) => canonicalJson(v));
  return keys.map((k) => DASHES[order.indexOf(canonicalJson(k[dashBy] ?? null)) % DASHES.length]!);
}

/** Options of the grouped lines. */
export interface LineOptions {
  /** The metric's possible values (logged units): band ends are clamped to it. */
  range?: MetricRange;
  /** A group field whose value splits the chart into panels (colours ignore it). */
  facetBy?: string;
  /** A group field whose value sets the mean line's dash pattern (colours ignore it). */
  dashBy?: string;
}

/** Mean line and ± std band lines of each group, in the given colours and dashes. */
function groupLines(groups: readonly KeyedGroup<CompareRun>[], colors: readonly string[], mode: AlignMode, names: readonly string[], range?: MetricRange, dashes: readonly (readonly number[] | undefined)[] = []): Line[] {
  const lines: Line[] = [];
  for (const [gi, g] of groups.entries()) {
    const band = meanStdBand(g.runs.map((r) => alignSeries(r.series!, mode, r.wall)), undefined, range);
    const name = names[gi]!;
    const color = colors[gi]!;
    const dash = dashes[gi];
    lines.push({ label: `${name} (n=${g.runs.length})`, x: band.x, y: band.mean, color, ...(dash ? { dash } : {}) });
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
  const keys = groups.map((g) => g.key);
  const colors = colorsOf(keys, fields, opts.facetBy ?? '', opts.dashBy ?? '');
  return groupLines(groups, colors, mode, groups.map((g) => g.label), opts.range, dashesOf(keys, fields, opts.dashBy ?? ''));
}

/** One small multiple of the compare chart: the groups with one value of the panel field. */
export interface LinePanel {
  /** "weightDecay = 0.0004". */
  label: string;
  lines: Line[];
}

/**
 * The grouped compare chart as small multiples, one panel per value of `facetBy` (sorted), each with
 * the groups of that value; a group's line is named by the other fields and coloured by them (but
 * for `dashBy`, which sets its dash pattern), so a colour and a dash mean the same setting in every panel.
 */
export function compareFacets(runs: readonly CompareRun[], mode: AlignMode, by: GroupFields, facetBy: string, range?: MetricRange, dashBy = ''): LinePanel[] {
  const fields = groupFieldList(by);
  if (!fields.includes(facetBy)) return [{ label: '', lines: compareLines(runs, mode, fields, { range, dashBy }) }];
  const groups = groupByFields(runs.filter((r) => r.series), fields);
  const keys = groups.map((g) => g.key);
  const colors = colorsOf(keys, fields, facetBy, dashBy);
  const dashes = dashesOf(keys, fields, dashBy);
  const rest = fields.filter((f) => f !== facetBy);
  const values = [...new Map(groups.map((g) => [canonicalJson(g.key[facetBy]), g.key[facetBy]])).values()].sort(compareValues);
  return values.map((v) => {
    const idx = groups.flatMap((g, i) => (canonicalJson(g.key[facetBy]) === canonicalJson(v) ? [i] : []));
    const names = idx.map((i) => (rest.length ? rest.map((f) => `${f} = ${formatValue(groups[i]!.key[f])}`).join(', ') : groups[i]!.label));
    return {
      label: `${shortField(facetBy)} = ${formatValue(v)}`,
      lines: groupLines(idx.map((i) => groups[i]!), idx.map((i) => colors[i]!), mode, names, range, idx.map((i) => dashes[i])),
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
export function swatchColors(runs: readonly { id: string; setup: unknown }[], by: GroupFields, facetBy = '', dashBy = ''): Map<string, string> {
  const fields = groupFieldList(by);
  if (fields.length === 0) return chartRunColors(runs.map((r) => r.id));
  const groups = groupByFields([...runs], fields);
  const colors = colorsOf(groups.map((g) => g.key), fields, facetBy, dashBy);
  const out = new Map<string, string>();
  groups.forEach((g, gi) => g.runs.forEach((r) => out.set(r.id, colors[gi]!)));
  return out;
}

/**
 * The line-style field that holds for these group fields and panel field: `dashBy` while it is a
 * group field, not the panel field, and leaves at least one field for the colour; else none.
 */
export function validDashBy(fields: readonly string[], facetBy: string, dashBy: string): string {
  if (!dashBy || fields.length < 2 || !fields.includes(dashBy) || dashBy === facetBy) return '';
  return colorFieldsOf(fields, facetBy, dashBy).length ? dashBy : '';
}

/**
 * The panel and line-style fields after the user picks `path` for one of the two roles ('' clears
 * it): a field takes one role at a time, and the colour keeps at least one field, so the choice just
 * made wins and the other role gives way (two fields: panels by one or line style by one, the other
 * is the colour).
 */
export function withLineRole(fields: readonly string[], roles: { facetBy: string; dashBy: string }, role: 'facetBy' | 'dashBy', path: string): { facetBy: string; dashBy: string } {
  if (path && !fields.includes(path)) return { ...roles };
  const other = role === 'facetBy' ? 'dashBy' : 'facetBy';
  const next = { ...roles, [role]: path };
  if (next[other] === path || (path && colorFieldsOf(fields, next.facetBy, next.dashBy).length === 0)) next[other] = '';
  return { facetBy: next.facetBy, dashBy: next.dashBy };
}

/** The grouped chart's legend: each colour (a setting of the colour fields) and each dash (a value of the line-style field) once. */
export interface LineLegend {
  /** The colour fields, ", "-joined ("predictor.kind"). */
  colorBy: string;
  colors: { label: string; color: string }[];
  /** The line-style field ('' without one). */
  dashBy: string;
  dashes: { label: string; dash: readonly number[] }[];
}

/**
 * The legend of grouped lines with a line-style field: colours named by the colour fields' values
 * and dashes by the line-style field's values, each once and sorted, so the legend names both
 * factors (the same colours and dashes as `compareLines` and `compareFacets` give the lines).
 */
export function lineLegend(runs: readonly { setup: unknown }[], by: GroupFields, facetBy: string, dashBy: string): LineLegend {
  const fields = groupFieldList(by);
  const keys = groupByFields([...runs], fields).map((g) => g.key);
  const colorFields = colorFieldsOf(fields, facetBy, dashBy);
  const colors = colorsOf(keys, fields, facetBy, dashBy);
  const seen = new Map<string, { label: string; color: string; key: Record<string, unknown> }>();
  keys.forEach((k, i) => {
    const label = colorFields.map((f) => (colorFields.length > 1 ? `${f} = ${formatValue(k[f] ?? null)}` : formatValue(k[f] ?? null))).join(', ');
    seen.set(label, { label, color: colors[i]!, key: k });
  });
  const byValues = (a: Record<string, unknown>, b: Record<string, unknown>) => {
    for (const f of colorFields) {
      const c = compareValues(a[f] ?? null, b[f] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  };
  const colorItems = [...seen.values()].sort((a, b) => byValues(a.key, b.key)).map(({ label, color }) => ({ label, color }));
  const valid = fields.includes(dashBy) ? dashBy : '';
  const dashes = valid ? sortedValues(keys, valid).map((v, i) => ({ label: formatValue(v), dash: DASHES[i % DASHES.length]! })) : [];
  return { colorBy: colorFields.join(', '), colors: colorItems, dashBy: valid, dashes };
}
