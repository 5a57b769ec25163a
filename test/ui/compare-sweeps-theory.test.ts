// Unit tests of the compare, sweep and theory logic of the UI (src-renderer/src/lib/): run colours, mean ± std bands,
// config diff, alignment by step / epoch / wall time, the sweep grid builder and the portrait geometry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RUN_PALETTE, groupColors, hashString, runColor, withAlpha } from '../../src-renderer/src/lib/runColors.ts';
import { configDiff, differingFields, flatten } from '../../src-renderer/src/lib/diff.ts';
import { alignSeries, joinCurves, wallSeconds } from '../../src-renderer/src/lib/compare/align.ts';
import { groupBy, meanStdBand, valueAt } from '../../src-renderer/src/lib/compare/bands.ts';
import { baselineOptions, buildDefinition, draftFromDefinition, parseValues, fieldFor, splitList } from '../../src-renderer/src/lib/sweepGrid.ts';
import { flowAt, phaseLine, portraitFixedPoints, trajectory } from '../../src-renderer/src/lib/theory/portrait.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { lossScale, lossReductionOf } from '../../src-renderer/src/lib/compare/lossScale.ts';

test('run colours: a pure function of the id, in the palette, spread over it', () => {
  const ids = Array.from({ length: 600 }, (_, i) => `3f2a${i.toString(16).padStart(4, '0')}-run-${i * 7919}`);
  for (const id of ids) {
    assert.equal(runColor(id), runColor(String(id)), 'same id, same colour');
    assert.ok((RUN_PALETTE as readonly string[]).includes(runColor(id)));
  }
  // Independent of what else is selected or in which order colours are asked for.
  const forward = ids.map(runColor);
  const backward = [...ids].reverse().map(runColor).reverse();
  assert.deepEqual(forward, backward);
  // Known FNV-1a values pin the hash across engines and releases (a changed hash would recolour every run).
  assert.equal(hashString(''), 0x811c9dc5);
  assert.equal(hashString('a'), 0xe40c292c);
  // Every palette entry is used, none by more than twice its fair share.
  const counts = new Map<string, number>();
  for (const c of forward) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, RUN_PALETTE.length);
  for (const n of counts.values()) assert.ok(n < (2 * ids.length) / RUN_PALETTE.length, `uneven palette use: ${n}`);
  assert.equal(withAlpha('#1f77b4', 0.25), 'rgba(31, 119, 180, 0.25)');
  // A group's colour depends on its key only, not on the order of the key's fields.
  assert.deepEqual(groupColors([{ 'optim.lr': 0.1, 'predictor.kind': 'linear' }]), groupColors([{ 'predictor.kind': 'linear', 'optim.lr': 0.1 }]));
});

test('mean ± std band: sample std across runs, interpolation inside, no extrapolation', () => {
  const a = { x: [0, 10, 20], y: [1, 2, 3] };
  const b = { x: [0, 10, 20], y: [3, 4, 5] };
  const c = { x: [0, 5, 10], y: [2, 2, null] };
  const band = meanStdBand([a, b, c]);
  assert.deepEqual(band.x, [0, 5, 10, 20]);
  // x = 0: values 1, 3, 2 → mean 2, sample std 1.
  assert.equal(band.mean[0], 2);
  assert.ok(Math.abs(band.std[0]! - 1) < 1e-12);
  assert.equal(band.lo[0], 1);
  assert.equal(band.hi[0], 3);
  // x = 5: a and b interpolated (1.5, 3.5), c exact (2) → mean 7/3.
  assert.ok(Math.abs(band.mean[1]! - 7 / 3) < 1e-12);
  assert.equal(band.n[1], 3);
  // x = 10: c's value is missing (null), so only a and b count.
  assert.equal(band.n[2], 2);
  assert.equal(band.mean[2], 3);
  assert.ok(Math.abs(band.std[2]! - Math.SQRT2) < 1e-12);
  // x = 20: c has ended; not extrapolated.
  assert.equal(band.n[3], 2);
  assert.equal(band.mean[3], 4);
  // One run: mean only, no std, band collapses on the mean.
  const one = meanStdBand([a]);
  assert.deepEqual(one.std, [null, null, null]);
  assert.deepEqual(one.lo, one.mean);
  // Interpolation edge cases.
  assert.equal(valueAt(a, -1), null);
  assert.equal(valueAt(a, 15), 2.5);
  assert.equal(valueAt({ x: [0, 10], y: [null, 1] }, 5), null);
  // Explicit grid.
  assert.deepEqual(meanStdBand([a, b], [10]).mean, [3]);
});

