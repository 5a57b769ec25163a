/**
 * Canvas drawing of the theory playground: the (p, s) phase portrait (paper Fig. 3 look: blue
 * flow, dashed black parabola, red = stable / green = unstable fixed points), the phase line
 * (Fig. 4) and the collapse phase diagram. Pure functions of a 2D context and data, so a slider
 * move is one synchronous redraw.
 */
import type { Arrow, PortraitFixed, Window } from '../../lib/theory/portrait.ts';
import type { CollapseDiagram } from '../../../../src-main/theory/collapse.ts';
import { axisTicks, ticks } from '../../lib/ticks.ts';

/** Colours of the playground (paper Fig. 3). */
export const THEORY_COLORS = { flow: '#2c6fbb', traj: '#1d3f8f', stable: '#d62728', unstable: '#2ca02c', parabola: '#111', current: '#ff7f0e' };

interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
  px: (v: number) => number;
  py: (v: number) => number;
}

function frame(width: number, height: number, xr: [number, number], yr: [number, number], pad = { l: 46, r: 12, t: 10, b: 34 }): Frame {
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  return {
    x0: pad.l,
    y0: pad.t,
    w,
    h,
    px: (v) => pad.l + ((v - xr[0]) / (xr[1] - xr[0])) * w,
    py: (v) => pad.t + h - ((v - yr[0]) / (yr[1] - yr[0])) * h,
  };
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(3)));
}

function axes(ctx: CanvasRenderingContext2D, f: Frame, xr: [number, number], yr: [number, number], xLabel: string, yLabel: string, fg: string, grid: string): void {
  ctx.save();
  ctx.strokeStyle = grid;
  ctx.fillStyle = fg;
  ctx.lineWidth = 1;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const v of ticks(xr[0], xr[1])) {
    const x = f.px(v);
    ctx.beginPath();
    ctx.moveTo(x, f.y0);
    ctx.lineTo(x, f.y0 + f.h);
    ctx.stroke();
    ctx.fillText(fmt(v), x, f.y0 + f.h + 3);
  }
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of ticks(yr[0], yr[1])) {
    const y = f.py(v);
    ctx.beginPath();
    ctx.moveTo(f.x0, y);
    ctx.lineTo(f.x0 + f.w, y);
    ctx.stroke();
    ctx.fillText(fmt(v), f.x0 - 4, y);
  }
  ctx.strokeStyle = fg;
  ctx.strokeRect(f.x0, f.y0, f.w, f.h);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(xLabel, f.x0 + f.w / 2, f.y0 + f.h + 32);
  ctx.save();
  ctx.translate(12, f.y0 + f.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
  ctx.restore();
}

function point(ctx: CanvasRenderingContext2D, x: number, y: number, color: string, r = 6): void {
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = '#fff';
  ctx.stroke();
}

/** Theme colours read once per draw. */
export interface Ink {
  fg: string;
  grid: string;
  bg: string;
  /** Dark theme: trajectories are drawn light so they stand out from the flow arrows. */
  dark: boolean;
}

/** What the portrait shows. */
export interface PortraitData {
  win: Window;
  alphaP: number;
  arrows: Arrow[];
  trajectories: [number, number][][];
  fixed: PortraitFixed;
}

