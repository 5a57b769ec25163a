import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapseDiagram, simulateModes, fixedPoints, lowDimFlow, TheoryParamsError } from '../../src-main/theory/index.ts';

test('collapse diagram: each cell agrees with simulateModes on the same modes', () => {
  const d = collapseDiagram({ base: { target: 'ema', alphaP: 1, beta: 0.4, eta: 0.01, sigma2: 0, tau0: 0 }, x: { param: 'eta', min: 0, max: 0.3, count: 5 }, y: { param: 'sigma2', min: 0, max: 1, count: 3 }, initial: { kind: 'grid', p: [-0.3, 0.6], s: [0.001, 0.1], countP: 4, countS: 2 }, t1: 100, steps: 5000, earlyExit: false });
  const p0: number[] = [], s0: number[] = [];
  for (let i = 0; i < 4; i++) for (let k = 0; k < 2; k++) {
    p0.push(-0.3 + ((i + 0.5) / 4) * 0.9);
    s0.push(0.001 + ((k + 0.5) / 2) * 0.099);
  }
  const distinct = new Set<number>();
  d.y.forEach((sigma2, iy) => d.x.forEach((eta, ix) => {
    const r = simulateModes({ target: 'ema', alphaP: 1, beta: 0.4, eta, sigma2, tau0: 0, modes: { p0, s0 }, t1: 100, samples: 2, integrator: { method: 'rk4', dt: 100 / 5000 } });
    const frac = r.final.collapsed.filter(Boolean).length / p0.length;
    assert.ok(Math.abs(frac - d.fraction[iy]![ix]!) < 1e-12, `cell (η ${eta}, σ² ${sigma2}): ${d.fraction[iy]![ix]} vs ${frac}`);
    distinct.add(frac);
  }));
  assert.ok(distinct.size >= 3, 'the grid spans different fates');
});

test('collapse diagram: α_p sharing and early exit do not change the answer', () => {
  const common = { base: { target: 'ema' as const, alphaP: 1, beta: 0.4, eta: 0.01, sigma2: 0.1, tau0: 0 }, x: { param: 'eta' as const, min: 0, max: 0.3, count: 12 }, y: { param: 'alphaP' as const, min: 0.2, max: 5, count: 6, scale: 'log' as const }, t1: 150, steps: 3000 };
  for (const initial of [{ kind: 'parabola' as const, p: [0, 0.6] as [number, number], count: 12, c: 0 }, { kind: 'grid' as const, p: [-0.3, 0.6] as [number, number], s: [0.001, 0.1] as [number, number], countP: 4, countS: 3 }]) {
    const fast = collapseDiagram({ ...common, initial, earlyExit: true });
    const slow = collapseDiagram({ ...common, initial, earlyExit: false });
    assert.deepEqual(fast.fraction, slow.fraction);
    if (initial.kind === 'parabola') {
      // On the invariant parabola α_p cancels (Eq. 16): one trajectory per (η, mode) serves every α_p.
      assert.equal(slow.stats.trajectories, 12 * 12);
      assert.equal(slow.stats.sharedTrajectories, 12 * 12 * 5);
      // and the answer equals computing each α_p row on its own.
      const row = collapseDiagram({ ...common, y: { param: 'beta', min: 0.4, max: 0.4, count: 1 }, base: { ...common.base, alphaP: slow.y[3]! }, initial, earlyExit: false });
      assert.deepEqual(row.fraction[0], slow.fraction[3]);
    } else {
      assert.ok(fast.stats.rk4Steps < slow.stats.rk4Steps, 'early exit saves steps');
    }
  }
});

