/**
 * Collapse phase diagrams: over a grid of two parameters, the (weighted) fraction of modes of a
 * given initial distribution whose s_j ends near 0 under the per-mode dynamics (Eqs. 11–13).
 * Exact speed-ups: each mode is a scalar ODE integrated in a tight RK4 loop (`integrateModeFast`);
 * α_p only rescales s (ŝ = α_p s), so when α_p is an axis, cells of one row/column with equal
 * α_p s_j(0) reuse one trajectory (all of them for modes on the parabola s = p²/α_p); duplicate
 * modes are merged with their weights. Heuristic ones, each checked by tests against the exact
 * computation: early exit of stationary or clearly collapsed modes, and optional block refinement.
 */
import { fastModeOut, initialTau, integrateModeFast } from './modes.ts';
import { CollapseDiagramParamsSchema, parseParams, type Axis, type AxisParam, type CollapseDiagramParams, type CollapseDiagramParamsInput, type InitialDistribution, type ModeScalars } from './params.ts';

/** A collapse phase diagram, row-major over (y, x). */
export interface CollapseDiagram {
  params: CollapseDiagramParams;
  xParam: AxisParam;
  yParam: AxisParam;
  /** Axis values (length x.count and y.count). */
  x: number[];
  y: number[];
  /** fraction[iy][ix] ∈ [0, 1]: weighted fraction of modes that collapsed in the cell. */
  fraction: number[][];
  /** Cells where some mode's state became non-finite (integration unstable: lower dt = t1/steps). */
  divergedCells: number;
  /** cellsComputed < cells when `refine` > 1 filled uniform blocks from their corners. */
  stats: { cells: number; cellsComputed: number; modesPerCell: number; trajectories: number; sharedTrajectories: number; rk4Steps: number };
}

/** Axis sample values, linear or log-spaced. */
export function axisValues(a: Axis): number[] {
  if (a.count === 1) return [a.min];
  const out: number[] = [];
  for (let i = 0; i < a.count; i++) {
    const u = i / (a.count - 1);
    out.push(a.scale === 'log' ? Math.exp(Math.log(a.min) + u * (Math.log(a.max) - Math.log(a.min))) : a.min + u * (a.max - a.min));
  }
  return out;
}

/**
 * Expands an initial distribution into (p0, s0, weight) modes, merging duplicates (same p0 and
 * s0: they share one trajectory). `shHat0(j, α_p)` gives α_p s_j(0), exact in α_p for parabola
 * modes with c = 0 (p0² whatever α_p), so cells that differ only in α_p reuse trajectories.
 */
export function expandInitial(init: InitialDistribution, alphaP: number): { p0: number[]; s0: number[]; weight: number[]; shHat0: (j: number, alphaP: number) => number } {
  if (init.kind === 'parabola') {
    const p0: number[] = [], s0: number[] = [], weight: number[] = [];
    for (let i = 0; i < init.count; i++) {
      const p = init.p[0] + ((i + 0.5) / init.count) * (init.p[1] - init.p[0]);
      p0.push(p);
      s0.push(Math.max(0, (p * p) / alphaP + init.c));
      weight.push(1);
    }
    return { p0, s0, weight, shHat0: (j, a) => Math.max(0, p0[j]! * p0[j]! + a * init.c) };
  }
  const rawP: number[] = [], rawS: number[] = [], rawW: number[] = [];
  if (init.kind === 'pairs') {
    rawP.push(...init.p0);
    rawS.push(...init.s0);
    rawW.push(...(init.weight ?? init.p0.map(() => 1)));
  } else {
    for (let i = 0; i < init.countP; i++) {
      for (let k = 0; k < init.countS; k++) {
        rawP.push(init.p[0] + ((i + 0.5) / init.countP) * (init.p[1] - init.p[0]));
        rawS.push(init.s[0] + ((k + 0.5) / init.countS) * (init.s[1] - init.s[0]));
        rawW.push(1);
      }
    }
  }
  const seen = new Map<string, number>();
  const p0: number[] = [], s0: number[] = [], weight: number[] = [];
  rawP.forEach((p, i) => {
    const key = `${p},${rawS[i]}`;
    const at = seen.get(key);
    if (at !== undefined) weight[at] = weight[at]! + rawW[i]!;
    else {
      seen.set(key, p0.length);
      p0.push(p);
      s0.push(rawS[i]!);
      weight.push(rawW[i]!);
    }
  });
  return { p0, s0, weight, shHat0: (j, a) => a * s0[j]! };
}