test('groupBy keeps first-appearance order and groups by value', () => {
  const runs = [{ k: 'linear', id: 1 }, { k: 'directpred', id: 2 }, { k: 'linear', id: 3 }];
  const g = groupBy(runs, (r) => r.k);
  assert.deepEqual(g.map((x) => x.label), ['linear', 'directpred']);
  assert.deepEqual(g[0]!.runs.map((r) => r.id), [1, 3]);
  const n = groupBy([{ v: 0.1 }, { v: 0.1 }, { v: 1 }], (r) => r.v);
  assert.deepEqual(n.map((x) => x.label), ['0.1', '1']);
});

test('config diff: only differing leaves, arrays compared whole, by the same rule as the runs table', () => {
  const a = parseSetup({ optim: { lr: 0.03 }, predictor: { kind: 'linear' } });
  const b = parseSetup({ optim: { lr: 0.1 }, predictor: { kind: 'directpred' }, seed: 3 });
  const rows = configDiff(a, b);
  const paths = rows.map((r) => r.path);
  assert.ok(paths.includes('optim.lr'));
  assert.ok(paths.includes('predictor.kind'));
  assert.ok(paths.includes('seed'));
  // A field only one side has (DirectPred's ρ) follows from the differing kind, as in the runs table.
  assert.ok(!paths.includes('predictor.rho'));
  assert.deepEqual(paths, differingFields([a, b]), 'one rule: the pairwise diff is the runs-table rule');
  assert.ok(!paths.includes('optim.batchSize'));
  assert.deepEqual(configDiff(a, structuredClone(a)), []);
  assert.deepEqual(configDiff({ w: [1, 2] }, { w: [1, 3] }), [{ path: 'w', a: [1, 2], b: [1, 3] }]);
  assert.equal(flatten(a).get('encoder.widths') !== undefined, true);
  assert.deepEqual([...differingFields([a, b, a])].sort(), [...paths].sort(), 'across three setups = the pairwise diff here');
  assert.deepEqual(differingFields([a, a]), []);
  // Empty objects are leaves, undefined is absent.
  assert.deepEqual([...flatten({ x: {}, y: undefined, z: { w: 1 } })], [['x', {}], ['z.w', 1]]);
});

test('alignment by step, epoch and wall time', () => {
  const s = { steps: [1, 2, 3, 4], epochs: [0.25, 0.5, 0.75, 1], values: [4, 3, null, 1] };
  assert.deepEqual(alignSeries(s, 'step'), { x: [1, 2, 3, 4], y: [4, 3, null, 1] });
  assert.deepEqual(alignSeries(s, 'epoch').x, [0.25, 0.5, 0.75, 1]);
  // Throughput 32 images/s at batch 32 = 1 s per step for steps 1–2, then 64 images/s = 0.5 s per step.
  const ips = { steps: [1, 2, 3, 4], epochs: [0, 0, 0, 0], values: [32, 32, 64, 64] };
  const wall = alignSeries(s, 'wall', { batchSize: 32, imagesPerSec: ips });
  assert.deepEqual(wall.x, [1, 2, 2.5, 3]);
  // Throughput logged only every other step covers the steps since the previous point.
  const sparse = { steps: [2, 4], epochs: [0, 0], values: [32, 64] };
  assert.deepEqual(wallSeconds([1, 2, 3, 4], { batchSize: 32, imagesPerSec: sparse }), [1, 2, 2.5, 3]);
  // Without throughput: the run's start–end interval spread evenly over its steps.
  assert.deepEqual(wallSeconds([2, 4], { batchSize: 32, startedAt: 1000, endedAt: 9000, lastStep: 4 }), [4, 8]);
  // Nothing known: points dropped rather than placed at a made-up time.
  assert.deepEqual(alignSeries(s, 'wall', { batchSize: 32 }).x, []);
  // Two runs on one x: nulls where a run has no point.
  const j = joinCurves([{ x: [1, 3], y: [1, 3] }, { x: [2, 3], y: [20, 30] }]);
  assert.deepEqual(j, { x: [1, 2, 3], ys: [[1, null, 3], [null, 20, 30]] });
});

