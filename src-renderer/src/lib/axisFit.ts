/**
 * Sizing the charts' y axes so nothing is cut, in the view or in the exported PNG: the axis is as
 * wide as its widest tick label plus the tick and gap, then the title's lines; a title longer than
 * the plot is tall wraps onto more lines (words kept whole) instead of running off both ends. And
 * the "ignore outliers" y range: Tukey's fences, so a step-1 loss spike does not flatten the curve.
 * No DOM: text widths come from a `measure` callback; node:test imports this directly.
 */

/** Width of a text in CSS pixels, as the chart's canvas font measures it. */
export type Measure = (text: string) => number;

/**
 * The axis width (CSS px) that holds every tick label: widest label + tick length + gap, never
 * under `min` (an empty or not yet laid out axis keeps a sensible width).
 */
export function tickAxisWidth(labels: readonly (string | null | undefined)[] | null, measure: Measure, tickSize: number, gap: number, min = 24): number {
  let widest = 0;
  for (const l of labels ?? []) if (l) widest = Math.max(widest, measure(l));
  return Math.max(min, Math.ceil(widest + tickSize + gap + 2));
}

/**
 * Lines of an axis title that each fit `maxWidth` (the plot's height, the title being vertical):
 * greedy by words; a single word longer than the room is cut with an ellipsis only as a last
 * resort (it has no break), never dropped. At most `maxLines` lines, the last one ellipsised.
 */
export function wrapTitle(title: string, maxWidth: number, measure: Measure, maxLines = 3): string[] {
  const words = title.trim().split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    const next = cur ? `${cur} ${w}` : w;
    if (!cur || measure(next) <= maxWidth) cur = next;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur) lines.push(cur);
  const out = lines.length > maxLines ? [...lines.slice(0, maxLines - 1), lines.slice(maxLines - 1).join(' ')] : lines;
  return out.map((l) => ellipsize(l, maxWidth, measure));
}

function ellipsize(line: string, maxWidth: number, measure: Measure): string {
  if (measure(line) <= maxWidth) return line;
  let s = line;
  while (s.length > 1 && measure(`${s}…`) > maxWidth) s = s.slice(0, -1);
  return `${s}…`;
}

/**
 * The "ignore outliers" range of a y axis over every finite value: Tukey's fences at `k` × IQR
 * beyond the quartiles, clamped to the data, with 5 % padding; null when there is nothing to
 * ignore (fewer than 4 values, a flat middle, or no value beyond a fence), so the chart keeps its
 * ordinary range.
 */
export function robustRange(columns: readonly (ArrayLike<number | null | undefined>)[], k = 3): [number, number] | null {
  const xs: number[] = [];
  for (const c of columns) for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (v !== null && v !== undefined && Number.isFinite(v)) xs.push(v);
  }
  if (xs.length < 4) return null;
  xs.sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = (xs.length - 1) * p;
    const lo = Math.floor(pos);
    return xs[lo]! + (xs[Math.min(lo + 1, xs.length - 1)]! - xs[lo]!) * (pos - lo);
  };
  const q1 = q(0.25), q3 = q(0.75);
  const iqr = q3 - q1;
  if (!(iqr > 0)) return null;
  const lo = Math.max(xs[0]!, q1 - k * iqr);
  const hi = Math.min(xs[xs.length - 1]!, q3 + k * iqr);
  if (lo <= xs[0]! && hi >= xs[xs.length - 1]!) return null;
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** How many values lie outside `range` (below, above): the chart says it hid them. */
export function countOutside(columns: readonly (ArrayLike<number | null | undefined>)[], range: [number, number]): { below: number; above: number } {
  let below = 0, above = 0;
  for (const c of columns) for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < range[0]) below++;
    else if (v > range[1]) above++;
  }
  return { below, above };
}