/** Computes the collapse phase diagram. */
export function collapseDiagram(input: CollapseDiagramParamsInput | CollapseDiagramParams): CollapseDiagram {
  const params = parseParams(CollapseDiagramParamsSchema, input, 'collapse-diagram');
  const xs = axisValues(params.x);
  const ys = axisValues(params.y);
  const dt = params.t1 / params.steps;
  const emaTau = params.base.target === 'ema';
  const alphaValues = params.x.param === 'alphaP' ? xs : params.y.param === 'alphaP' ? ys : [params.base.alphaP];
  const alphaMin = Math.min(...alphaValues);
  // Early exit 1000× below the smallest collapse threshold in ŝ units (threshold ≥ collapseThreshold·α_p).
  const sFloor = 1e-3 * params.collapseThreshold * alphaMin;
  // Cross-cell sharing: cells in the same group differ only in α_p. A group is a row when α_p is
  // the x axis, a column when it is the y axis; otherwise no two cells share.
  const groupOf = (ix: number, iy: number) => (params.x.param === 'alphaP' ? iy : params.y.param === 'alphaP' ? ix : -1);
  const groups = params.x.param === 'alphaP' ? ys.length : params.y.param === 'alphaP' ? xs.length : 0;
  const base = expandInitial(params.initial, params.base.alphaP);
  const m = base.p0.length;
  const cacheSh0 = new Float64Array(groups * m).fill(NaN);
  const cacheP = new Float64Array(groups * m);
  const cacheSh = new Float64Array(groups * m);
  let trajectories = 0, shared = 0, rk4Steps = 0, divergedCells = 0, cellsComputed = 0;
  const nx = xs.length, ny = ys.length;
  const parabolaC = params.initial.kind === 'parabola' ? params.initial.c : 0;
  const s0Of = params.initial.kind === 'parabola' ? (j: number, a: number) => Math.max(0, (base.p0[j]! * base.p0[j]!) / a + parabolaC) : (j: number) => base.s0[j]!;
  // A mode settled near p*₊ exits early only if p*₊² is 10× above every cell's threshold (ŝ units).
  let maxS0 = 1;
  for (const a of alphaValues) for (let j = 0; j < m; j++) maxS0 = Math.max(maxS0, s0Of(j, a));
  const sAlive = 10 * params.collapseThreshold * Math.max(...alphaValues) * maxS0;
  const cell = (ix: number, iy: number): number => {
    cellsComputed++;
    const sc: ModeScalars = { ...params.base, [params.x.param]: xs[ix]!, [params.y.param]: ys[iy]! };
    const lambda = 1 + sc.sigma2;
    const tau0 = initialTau(sc.target, sc.tau0);
    const g = groupOf(ix, iy);
    let collapsedW = 0, totalW = 0, diverged = false;
    for (let j = 0; j < m; j++) {
      const w = base.weight[j]!;
      if (w === 0) continue;
      const p0 = base.p0[j]!;
      const sh0 = base.shHat0(j, sc.alphaP);
      let pT: number, shT: number;
      if (g >= 0 && cacheSh0[g * m + j] === sh0) {
        pT = cacheP[g * m + j]!;
        shT = cacheSh[g * m + j]!;
        shared++;
      } else {
        integrateModeFast(p0, sh0, tau0, emaTau, sc.beta, sc.eta, lambda, dt, params.steps, params.earlyExit, sFloor, sAlive);
        pT = fastModeOut[0]!;
        shT = fastModeOut[1]!;
        trajectories++;
        rk4Steps += fastModeOut[3]!;
        if (g >= 0) {
          cacheSh0[g * m + j] = sh0;
          cacheP[g * m + j] = pT;
          cacheSh[g * m + j] = shT;
        }
      }
      if (!Number.isFinite(pT) || !Number.isFinite(shT)) diverged = true;
      totalW += w;
      if (shT / sc.alphaP < params.collapseThreshold * Math.max(s0Of(j, sc.alphaP), 1)) collapsedW += w;
    }
    if (diverged) divergedCells++;
    return totalW > 0 ? collapsedW / totalW : 0;
  };
  const grid = new Float64Array(nx * ny).fill(NaN);
  const B = params.refine;
  if (B <= 1) {
    for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix < nx; ix++) grid[iy * nx + ix] = cell(ix, iy);
  } else {
    // Corners every B cells (plus the last), then fill uniform blocks and compute mixed ones.
    const cornersOf = (n: number) => {
      const c: number[] = [];
      for (let i = 0; i < n - 1; i += B) c.push(i);
      c.push(n - 1);
      return c;
    };
    const cx = cornersOf(nx), cy = cornersOf(ny);
    for (const iy of cy) for (const ix of cx) grid[iy * nx + ix] = cell(ix, iy);
    for (let by = 0; by < Math.max(1, cy.length - 1); by++) {
      const y0 = cy[by]!, y1 = cy[Math.min(by + 1, cy.length - 1)]!;
      for (let bx = 0; bx < Math.max(1, cx.length - 1); bx++) {
        const x0 = cx[bx]!, x1 = cx[Math.min(bx + 1, cx.length - 1)]!;
        const v = grid[y0 * nx + x0]!;
        const uniform = grid[y0 * nx + x1] === v && grid[y1 * nx + x0] === v && grid[y1 * nx + x1] === v;
        for (let iy = y0; iy <= y1; iy++) {
          for (let ix = x0; ix <= x1; ix++) {
            if (!Number.isNaN(grid[iy * nx + ix]!)) continue;
            grid[iy * nx + ix] = uniform ? v : cell(ix, iy);
          }
        }
      }
    }
  }
  const fraction: number[][] = [];
  for (let iy = 0; iy < ny; iy++) fraction.push(Array.from(grid.subarray(iy * nx, (iy + 1) * nx)));
  return {
    params,
    xParam: params.x.param,
    yParam: params.y.param,
    x: xs,
    y: ys,
    fraction,
    divergedCells,
    stats: { cells: nx * ny, cellsComputed, modesPerCell: m, trajectories, sharedTrajectories: shared, rk4Steps },
  };
}