test('sweep grid: typed values, every bad token named, definition and count', () => {
  assert.deepEqual(splitList('[0.2, 1], [0.5, 1]'), ['[0.2, 1]', '[0.5, 1]']);
  assert.deepEqual(parseValues(fieldFor('optim.lr'), '0.01, 0.1').values, [0.01, 0.1]);
  assert.deepEqual(parseValues(fieldFor('stopGradient'), 'true,false').values, [true, false]);
  const bad = parseValues(fieldFor('predictor.kind'), 'linear, directpredd');
  assert.equal(bad.issues.length, 1);
  assert.match(bad.issues[0]!.message, /value 2 'directpredd': must be one of/);
  assert.match(parseValues(fieldFor('optim.batchSize'), '32, 4.5').issues[0]!.message, /whole number/);
  assert.match(parseValues(fieldFor('optim.lr'), '0.1, 0.1').issues[0]!.message, /listed twice/);
  assert.deepEqual(parseValues(fieldFor('augment.cropScale'), '[0.2, 1], [0.5, 1]').values, [[0.2, 1], [0.5, 1]]);
  const base = { optim: { maxSteps: 8 } };
  const ok = buildDefinition({ name: ' grid ', base, axes: [{ path: 'predictor.kind', text: 'linear, directpred' }, { path: 'optim.lr', text: '0.01,0.03' }], seeds: 2, concurrency: 1 });
  assert.deepEqual(ok.issues, []);
  assert.equal(ok.count, 8);
  assert.deepEqual(ok.definition, { name: 'grid', base, axes: { 'predictor.kind': ['linear', 'directpred'], 'optim.lr': [0.01, 0.03] }, seeds: 2, concurrency: 1 });
  const wrong = buildDefinition({ name: '', base, axes: [{ path: 'optim..lr', text: '1' }, { path: 'seed', text: '1' }, { path: 'seed', text: '2' }], seeds: 0, concurrency: 1 });
  assert.equal(wrong.definition, null);
  assert.deepEqual(wrong.issues.map((i) => i.path), ['optim..lr', 'seed', 'seeds']);
  // Re-opening a stored sweep gives back the same definition.
  const again = buildDefinition(draftFromDefinition(ok.definition));
  assert.deepEqual(again.definition, ok.definition);
  const listAxes = draftFromDefinition({ axes: [{ path: 'loss', values: ['mse'] }], seeds: [0, 1, 2] });
  assert.deepEqual(listAxes.axes, [{ path: 'loss', text: 'mse' }]);
  assert.equal(listAxes.seeds, 3);
});

test('sweep grid: the baseline and margin are part of the definition the builder sends, and "Edit as new sweep" keeps them', () => {
  const base = { optim: { maxSteps: 8 } };
  const axes = [{ path: 'predictor.kind', text: 'none, linear' }, { path: 'optim.lr', text: '0.01, 0.1' }];
  assert.deepEqual(baselineOptions({ 'predictor.kind': ['none', 'linear'], 'optim.lr': [0.1] }).map((o) => [o.path, o.value, o.label]), [
    ['predictor.kind', '"none"', 'predictor.kind = none'],
    ['predictor.kind', '"linear"', 'predictor.kind = linear'],
    ['optim.lr', '0.1', 'optim.lr = 0.1'],
  ]);
  assert.equal(baselineOptions({ 'optim.lr': [0.1, 0.1] }).length, 1, 'a value typed twice is offered once');
  const draft = { name: 'g', base, axes, seeds: 3, concurrency: 1, baseline: { path: 'optim.lr', value: '0.1', metric: 'collapseStd', margin: ' 0.05 ' } };
  const built = buildDefinition(draft);
  assert.deepEqual(built.issues, []);
  assert.deepEqual(built.definition!.baseline, { path: 'optim.lr', value: 0.1, metric: 'collapseStd', margin: 0.05 });
  // Empty margin: the seed noise (no margin stored).
  assert.deepEqual(buildDefinition({ ...draft, baseline: { ...draft.baseline, margin: '' } }).definition!.baseline, { path: 'optim.lr', value: 0.1, metric: 'collapseStd' });
  // Reopened (the stored definition as the archive gives it back) and built again: the same definition.
  const stored = { ...built.definition!, executor: { kind: 'local' } };
  const again = draftFromDefinition(stored);
  assert.deepEqual(again.baseline, { path: 'optim.lr', value: '0.1', metric: 'collapseStd', margin: '0.05' });
  assert.equal(again.baselineProblem, null);
  assert.deepEqual(buildDefinition(again).definition, built.definition);
  // A baseline the grid no longer holds, a bad margin or metric: named, nothing to start.
  const gone = buildDefinition({ ...draft, axes: [axes[0]!, { path: 'optim.lr', text: '0.01, 0.3' }] });
  assert.equal(gone.definition, null);
  assert.deepEqual(gone.issues, [{ path: 'baseline', message: '0.1 is no longer a value of optim.lr; pick the baseline again' }]);
  assert.match(buildDefinition({ ...draft, baseline: { ...draft.baseline, margin: '-1' } }).issues[0]!.message, /margin must be a number ≥ 0/);
  assert.equal(buildDefinition({ ...draft, baseline: { ...draft.baseline, metric: '__proto__' } }).issues[0]!.path, 'baseline.metric');
  // A stored baseline that fails the check again is left out of the builder and named.
  const hostile = draftFromDefinition({ ...stored, baseline: { path: 'optim.lr', value: 0.1, margin: -3 } });
  assert.equal(hostile.baseline, null);
  assert.match(hostile.baselineProblem ?? '', /baseline\.margin/);
  assert.deepEqual(buildDefinition(hostile).definition!.baseline, undefined);
});

