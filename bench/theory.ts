/**
 * Theory-lab benchmarks: collapse phase diagrams (200 × 200 cells, 10⁴ RK4 steps per mode), the
 * full-matrix flow (n1 = n2 = 64, 10⁴ RK4 steps) and eigh at n = 128. Prints a markdown table for
 * BENCHMARKS.md. Run: node --import tsx bench/theory.ts [--skip-full]
 */
import { cpus } from 'node:os';
import { eigh } from '../src-main/math/eigh.ts';
import { SeededRandom } from '../src-main/math/random.ts';
import { collapseDiagram, simulateFullMatrix, type CollapseDiagramParamsInput } from '../src-main/theory/index.ts';

const rows: string[] = [];
function time<T>(label: string, f: () => T, detail: (r: T) => string, repeat = 1): void {
  f(); // warm-up (JIT)
  let best = Infinity;
  let last: T | undefined;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    last = f();
    best = Math.min(best, performance.now() - t0);
  }
  const line = `| ${label} | ${best < 10 ? best.toFixed(2) : best.toFixed(0)} ms | ${detail(last!)} |`;
  rows.push(line);
  console.error(line);
}

// eigh at n = 128 (the engine's DirectPred step).
{
  const rng = new SeededRandom(1);
  const n = 128;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  time('eigh, n = 128 (Householder + implicit QL)', () => eigh(a, n), () => 'best of 10', 10);
}

const diagram = (x: CollapseDiagramParamsInput['x'], y: CollapseDiagramParamsInput['y'], initial: CollapseDiagramParamsInput['initial'], steps = 10_000, t1 = 200): CollapseDiagramParamsInput => ({
  base: { target: 'ema', alphaP: 1, beta: 0.4, eta: 0.01, sigma2: 0, tau0: 0 },
  x,
  y,
  initial,
  steps,
  t1,
});
const detail = (r: ReturnType<typeof collapseDiagram>) => `${r.stats.cellsComputed}/${r.stats.cells} cells × ${r.stats.modesPerCell} modes, ${r.stats.trajectories} trajectories integrated (${r.stats.sharedTrajectories} shared), ${(r.stats.rk4Steps / 1e6).toFixed(1)} M RK4 steps`;
const onParabola = { kind: 'parabola' as const, p: [0, 0.6] as [number, number], count: 16, c: 0 };
const oneMode = { kind: 'pairs' as const, p0: [0.1], s0: [0.01] };
time('collapse diagram 200×200 (η × α_p), BYOL, 16 modes on the parabola, 10⁴ steps', () => collapseDiagram(diagram({ param: 'eta', min: 0, max: 0.3, count: 200 }, { param: 'alphaP', min: 0.1, max: 10, count: 200, scale: 'log' }, onParabola)), detail);
let exactEtaBeta: ReturnType<typeof collapseDiagram> | null = null;
const etaBeta = (refine: number) => ({ ...diagram({ param: 'eta', min: 0, max: 0.3, count: 200 }, { param: 'beta', min: 0.01, max: 2, count: 200, scale: 'log' }, oneMode), refine });
time('collapse diagram 200×200 (η × β), BYOL, 1 mode, 10⁴ steps', () => (exactEtaBeta = collapseDiagram(etaBeta(1))), detail);
time('same, refine = 8 (coarse grid + mixed blocks)', () => collapseDiagram(etaBeta(8)), (r) => {
  let differ = 0;
  r.fraction.forEach((row, iy) => row.forEach((v, ix) => (differ += v !== exactEtaBeta!.fraction[iy]![ix] ? 1 : 0)));
  return `${r.stats.cellsComputed} of ${r.stats.cells} cells computed, ${differ} cells differ from the exact diagram, ${(r.stats.rk4Steps / 1e6).toFixed(1)} M RK4 steps`;
});
time('collapse diagram 200×200 (η × σ²), BYOL, 1 mode, 10⁴ steps', () => collapseDiagram(diagram({ param: 'eta', min: 0, max: 0.3, count: 200 }, { param: 'sigma2', min: 0, max: 2, count: 200 }, oneMode)), detail);
time('collapse diagram 100×100 (η × β), 1 mode, 2000 steps, refine = 4 (slider setting)', () => collapseDiagram({ ...diagram({ param: 'eta', min: 0, max: 0.3, count: 100 }, { param: 'beta', min: 0.01, max: 2, count: 100, scale: 'log' }, oneMode, 2000), refine: 4 }), detail);

if (!process.argv.includes('--skip-full')) {
  const run = () => simulateFullMatrix({ n1: 64, n2: 64, alphaP: 1, beta: 0.4, eta: 0.01, data: { kind: 'isotropic', sigma2: 0.1 }, t1: 10, samples: 11, integrator: { method: 'rk4', dt: 1e-3 } });
  const t0 = performance.now();
  const r = run();
  const ms = performance.now() - t0;
  const line = `| full-matrix flow n1 = n2 = 64, BYOL, 10⁴ RK4 steps (11 samples with eigh diagnostics) | ${ms.toFixed(0)} ms | ${r.stats.steps} steps, ${(ms / r.stats.steps).toFixed(2)} ms/step |`;
  rows.push(line);
  console.error(line);
}

console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), Node ${process.version}, one thread.\n`);
console.log('| case | time | work |\n| --- | --- | --- |');
for (const r of rows) console.log(r);