/** Draws the (p, s) phase portrait. */
export function drawPortrait(ctx: CanvasRenderingContext2D, width: number, height: number, d: PortraitData, ink: Ink): void {
  ctx.fillStyle = ink.bg;
  ctx.fillRect(0, 0, width, height);
  const f = frame(width, height, d.win.p, d.win.s);
  axes(ctx, f, d.win.p, d.win.s, 'p_j (eigenvalue of W_p)', 's_j (eigenvalue of F)', ink.fg, ink.grid);
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, f.y0, f.w, f.h);
  ctx.clip();
  // Vector field: arrows of equal length (direction), opacity by speed (log-scaled).
  const cellW = f.w / 22;
  const speeds = d.arrows.map((a) => Math.hypot(a.dp / (d.win.p[1] - d.win.p[0]), a.ds / (d.win.s[1] - d.win.s[0])));
  const maxSpeed = Math.max(...speeds, 1e-12);
  ctx.strokeStyle = THEORY_COLORS.flow;
  ctx.fillStyle = THEORY_COLORS.flow;
  ctx.lineWidth = 1.2;
  // Arrows batched into five opacity bands: ten canvas calls instead of two per arrow.
  const BANDS = 5;
  const shafts = Array.from({ length: BANDS }, () => new Path2D());
  const heads = Array.from({ length: BANDS }, () => new Path2D());
  d.arrows.forEach((a, i) => {
    const vx = (a.dp / (d.win.p[1] - d.win.p[0])) * f.w;
    const vy = -(a.ds / (d.win.s[1] - d.win.s[0])) * f.h;
    const len = Math.hypot(vx, vy);
    if (!(len > 0)) return;
    const L = cellW * 0.8;
    const ux = (vx / len) * L, uy = (vy / len) * L;
    const x = f.px(a.p) - ux / 2, y = f.py(a.s) - uy / 2;
    const b = Math.min(BANDS - 1, Math.floor(BANDS * Math.min(1, Math.log1p((9 * speeds[i]!) / maxSpeed) / Math.log(10))));
    shafts[b]!.moveTo(x, y);
    shafts[b]!.lineTo(x + ux, y + uy);
    const ang = Math.atan2(uy, ux);
    heads[b]!.moveTo(x + ux, y + uy);
    heads[b]!.lineTo(x + ux - 5 * Math.cos(ang - 0.45), y + uy - 5 * Math.sin(ang - 0.45));
    heads[b]!.lineTo(x + ux - 5 * Math.cos(ang + 0.45), y + uy - 5 * Math.sin(ang + 0.45));
    heads[b]!.closePath();
  });
  for (let b = 0; b < BANDS; b++) {
    ctx.globalAlpha = 0.3 + (0.7 * (b + 0.5)) / BANDS;
    ctx.stroke(shafts[b]!);
    ctx.fill(heads[b]!);
  }
  ctx.globalAlpha = 1;
  // Invariant parabola s = p²/α_p, dashed black.
  ctx.strokeStyle = ink.fg;
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let i = 0; i <= 200; i++) {
    const p = d.win.p[0] + (i / 200) * (d.win.p[1] - d.win.p[0]);
    const x = f.px(p), y = f.py((p * p) / d.alphaP);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
  // η = 0: the line of fixed points p = τ/(1+σ²).
  if (d.fixed.line !== null) {
    ctx.strokeStyle = THEORY_COLORS.stable;
    ctx.setLineDash([2, 3]);
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.moveTo(f.px(d.fixed.line), f.y0);
    ctx.lineTo(f.px(d.fixed.line), f.y0 + f.h);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  // Trajectories.
  const traj = ink.dark ? '#a9c4ff' : THEORY_COLORS.traj;
  ctx.strokeStyle = traj;
  ctx.lineWidth = 2;
  for (const tr of d.trajectories) {
    ctx.beginPath();
    tr.forEach(([p, s], i) => (i === 0 ? ctx.moveTo(f.px(p), f.py(s)) : ctx.lineTo(f.px(p), f.py(s))));
    ctx.stroke();
    const [p0, s0] = tr[0]!;
    ctx.fillStyle = traj;
    ctx.beginPath();
    ctx.arc(f.px(p0), f.py(s0), 3, 0, 2 * Math.PI);
    ctx.fill();
  }
  fixedMarks(ctx, d.fixed.points.map((pt) => ({ x: f.px(pt.p), y: f.py(pt.s), stable: pt.stable })));
  ctx.restore();
}

/**
 * Fixed points: stable ones as filled discs, unstable ones as rings drawn on top, so a stable and an
 * unstable point at (almost) the same place — the origin and p*₋ ≈ η/τ at small η — both show.
 */
function fixedMarks(ctx: CanvasRenderingContext2D, marks: { x: number; y: number; stable: boolean | null }[]): void {
  for (const m of marks) if (m.stable) point(ctx, m.x, m.y, THEORY_COLORS.stable, 6);
  for (const m of marks) {
    if (m.stable) continue;
    ctx.beginPath();
    ctx.arc(m.x, m.y, 9, 0, 2 * Math.PI);
    ctx.lineWidth = 3;
    ctx.strokeStyle = THEORY_COLORS.unstable;
    ctx.stroke();
  }
}

/** Draws the phase line ṗ(p) on the invariant parabola with its fixed points and flow direction. */
export function drawPhaseLine(ctx: CanvasRenderingContext2D, width: number, height: number, line: { p: number[]; pDot: number[] }, fixed: PortraitFixed, ink: Ink): void {
  ctx.fillStyle = ink.bg;
  ctx.fillRect(0, 0, width, height);
  const xr: [number, number] = [line.p[0]!, line.p[line.p.length - 1]!];
  const finite = line.pDot.filter((v) => Number.isFinite(v));
  const ymax = Math.max(1e-6, ...finite.map(Math.abs)) * 1.1;
  const yr: [number, number] = [-ymax, ymax];
  const f = frame(width, height, xr, yr);
  axes(ctx, f, xr, yr, 'p_j on the invariant parabola', 'ṗ_j', ink.fg, ink.grid);
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, f.y0, f.w, f.h);
  ctx.clip();
  ctx.strokeStyle = ink.fg;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(f.x0, f.py(0));
  ctx.lineTo(f.x0 + f.w, f.py(0));
  ctx.stroke();
  ctx.strokeStyle = THEORY_COLORS.flow;
  ctx.lineWidth = 2;
  ctx.beginPath();
  line.p.forEach((p, i) => (i === 0 ? ctx.moveTo(f.px(p), f.py(line.pDot[i]!)) : ctx.lineTo(f.px(p), f.py(line.pDot[i]!))));
  ctx.stroke();
  // Direction of flow along the axis: → where ṗ > 0, ← where ṗ < 0.
  ctx.fillStyle = THEORY_COLORS.flow;
  for (let i = 10; i < line.p.length; i += 24) {
    const v = line.pDot[i]!;
    if (Math.abs(v) < ymax * 1e-3) continue;
    const x = f.px(line.p[i]!), y = f.py(0), dir = v > 0 ? 1 : -1;
    ctx.beginPath();
    ctx.moveTo(x + 6 * dir, y);
    ctx.lineTo(x - 4 * dir, y - 5);
    ctx.lineTo(x - 4 * dir, y + 5);
    ctx.closePath();
    ctx.fill();
  }
  fixedMarks(ctx, [...fixed.points.map((pt) => ({ x: f.px(pt.p), y: f.py(0), stable: pt.stable })), ...(fixed.line !== null ? [{ x: f.px(fixed.line), y: f.py(0), stable: true }] : [])]);
  ctx.restore();
}

