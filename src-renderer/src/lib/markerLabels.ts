/**
 * Value labels beside a chart's marker dots (a value measured once, such as the linear probe and
 * kNN at step 0), placed so that none overprints another: two evaluations of one step sit at the
 * same x, often at nearly the same y. Pure: the chart measures the texts, this places the boxes.
 */

/** One label to place: its dot's position and its text's size, in canvas pixels. */
export interface MarkerLabel {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where a label is drawn: `x` is the text's anchor (its left end, or its right end when `align` is 'right'), `y` its middle. */
export interface PlacedLabel {
  x: number;
  y: number;
  align: 'left' | 'right';
}

/** The plot area labels must stay in. */
export interface PlotBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Horizontal distance from a dot to its label, and the label's default rise above the dot. */
export interface LabelOffsets {
  dx: number;
  rise: number;
  /** Radius of a marker dot: no label covers another label's dot (default 0). */
  dot?: number;
}

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

const overlaps = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Places each label beside its dot: above it on the right (on the left near the right edge), and
 * where that box would cross a label already placed, the nearest free row above or below the dot
 * instead (nor over any marker's dot). Labels are placed in the order given; with no free row the default place is kept.
 */
export function placeMarkerLabels(labels: readonly MarkerLabel[], plot: PlotBox, off: LabelOffsets): PlacedLabel[] {
  const r = off.dot ?? 0;
  const placed: Box[] = r > 0 ? labels.map((l) => ({ x0: l.x - r, x1: l.x + r, y0: l.y - r, y1: l.y + r })) : [];
  const out: PlacedLabel[] = [];
  for (const l of labels) {
    const left = l.x + off.dx + l.width > plot.left + plot.width;
    const x0 = left ? l.x - off.dx - l.width : l.x + off.dx;
    const boxAt = (cy: number): Box => ({ x0, x1: x0 + l.width, y0: cy - l.height / 2, y1: cy + l.height / 2 });
    const inside = (b: Box) => b.y0 >= plot.top && b.y1 <= plot.top + plot.height;
    // Rows one label-height apart, nearest the default first: above, below the dot, higher, lower …
    const preferred = l.y - off.rise;
    const rows = [preferred, l.y + off.rise];
    for (let k = 1; k <= 6; k++) rows.push(preferred - k * l.height, l.y + off.rise + k * l.height);
    const free = rows.map(boxAt).find((b) => inside(b) && !placed.some((p) => overlaps(p, b)));
    const box = free ?? boxAt(preferred);
    placed.push(box);
    out.push({ x: left ? box.x1 : box.x0, y: (box.y0 + box.y1) / 2, align: left ? 'right' : 'left' });
  }
  return out;
}