test('portrait: fixed points vanish past η = τ²/(4(1+σ²)), flow is zero at them, trajectories reach them', () => {
  const q = { tau: 1, sigma2: 0.5, eta: 0.01, alphaP: 1, beta: 0.4 };
  const fp = portraitFixedPoints(q);
  assert.equal(fp.points.length, 3);
  for (const pt of fp.points) {
    const [dp, ds] = flowAt(q, pt.p, pt.s);
    assert.ok(Math.abs(dp) < 1e-12 && Math.abs(ds) < 1e-12, `flow at ${pt.label} is (${dp}, ${ds})`);
  }
  // Paper §3.2 example: τ = 1, σ² = 0.5, η = 0.01 → (p*₋, p*₊) ≈ (0.0102, 0.657).
  assert.ok(Math.abs(fp.points[1]!.p - 0.0102) < 1e-3);
  assert.ok(Math.abs(fp.points[2]!.p - 0.657) < 1e-3);
  assert.deepEqual(fp.points.map((p) => p.stable), [true, false, true]);
  const past = portraitFixedPoints({ ...q, eta: fp.etaThreshold * 1.01 });
  assert.equal(past.collapseCertain, true);
  assert.equal(past.points.length, 1);
  const zero = portraitFixedPoints({ ...q, eta: 0 });
  assert.ok(Math.abs(zero.line! - 1 / 1.5) < 1e-12);
  // A mode on the invariant parabola above p*₋ converges to p*₊.
  const tr = trajectory(q, 0.3, 0.09, 400, 0.05, { p: [-0.5, 1.5], s: [0, 2] });
  const [pEnd, sEnd] = tr[tr.length - 1]!;
  assert.ok(Math.abs(pEnd - fp.points[2]!.p) < 1e-3 && Math.abs(sEnd - fp.points[2]!.s) < 1e-3);
  // Phase line: ṗ changes sign at the fixed points.
  const line = phaseLine(q, [0.2, 1]);
  const i = line.p.findIndex((p) => p > fp.points[2]!.p);
  assert.ok(line.pDot[i - 1]! > 0 && line.pDot[i]! < 0);
});

