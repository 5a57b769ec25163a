/**
 * Plain data helpers behind the charts: aligning series that have their own x values onto one
 * shared x axis (uPlot wants aligned columns), exponential smoothing that keeps gaps, and CSV text.
 * No DOM, no Svelte: node:test imports this directly.
 */
import { csvLines } from '../../../src-main/common/csv.ts';

/** One line of a chart: its own x values (steps, epochs) and y values (null = no value). */
export interface ChartSeries {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number | null>;
  /** CSS colour; a palette colour is chosen when absent. */
  color?: string;
  /** Drawn thin and translucent (e.g. the raw line under its smoothed version). */
  faint?: boolean;
  /** Label of another series: the area between the two is filled in this series' colour (a ± std band). */
  fillTo?: string;
  /** Drawn against the right-hand y axis (its own scale, e.g. p_j beside s_j). */
  y2?: boolean;
  /** A value measured once or twice (probe at the end): a large marker labelled with its value. */
  marker?: boolean;
  /** Dash pattern of the line in CSS px (on, off, …); solid when absent or empty. */
  dash?: readonly number[];
}

/** Integer tick steps for step and mode axes (never 2.5 steps or mode 1.5). */
export const INTEGER_INCRS: number[] = (() => {
  const out: number[] = [];
  for (let m = 1; m <= 1e9; m *= 10) out.push(m, 2 * m, 5 * m);
  return out;
})();

/**
 * The series whose value at one x is nearest to the cursor's y (in the same units), for the
 * per-mode charts' hover readout ("mode 3: 0.512"); null when no series has a value there.
 */
export function nearestSeries(values: readonly (number | null | undefined)[], y: number): number | null {
  let best: number | null = null;
  let dist = Infinity;
  values.forEach((v, i) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    const d = Math.abs(v - y);
    if (d < dist) {
      dist = d;
      best = i;
    }
  });
  return best;
}

/** Columns on one x axis: `xs` ascending and unique, `ys[i][k]` the value of series i at xs[k] or null. */
export interface AlignedColumns {
  xs: number[];
  ys: (number | null)[][];
}

/**
 * Merges the x values of every series (sorted, unique) and places each series' y on them, null where
 * a series has no point. Series that already share one x array (the common case) skip the merge.
 */
export function alignSeries(series: readonly ChartSeries[]): AlignedColumns {
  if (series.length === 0) return { xs: [], ys: [] };
  const first = series[0]!.x;
  const shared = series.every((s) => s.x === first || sameNumbers(s.x, first)) && isStrictlyAscending(first);
  if (shared) {
    return { xs: Array.from(first), ys: series.map((s) => cleanValues(s.y, first.length)) };
  }
  const set = new Set<number>();
  for (const s of series) for (let i = 0; i < s.x.length; i++) if (Number.isFinite(s.x[i])) set.add(s.x[i]!);
  const xs = [...set].sort((a, b) => a - b);
  const index = new Map<number, number>();
  xs.forEach((x, i) => index.set(x, i));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    for (let i = 0; i < s.x.length; i++) {
      const k = index.get(s.x[i]!);
      const v = s.y[i];
      if (k !== undefined && v !== null && v !== undefined && Number.isFinite(v)) col[k] = v;
    }
    return col;
  });
  return { xs, ys };
}

function sameNumbers(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isStrictlyAscending(a: ArrayLike<number>): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i]! > a[i - 1]!)) return false;
  return true;
}

function cleanValues(y: ArrayLike<number | null>, n: number): (number | null)[] {
  const out: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = y[i];
    out[i] = v === null || v === undefined || !Number.isFinite(v) ? null : v;
  }
  return out;
}

/**
 * Log axes cannot show zero or negative values: they become gaps instead of breaking the scale
 * (e.g. a collapsed eigenvalue of exactly 0, or W_p's negative eigenvalues).
 */
export function positiveOnly(values: readonly (number | null)[]): (number | null)[] {
  // Below 1e-30 a value is numerically zero, and a log axis spanning hundreds of decades stalls uPlot.
  return values.map((v) => (v !== null && v > 1e-30 ? v : null));
}

/**
 * Exponential moving average with weight `amount` ∈ [0, 1) on the past (0 = raw, 0.9 = heavy),
 * bias-corrected like TensorBoard's so the start is not pulled towards 0. Nulls stay nulls and do
 * not reset the average, so a gap does not create a jump.
 */
export function smoothEma(values: ArrayLike<number | null>, amount: number): (number | null)[] {
  const a = Math.min(Math.max(amount, 0), 0.999);
  const out: (number | null)[] = new Array(values.length);
  if (a === 0) {
    for (let i = 0; i < values.length; i++) out[i] = values[i] ?? null;
    return out;
  }
  let acc = 0;
  let weight = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    acc = a * acc + (1 - a) * v;
    weight = a * weight + (1 - a);
    out[i] = acc / weight;
  }
  return out;
}

/** CSV of aligned series: header `xLabel,label1,label2…`, one row per x, empty cells for gaps. */
export function seriesToCsv(series: readonly ChartSeries[], xLabel = 'x'): string {
  const { xs, ys } = alignSeries(series);
  const rows: unknown[][] = [[xLabel, ...series.map((s) => s.label)]];
  for (let k = 0; k < xs.length; k++) rows.push([xs[k], ...ys.map((col) => col[k])]);
  return csvLines(rows);
}

/** A readable, stable palette (colour-blind friendly first, then more hues for many lines). */
export const PALETTE = ['#2563eb', '#e8590c', '#2f9e44', '#c2255c', '#7048e8', '#0c8599', '#e67700', '#5c940d', '#862e9c', '#d6336c'];

/** Colour of the i-th of n modes on a blue → red ramp, so mode order reads at a glance. */
export function modeColor(i: number, n: number): string {
  const t = n <= 1 ? 0 : i / (n - 1);
  const hue = 220 - 220 * t;
  return `hsl(${hue.toFixed(0)} 70% 45%)`;
}

/** A file name made of safe characters from a chart title. */
export function fileStem(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'chart';
}

/** Tick label of a log axis: plain digits from 0.001 to 9999, else 1e-5 style. */
export function logTickLabel(v: number | null): string {
  if (v === null || !(v > 0)) return '';
  return v >= 1e-3 && v < 1e4 ? String(Number(v.toPrecision(3))) : v.toExponential(0).replace('e+', 'e');
}