/** Draws a collapse phase diagram (fraction of collapsed modes, white → dark red) with the current point. */
export function drawDiagram(ctx: CanvasRenderingContext2D, width: number, height: number, dg: CollapseDiagram, current: { x: number; y: number }, labels: { x: string; y: string }, ink: Ink): void {
  // The heat map only changes with the diagram: kept as a bitmap, so moving a slider redraws the
  // marker over a copy instead of ~700 cells and every label.
  const dpr = ctx.getTransform().a || 1;
  const key = `${width}×${height}×${dpr}|${labels.x}|${labels.y}|${ink.bg}|${ink.fg}`;
  let cached = diagramCache.get(dg);
  if (!cached || cached.key !== key) {
    const off = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(Math.round(width * dpr), Math.round(height * dpr)) : null;
    const octx = off?.getContext('2d') as CanvasRenderingContext2D | null | undefined;
    if (!off || !octx) {
      drawDiagramFull(ctx, width, height, dg, current, labels, ink);
      return;
    }
    octx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawDiagramFull(octx, width, height, dg, null, labels, ink);
    cached = { key, bitmap: off };
    diagramCache.set(dg, cached);
  }
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(cached.bitmap, 0, 0);
  ctx.restore();
  drawDiagramMarker(ctx, width, height, dg, current);
}

const diagramCache = new WeakMap<CollapseDiagram, { key: string; bitmap: OffscreenCanvas }>();