test('linear-model bridge: applies only to a linear predictor; a stationary spectrum stays put', async () => {
  const { bridgeNotApplicable, bridgePrediction, mapSetup } = await import('../../src-renderer/src/lib/theory/bridge.ts');
  const setup = { method: 'byol', emaMomentum: 0.996, lossReduction: 'mean', predictor: { kind: 'linear' }, optim: { lr: 0.03, momentum: 0.9, weightDecay: 4e-4, predictorLrRatio: 1 } };
  const m = mapSetup(setup);
  assert.ok(Math.abs(m.eta - 4e-4 / 0.03) < 1e-12);
  assert.ok(Math.abs(m.beta - 0.004 / 0.03) < 1e-12);
  assert.ok(Math.abs(m.dtPerStep - 0.3) < 1e-12);
  assert.equal(m.tau0, 1, 'the target starts as a copy');
  // The summed loss (the default) has twice the gradient: twice the flow time per step; a random target starts at τ = 0.
  const official = mapSetup({ ...setup, lossReduction: 'sum', targetInit: 'random' });
  assert.ok(Math.abs(official.dtPerStep - 0.6) < 1e-12);
  assert.equal(official.tau0, 0);
  assert.match(bridgeNotApplicable({ setup: { ...setup, predictor: { kind: 'directpred' } }, spectra: [] })!, /directpred/);
  // Modes at the stable fixed point p*₊, s = p²/α_p with τ = 1 (τ(0) = 1 and τ stays 1 there) do not move.
  const lambda = 1, eta = m.eta;
  const pPlus = (1 + Math.sqrt(1 - 4 * eta * lambda)) / 2;
  const spectra = [0, 10, 20].map((step) => ({ step, fEig: [pPlus * pPlus], wpEig: [pPlus] }));
  const r = bridgePrediction({ setup, spectra }, 0, 4);
  assert.equal(r.predicted.length, 1);
  for (const v of r.predicted[0]!) assert.ok(Math.abs(v - pPlus * pPlus) < 1e-6, `moved to ${v}`);
  assert.deepEqual(r.steps, [0, 10, 20]);
});

test('compare lines: one per run in its own colour; grouped → mean with ± std per group', async () => {
  const { compareLines } = await import('../../src-renderer/src/lib/compare/compareSeries.ts');
  const mk = (id: string, kind: string, vals: number[]) => ({
    id,
    label: id,
    setup: { predictor: { kind } },
    series: { steps: vals.map((_, i) => i + 1), epochs: vals.map((_, i) => (i + 1) / 4), values: vals },
    wall: { batchSize: 32 },
  });
  const runs = [mk('r1', 'linear', [1, 2]), mk('r2', 'linear', [3, 4]), mk('r3', 'directpred', [5, 5])];
  const plain = compareLines(runs, 'step', '');
  assert.deepEqual(plain.map((l) => l.color), ['r1', 'r2', 'r3'].map(runColor));
  const grouped = compareLines(runs, 'epoch', 'predictor.kind');
  assert.deepEqual(grouped.map((l) => l.label), ['predictor.kind = linear (n=2)', 'predictor.kind = linear +std', 'predictor.kind = linear −std', 'predictor.kind = directpred (n=1)']);
  assert.deepEqual(grouped[0]!.x, [0.25, 0.5]);
  assert.deepEqual(grouped[0]!.y, [2, 3]);
  assert.ok(Math.abs(grouped[1]!.y[0]! - (2 + Math.SQRT2)) < 1e-12);
  assert.equal(grouped[1]!.faint, true);
  assert.equal(grouped[1]!.fillTo, grouped[2]!.label, 'the +std line fills down to the −std line: a band');
  assert.equal(grouped[0]!.color, grouped[1]!.color);
  assert.equal(grouped[0]!.color, groupColors([{ 'predictor.kind': 'linear' }, { 'predictor.kind': 'directpred' }])[0], 'same colour as the sweep table gives the group');
});

test('theory presets map onto the playground: Fig. 3/4 sliders, Fig. 5 modes, the η × α_p diagram', async () => {
  const { PRESETS } = await import('../../src-main/theory/presets.ts');
  const { playgroundPresets } = await import('../../src-renderer/src/lib/theory/presets.ts');
  const groups = playgroundPresets(PRESETS);
  const item = (id: string) => groups.flatMap((g) => g.items).find((i) => i.id === id)!;
  assert.deepEqual(item('fig3-eta0.01#0').params, { tau: 1, eta: 0.01, sigma2: 0, alphaP: 1 });
  assert.equal(item('fig4c#0').params.eta, 0.3);
  // One row per figure: Fig. 3's three presets share a row.
  assert.deepEqual(groups.find((g) => g.figure === 'Fig. 3')!.items.map((i) => i.label), ['η = 0', 'η = 0.01', 'η = 1']);
  assert.equal(new Set(groups.map((g) => g.figure)).size, groups.length);
  const wd = groups.find((g) => g.name === 'fig5-wd')!;
  assert.equal(wd.items.length, 5);
  assert.equal(wd.items[2]!.params.eta, 0.04);
  assert.equal(wd.items[2]!.params.beta, 0.4);
  assert.equal(wd.items[2]!.modes!.target, 'ema');
  assert.equal(wd.items[2]!.modes!.p0.length, wd.items[2]!.modes!.s0.length);
  assert.equal(groups.find((g) => g.name === 'fig5-ema')!.items.at(-1)!.modes!.target, 'simsiam');
  assert.deepEqual(item('diagram-eta-alphap#0').diagram, { x: 'eta', y: 'alphaP', target: 'ema' });
  // Kinds without slider equivalents are left out rather than half-applied.
  assert.ok(!groups.some((g) => /Fig\. (7|8|9|10)/.test(g.figure)));
});