test('collapse diagram: early exit agrees with full-length integration over (η, β) and (η, σ²) too', () => {
  for (const y of [{ param: 'beta' as const, min: 0.01, max: 2, count: 12, scale: 'log' as const }, { param: 'sigma2' as const, min: 0, max: 2, count: 12 }]) {
    const common = { base: { target: 'ema' as const, alphaP: 1, beta: 0.4, eta: 0.01, sigma2: 0, tau0: 0 }, x: { param: 'eta' as const, min: 0, max: 0.3, count: 15 }, y, initial: { kind: 'grid' as const, p: [-0.2, 0.6] as [number, number], s: [0.001, 0.5] as [number, number], countP: 3, countS: 3 }, t1: 200, steps: 4000 };
    const fast = collapseDiagram({ ...common, earlyExit: true });
    const slow = collapseDiagram({ ...common, earlyExit: false });
    assert.deepEqual(fast.fraction, slow.fraction, `axis ${y.param}`);
    assert.ok(fast.stats.rk4Steps < 0.7 * slow.stats.rk4Steps, `early exit saved little: ${fast.stats.rk4Steps} vs ${slow.stats.rk4Steps}`);
  }
});

test('collapse diagram: beyond the η threshold every cell is fully collapsed', () => {
  const d = collapseDiagram({ base: { target: 'simsiam', alphaP: 1, beta: 0, eta: 0, sigma2: 0, tau0: 1 }, x: { param: 'eta', min: 0.26, max: 0.5, count: 4 }, y: { param: 'alphaP', min: 0.5, max: 4, count: 3 }, initial: { kind: 'grid', p: [-0.5, 1.5], s: [0.01, 2], countP: 5, countS: 4 }, t1: 600, steps: 30000 });
  assert.ok(fixedPoints({ tau: 1, sigma2: 0, eta: 0.26 }).collapseCertain);
  for (const row of d.fraction) for (const f of row) assert.equal(f, 1);
  assert.equal(d.divergedCells, 0);
});

test('collapse diagram and low-dim flows: bad parameters and fixed points', () => {
  assert.throws(() => collapseDiagram({ x: { param: 'eta', min: 0, max: 1 }, y: { param: 'eta', min: 0, max: 1 } }), (e: unknown) => e instanceof TheoryParamsError && /same parameter/.test((e as Error).message));
  assert.throws(() => collapseDiagram({ x: { param: 'eta', min: -1, max: 1 }, y: { param: 'beta', min: 0, max: 1 } }), /x\.min/);
  assert.throws(() => collapseDiagram({ x: { param: 'eta', min: 0, max: 1, scale: 'log' }, y: { param: 'beta', min: 0, max: 1 } }), /log axis/);
  const tied = lowDimFlow({ variant: 'tied' });
  assert.deepEqual(tied.fixedPoints.map((f) => f.stability), ['marginal', 'stable']);
  const np = lowDimFlow({ variant: 'no-predictor' });
  assert.deepEqual(np.fixedPoints.map((f) => f.stability), ['stable']);
  // Every no-predictor trajectory heads to the origin (λ_d < λ_s).
  for (const tr of np.trajectories) assert.ok(Math.hypot(tr.x.at(-1)!, tr.y.at(-1)!) < 1e-2 * Math.max(1e-9, Math.hypot(tr.x[0]!, tr.y[0]!)) + 1e-6);
});

test('collapse diagram: block refinement reproduces the exact diagram with fewer cells', () => {
  const common = { base: { target: 'ema' as const, alphaP: 1, beta: 0.4, eta: 0.01, sigma2: 0, tau0: 0 }, x: { param: 'eta' as const, min: 0, max: 0.3, count: 41 }, y: { param: 'beta' as const, min: 0.01, max: 2, count: 41, scale: 'log' as const }, initial: { kind: 'pairs' as const, p0: [0.1], s0: [0.01] }, t1: 200, steps: 2000 };
  const exact = collapseDiagram(common);
  const fast = collapseDiagram({ ...common, refine: 4 });
  assert.equal(exact.stats.cellsComputed, 41 * 41);
  assert.ok(fast.stats.cellsComputed < 0.6 * exact.stats.cellsComputed, `computed ${fast.stats.cellsComputed} cells`);
  let differ = 0, collapsed = 0;
  exact.fraction.forEach((row, iy) => row.forEach((v, ix) => {
    if (v !== fast.fraction[iy]![ix]) differ++;
    collapsed += v;
  }));
  assert.ok(collapsed > 100 && collapsed < 41 * 41 - 100, 'the diagram has both phases');
  assert.ok(differ <= 0.01 * 41 * 41, `${differ} cells differ`);
});
