/**
 * Labels under the bars of a chart, laid out from their measured widths so they never overprint:
 * on one line when every label fits its slot, else wrapped at word and "," / "=" boundaries, else
 * rotated 45°, shortened where still too long: the words every label starts with are dropped (they
 * tell no bar apart), then the middle is cut, keeping both ends, with "…" (the chart puts the full
 * text on hover). Pure: the width of
 * a text comes from a `measure` function (a canvas in the browser, a fixed advance in tests).
 */

/** Width of a text as drawn, in the units of the slot. */
export type Measure = (text: string) => number;

/** What the layout needs to know about the room. */
export interface LabelRoom {
  measure: Measure;
  /** Horizontal room of one label: the distance between neighbouring labels' centres. */
  slot: number;
  /** Distance between two lines of text. */
  lineHeight: number;
  /** Most lines a wrapped label may take (default 3). */
  maxLines?: number;
  /** Longest a rotated label may be, along its slant (default 150). */
  maxRotated?: number;
  /** Clear space kept between two neighbouring labels (default 6). */
  gap?: number;
}

/** How the labels are drawn. */
export interface LabelLayout {
  mode: 'horizontal' | 'wrapped' | 'rotated';
  /** Each label's lines as drawn (one line unless wrapped). */
  lines: string[][];
  /** Each label: true when the text drawn is shortened (the full text must be on hover). */
  abbreviated: boolean[];
  /** Height the labels take below the axis (rotated: the drop of the longest one plus a line). */
  height: number;
  /** Widest drawn line (rotated: longest label along its slant). */
  widest: number;
}

/** sin 45° = cos 45°: the slant of rotated labels. */
const SLANT = Math.SQRT1_2;

/** Pieces of a label that may end a line: each ends at a space, comma or "=" (kept with the piece). */
function tokens(label: string): string[] {
  return label.split(/(?<=[\s,=])/).filter((t) => t.length > 0);
}

/** `text` cut to fit `width` with "…" at the end (unchanged when it fits; '' when not even "…" fits). */
export function truncateToWidth(text: string, width: number, measure: Measure): string {
  if (measure(text) <= width) return text;
  if (measure('…') > width) return '';
  let lo = 0;
  let hi = text.length;
  // The longest prefix whose text plus "…" fits (binary search: widths grow with length).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(`${text.slice(0, mid).trimEnd()}…`) <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo).trimEnd()}…`;
}

/** `text` cut in the middle to fit `width` ("abc…xyz"; unchanged when it fits; '' when not even "…" fits). */
export function truncateMiddle(text: string, width: number, measure: Measure): string {
  if (measure(text) <= width) return text;
  if (measure('…') > width) return '';
  const cut = (k: number) => `${text.slice(0, Math.ceil(k / 2)).trimEnd()}…${text.slice(text.length - Math.floor(k / 2)).trimStart()}`;
  let lo = 0;
  let hi = text.length - 1;
  // The most characters kept (half at each end) whose text fits.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (measure(cut(mid)) <= width) lo = mid;
    else hi = mid - 1;
  }
  return cut(lo);
}

/** The whole tokens every label starts with, when there are two or more labels and none is all prefix. */
export function commonPrefix(labels: readonly string[]): string {
  if (labels.length < 2) return '';
  const split = labels.map(tokens);
  let n = 0;
  while (split.every((t) => t.length > n + 1 && t[n] === split[0]![n])) n++;
  return split[0]!.slice(0, n).join('');
}

/** A label shortened to `width`: the common prefix replaced by "…", then the middle cut. */
function shorten(label: string, prefix: string, width: number, measure: Measure): string {
  if (measure(label) <= width) return label;
  const rest = prefix && label.startsWith(prefix) ? label.slice(prefix.length) : null;
  if (rest === null) return truncateMiddle(label, width, measure);
  const room = width - measure('…');
  const cut = truncateMiddle(rest, room, measure);
  return cut ? `…${cut}` : truncateMiddle(label, width, measure);
}

/** Greedy word wrap to `width`; a piece wider than `width` gets a line of its own (it overflows). */
function wrapGreedy(label: string, width: number, measure: Measure): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const t of tokens(label)) {
    if (cur && measure((cur + t).trimEnd()) > width) {
      lines.push(cur.trimEnd());
      cur = t;
    } else cur += t;
  }
  if (cur.trim()) lines.push(cur.trimEnd());
  return lines.length ? lines : [''];
}

/** Lays out `labels` in `room` (see the module comment). */
export function layoutLabels(labels: readonly string[], room: LabelRoom): LabelLayout {
  const { measure, slot, lineHeight } = room;
  const maxLines = room.maxLines ?? 3;
  const maxRotated = room.maxRotated ?? 150;
  const avail = slot - (room.gap ?? 6);
  const widths = labels.map((l) => measure(l));
  const none = labels.map(() => false);
  const widest = (lines: string[][]) => Math.max(0, ...lines.flat().map((l) => measure(l)));
  if (widths.every((w) => w <= avail)) {
    const lines = labels.map((l) => [l]);
    return { mode: 'horizontal', lines, abbreviated: none, height: lineHeight, widest: Math.max(0, ...widths) };
  }
  const wrapped = labels.map((l) => wrapGreedy(l, avail, measure));
  const wrapFits = wrapped.every((ls) => ls.length <= maxLines && ls.every((line) => measure(line) <= avail));
  if (wrapFits) {
    return { mode: 'wrapped', lines: wrapped, abbreviated: none, height: lineHeight * Math.max(...wrapped.map((ls) => ls.length)), widest: widest(wrapped) };
  }
  // Rotated labels stand slot·sin45° apart across their slant: they need that much for a line.
  const canRotate = slot * SLANT >= lineHeight * 0.85;
  if (canRotate) {
    const prefix = commonPrefix(labels);
    const lines = labels.map((l) => [shorten(l, prefix, maxRotated, measure)]);
    const long = Math.max(0, ...lines.map((ls) => measure(ls[0]!)));
    return { mode: 'rotated', lines, abbreviated: lines.map((ls, i) => ls[0] !== labels[i]), height: long * SLANT + lineHeight, widest: long };
  }
  // Too narrow even to rotate: wrapped, each line shortened to fit and the rest cut after maxLines.
  const lines = wrapped.map((ls) => {
    const kept = ls.length > maxLines ? [...ls.slice(0, maxLines - 1), ls.slice(maxLines - 1).join(' ')] : ls;
    return kept.map((line) => truncateToWidth(line, avail, measure));
  });
  return {
    mode: 'wrapped',
    lines,
    abbreviated: lines.map((ls, i) => ls.join(' ') !== wrapped[i]!.join(' ')),
    height: lineHeight * Math.max(1, ...lines.map((ls) => ls.length)),
    widest: widest(lines),
  };
}