test('final-value bars for metrics measured once per run', async () => {
  const { finalBars, measuredOncePerRun } = await import('../../src-renderer/src/lib/compare/compareSeries.ts');
  const mk = (id: string, kind: string, v: number | null) => ({ id, label: id, setup: { predictor: { kind } }, series: { steps: [8], epochs: [1], values: [v] }, wall: { batchSize: 32 } });
  const runs = [mk('a', 'linear', 0.5), mk('b', 'linear', 0.7), mk('c', 'directpred', 0.6), mk('d', 'directpred', null)];
  assert.equal(measuredOncePerRun(runs), true);
  // A random-init evaluation at step 0 beside the final one is still one trained value per run;
  // a second evaluation during training makes it a curve.
  const withInit = (steps: number[]) => [{ ...mk('e', 'linear', 0.5), series: { steps, epochs: steps.map((s) => s / 8), values: steps.map((_, i) => 0.25 + 0.1 * i) } }];
  assert.equal(measuredOncePerRun(withInit([0, 8])), true);
  assert.equal(measuredOncePerRun(withInit([0, 4, 8])), false);
  const bars = finalBars(runs, 'predictor.kind');
  assert.deepEqual(bars.map((b) => [b.label, b.n]), [['predictor.kind = linear', 2], ['predictor.kind = directpred', 1]]);
  assert.ok(Math.abs(bars[0]!.mean! - 0.6) < 1e-12 && Math.abs(bars[0]!.std! - Math.sqrt(0.02)) < 1e-12);
  assert.equal(bars[1]!.std, null);
  assert.deepEqual(finalBars(runs, '').map((b) => b.mean), [0.5, 0.7, 0.6, null]);
});

test('compare loss scale: v1 (mean, 0–4) runs beside v2 (sum, 0–8) ones are shown ×2 with a note; one reduction is labelled as logged', () => {
  const v1 = { id: 'a1', label: 'old run', setup: { version: 1, seed: 0 } };
  const v2 = { id: 'b2', label: 'new run', setup: parseSetup({}) };
  assert.equal(lossReductionOf(v1.setup), 'mean');
  assert.equal(lossReductionOf(v2.setup), 'sum');
  assert.equal(lossReductionOf({ version: 2, lossReduction: 'mean' }), 'mean');
  const mixed = lossScale([v1, v2]);
  assert.equal(mixed.factors.get('a1'), 2);
  assert.equal(mixed.factors.get('b2'), 1);
  assert.equal(mixed.label, '2 − 2cos, two terms summed: 0–8');
  assert.match(mixed.note!, /1 of 2 runs averaged/);
  assert.match(mixed.note!, /×2: old run\.$/);
  // Runs sharing a reduction: as logged, on their own scale, nothing to note.
  const old = lossScale([v1, { ...v1, id: 'a2' }]);
  assert.deepEqual([...old.factors.values()], [1, 1]);
  assert.equal(old.label, '2 − 2cos, mean of two terms: 0–4');
  assert.equal(old.note, null);
  assert.equal(lossScale([v2]).label, '2 − 2cos, two terms summed: 0–8');
  assert.equal(lossScale([]).note, null);
  // Different losses do not compare, whatever the scale.
  const kinds = lossScale([v2, { id: 'c3', setup: parseSetup({ loss: 'mse' }) }]);
  assert.match(kinds.note!, /different losses/);
  assert.deepEqual([...kinds.factors.values()], [1, 1]);
});