function diagramFrame(width: number, height: number, dg: CollapseDiagram): Frame {
  return frame(width, height, [0, dg.x.length], [0, dg.y.length], { l: 52, r: 70, t: 10, b: 34 });
}

/** The marker of the current sliders on the diagram. */
function drawDiagramMarker(ctx: CanvasRenderingContext2D, width: number, height: number, dg: CollapseDiagram, current: { x: number; y: number }): void {
  const f = diagramFrame(width, height, dg);
  const cx = f.px(indexOf(dg.x, current.x, dg.params.x.scale) + 0.5);
  const cy = f.py(indexOf(dg.y, current.y, dg.params.y.scale) + 0.5);
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, f.y0, f.w, f.h);
  ctx.clip();
  ctx.strokeStyle = THEORY_COLORS.current;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  ctx.arc(cx, cy, 7, 0, 2 * Math.PI);
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(cx - 11, cy);
  ctx.lineTo(cx + 11, cy);
  ctx.moveTo(cx, cy - 11);
  ctx.lineTo(cx, cy + 11);
  ctx.stroke();
  ctx.restore();
}

function drawDiagramFull(ctx: CanvasRenderingContext2D, width: number, height: number, dg: CollapseDiagram, current: { x: number; y: number } | null, labels: { x: string; y: string }, ink: Ink): void {
  ctx.fillStyle = ink.bg;
  ctx.fillRect(0, 0, width, height);
  const nx = dg.x.length, ny = dg.y.length;
  // Cells are drawn on index space so log axes look right; ticks show the values.
  const f = diagramFrame(width, height, dg);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const v = dg.fraction[iy]![ix]!;
      const r = Math.round(255 - 85 * v), g = Math.round(255 - 230 * v), b = Math.round(255 - 220 * v);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      const x = f.px(ix), y = f.py(iy + 1);
      ctx.fillRect(x, y, f.px(ix + 1) - x + 0.5, f.py(iy) - y + 0.5);
    }
  }
  ctx.strokeStyle = ink.fg;
  ctx.strokeRect(f.x0, f.y0, f.w, f.h);
  ctx.fillStyle = ink.fg;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  // Ticks at round values (0, 0.1, 0.2 or 0.1, 1, 10), placed where they fall between the samples.
  for (const v of axisTicks(dg.x, dg.params.x.scale)) ctx.fillText(fmt(v), f.px(indexOf(dg.x, v, dg.params.x.scale) + 0.5), f.y0 + f.h + 3);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of axisTicks(dg.y, dg.params.y.scale)) ctx.fillText(fmt(v), f.x0 - 4, f.py(indexOf(dg.y, v, dg.params.y.scale) + 0.5));
  ctx.textAlign = 'center';
  ctx.textBaseline = 'bottom';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(labels.x, f.x0 + f.w / 2, f.y0 + f.h + 32);
  ctx.save();
  ctx.translate(12, f.y0 + f.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(labels.y, 0, 0);
  ctx.restore();
  // Colour bar.
  const cbx = f.x0 + f.w + 14;
  for (let i = 0; i < 100; i++) {
    const v = i / 99;
    ctx.fillStyle = `rgb(${Math.round(255 - 85 * v)},${Math.round(255 - 230 * v)},${Math.round(255 - 220 * v)})`;
    ctx.fillRect(cbx, f.y0 + f.h - ((i + 1) / 100) * f.h, 12, f.h / 100 + 0.5);
  }
  ctx.strokeStyle = ink.fg;
  ctx.strokeRect(cbx, f.y0, 12, f.h);
  ctx.fillStyle = ink.fg;
  ctx.textAlign = 'left';
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillText('1', cbx + 16, f.y0 + 6);
  ctx.fillText('0', cbx + 16, f.y0 + f.h - 2);
  ctx.save();
  ctx.translate(cbx + 30, f.y0 + f.h / 2);
  ctx.rotate(Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('collapsed fraction', 0, 0);
  ctx.restore();
  // Current point, placed by value (log-aware through the axis samples).
  if (current) drawDiagramMarker(ctx, width, height, dg, current);
}

/** Fractional index of value v among axis samples (linear or log spacing). */
function indexOf(samples: number[], v: number, scale: 'linear' | 'log'): number {
  const n = samples.length;
  if (n < 2) return 0;
  const a = samples[0]!, b = samples[n - 1]!;
  const u = scale === 'log' ? (Math.log(Math.max(v, 1e-300)) - Math.log(a)) / (Math.log(b) - Math.log(a)) : (v - a) / (b - a);
  return u * (n - 1);
}

/** A planar flow as the theory module returns it (Fig. 10's (w, w_a) flows). */
export interface PlanarFlowData {
  gridX: number[];
  gridY: number[];
  u: number[][];
  v: number[][];
  trajectories: { x: number[]; y: number[] }[];
  fixedPoints: { x: number; y: number; stability: string; label: string }[];
  fixedLines: { axis: 'x' | 'y'; value: number; label: string }[];
  axes?: string[];
}

/** Draws a planar flow: direction arrows, trajectories, lines and points of fixed points. */
export function drawPlanarFlow(ctx: CanvasRenderingContext2D, width: number, height: number, d: PlanarFlowData, ink: Ink): void {
  ctx.fillStyle = ink.bg;
  ctx.fillRect(0, 0, width, height);
  const xr: [number, number] = [d.gridX[0]!, d.gridX[d.gridX.length - 1]!];
  const yr: [number, number] = [d.gridY[0]!, d.gridY[d.gridY.length - 1]!];
  const f = frame(width, height, xr, yr);
  axes(ctx, f, xr, yr, d.axes?.[0] ?? 'x', d.axes?.[1] ?? 'y', ink.fg, ink.grid);
  ctx.save();
  ctx.beginPath();
  ctx.rect(f.x0, f.y0, f.w, f.h);
  ctx.clip();
  const L = (f.w / d.gridX.length) * 0.7;
  ctx.strokeStyle = THEORY_COLORS.flow;
  ctx.globalAlpha = 0.6;
  ctx.lineWidth = 1;
  d.gridY.forEach((y, iy) =>
    d.gridX.forEach((x, ix) => {
      const vx = d.u[iy]![ix]! / (xr[1] - xr[0]);
      const vy = -d.v[iy]![ix]! / (yr[1] - yr[0]);
      const len = Math.hypot(vx, vy);
      if (!(len > 0)) return;
      const ux = (vx / len) * L, uy = (vy / len) * L;
      const cx = f.px(x), cy = f.py(y);
      ctx.beginPath();
      ctx.moveTo(cx - ux / 2, cy - uy / 2);
      ctx.lineTo(cx + ux / 2, cy + uy / 2);
      const ang = Math.atan2(uy, ux);
      ctx.lineTo(cx + ux / 2 - 4 * Math.cos(ang - 0.5), cy + uy / 2 - 4 * Math.sin(ang - 0.5));
      ctx.stroke();
    }),
  );
  ctx.globalAlpha = 1;
  ctx.strokeStyle = ink.dark ? '#a9c4ff' : THEORY_COLORS.traj;
  ctx.lineWidth = 1.6;
  for (const t of d.trajectories) {
    ctx.beginPath();
    t.x.forEach((x, i) => (i === 0 ? ctx.moveTo(f.px(x), f.py(t.y[i]!)) : ctx.lineTo(f.px(x), f.py(t.y[i]!))));
    ctx.stroke();
  }
  ctx.strokeStyle = THEORY_COLORS.stable;
  ctx.setLineDash([3, 3]);
  ctx.lineWidth = 2;
  for (const l of d.fixedLines) {
    ctx.beginPath();
    if (l.axis === 'x') {
      ctx.moveTo(f.px(l.value), f.y0);
      ctx.lineTo(f.px(l.value), f.y0 + f.h);
    } else {
      ctx.moveTo(f.x0, f.py(l.value));
      ctx.lineTo(f.x0 + f.w, f.py(l.value));
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  fixedMarks(ctx, d.fixedPoints.map((p) => ({ x: f.px(p.x), y: f.py(p.y), stable: p.stability === 'stable' })));
  ctx.restore();
}
