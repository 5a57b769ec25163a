/**
 * The compare chart's lines: one per run in its stable colour, or, grouped by a setup field, the
 * mean of each group with faint mean ± std lines (std across the group's runs, normally seeds).
 */
import { alignSeries, type AlignMode, type SeriesLike, type WallContext } from './align.ts';
import { groupBy, meanStdBand } from './bands.ts';
import { groupColor, runColor } from './colors.ts';
import { formatValue } from './diff.ts';

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
}

/** Reads a dotted path of a setup-like object. */
export function fieldOf(setup: unknown, path: string): unknown {
  let cur: unknown = setup;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Lines of the compare chart for one metric. */
export function compareLines(runs: readonly CompareRun[], mode: AlignMode, by: string): Line[] {
  const withData = runs.filter((r) => r.series);
  if (!by) {
    return withData.map((r) => ({ label: r.label, ...alignSeries(r.series!, mode, r.wall), color: runColor(r.id) }));
  }
  const lines: Line[] = [];
  for (const g of groupBy(withData, (r) => fieldOf(r.setup, by) ?? null)) {
    const band = meanStdBand(g.runs.map((r) => alignSeries(r.series!, mode, r.wall)));
    const name = `${by} = ${formatValue(g.value ?? null)}`;
    const color = groupColor({ [by]: g.value ?? null });
    lines.push({ label: `${name} (n=${g.runs.length})`, x: band.x, y: band.mean, color });
    if (g.runs.length > 1) {
      lines.push({ label: `${name} +std`, x: band.x, y: band.hi, color, faint: true });
      lines.push({ label: `${name} −std`, x: band.x, y: band.lo, color, faint: true });
    }
  }
  return lines;
}
