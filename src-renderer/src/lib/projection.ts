/**
 * The representation picture's logic, kept out of the components so it is tested alone: class
 * colours that read on both themes, the plot's square frame (equal scale on PC1 and PC2, so a
 * collapsed cloud looks like the line or point it is), the legend, and the words that name a step.
 */
import type { ProjectionRow } from '../../../src-main/contract/index.ts';

/**
 * Ten class colours per theme, each at least 3:1 against the plot's background (WCAG's bar for
 * graphics): darker hues on the light theme's white, lighter ones on the dark theme's #15181c. In
 * the order of a categorical palette (blue, orange, green, red, purple, brown, pink, grey, olive,
 * cyan), so the first classes get the most distinct hues.
 */
export const CLASS_PALETTES = {
  light: ['#1f6fb4', '#c25400', '#23852f', '#c62828', '#7b4fb0', '#8c564b', '#b8327f', '#616161', '#747400', '#00808c'],
  dark: ['#6aaaf0', '#ffa94d', '#69db7c', '#ff7b7b', '#b79cff', '#d2a77f', '#f78fc0', '#b4bcc4', '#d8d84a', '#3bc9db'],
} as const;

/** Background each palette is drawn on (the themes' --bg). */
export const PLOT_BACKGROUND = { light: '#ffffff', dark: '#15181c' } as const;

/** The colour of class `k`: the palette's first ten, then golden-angle hues at the theme's lightness. */
export function classColor(k: number, theme: 'light' | 'dark'): string {
  const p = CLASS_PALETTES[theme];
  if (k < p.length) return p[k]!;
  return hslToHex((k * 137.508) % 360, theme === 'light' ? 0.7 : 0.75, theme === 'light' ? 0.32 : 0.68);
}

/** #rrggbb of an HSL colour (hue in degrees, saturation and lightness in [0, 1]). */
export function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
}

/** WCAG contrast ratio of two #rrggbb colours (1 … 21). */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** A square frame around the points, centred on their middle, with a margin (equal scale on both axes). */
export interface Frame {
  cx: number;
  cy: number;
  /** Half the side of the square, in data units (> 0). */
  half: number;
}

/** The frame of a picture: its widest spread on either axis decides the scale of both. */
export function frameOf(x: readonly number[], y: readonly number[]): Frame {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!, b = y[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    if (a < x0) x0 = a;
    if (a > x1) x1 = a;
    if (b < y0) y0 = b;
    if (b > y1) y1 = b;
  }
  if (x0 > x1) return { cx: 0, cy: 0, half: 1 };
  const span = Math.max(x1 - x0, y1 - y0);
  // Every point at one place: a unit frame around it rather than a division by zero.
  const half = span > 0 ? (span / 2) * 1.08 : Math.max(1, Math.abs(x0), Math.abs(y0)) * 0.1 || 1;
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, half };
}

/** One legend entry: a class present in the picture, with its name, colour and number of points. */
export interface LegendEntry {
  cls: number;
  name: string;
  color: string;
  count: number;
}

/** The classes that have points, in class order, named (the dataset's name, else "class k"). */
export function legendOf(p: Pick<ProjectionRow, 'labels' | 'classNames'>, theme: 'light' | 'dark'): LegendEntry[] {
  const counts = new Map<number, number>();
  for (const l of p.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts.keys()].sort((a, b) => a - b).map((cls) => ({ cls, name: p.classNames[cls] ?? `class ${cls}`, color: classColor(cls, theme), count: counts.get(cls)! }));
}

/** How a step reads: "random init" at 0, "end" at the run's last step (when known), else "step N". */
export function stepLabel(step: number, lastStep: number | null): string {
  if (step === 0) return 'random init';
  if (lastStep !== null && step === lastStep) return `end (step ${step})`;
  return `step ${step}`;
}

/** A fraction as a whole percentage ("61 %"), or "—". */
export function percent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : `${Math.round(v * 100)} %`;
}

/**
 * What the picture says about collapse, in words: a cloud with almost no spread (relative variance
 * under 1 %) is a point; one whose PC1 holds over 95 % of the variance is a line; otherwise nothing.
 */
export function collapseNote(p: Pick<ProjectionRow, 'explained' | 'relativeVariance'>): string | null {
  if (p.relativeVariance !== null && p.relativeVariance < 0.01) return 'collapsed to a point: the features hardly vary between images';
  if (p.explained[0] !== null && p.explained[0] > 0.95) return 'collapsed to a line: one direction holds almost all the variance';
  return null;
}
