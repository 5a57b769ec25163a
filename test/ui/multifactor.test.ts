// Unit tests of multi-factor results (issue 23): metric ranges in the registry and ± std clamped to
// them, grouping by several setup fields at once (Compare), colour × line style (dash) and colour ×
// panel of Compare's lines with a legend that names both fields, colour × panel × cluster layout of bars
// (Sweeps, Compare) and the bar labels' layout from measured widths (no overprinting).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { METRICS, metricRange } from '../../src-main/common/metrics.ts';
import { clampedInterval, clampTo, displayRange } from '../../src-renderer/src/lib/compare/range.ts';
import { meanStdBand } from '../../src-renderer/src/lib/compare/bands.ts';
import { compareFacets, compareLines, DASHES, finalStats, groupByFields, lineLegend, swatchColors, validDashBy, withGroupField, withLineRole, type CompareRun } from '../../src-renderer/src/lib/compare/compareSeries.ts';
import { layoutFactorBars, type FactorStat } from '../../src-renderer/src/lib/factorBars.ts';
import { commonPrefix, layoutLabels, truncateMiddle, truncateToWidth, type Measure } from '../../src-renderer/src/lib/labelLayout.ts';
import { groupColors } from '../../src-renderer/src/lib/runColors.ts';
import { SeededRandom } from '../../src-main/math/random.ts';

test('every registry metric names its range; summary names and unknown names resolve safely', () => {
  for (const m of Object.values(METRICS)) {
    assert.ok(m.range && 'min' in m.range && 'max' in m.range, `${m.name} has a range`);
    if (m.range.min !== null && m.range.max !== null) assert.ok(m.range.min < m.range.max, m.name);
  }
  assert.deepEqual(metricRange('collapseStd'), { min: 0, max: null });
  assert.deepEqual(metricRange('effectiveRank'), { min: 0, max: null });
  assert.deepEqual(metricRange('probeAcc'), { min: 0, max: 1 });
  assert.deepEqual(metricRange('knnAcc'), { min: 0, max: 1 });
  assert.deepEqual(metricRange('finalLoss'), metricRange('loss'), 'the summary name of the last loss');
  for (const name of ['noSuchMetric', '__proto__', 'constructor', 'toString']) assert.deepEqual(metricRange(name), { min: null, max: null }, name);
  assert.deepEqual(displayRange('probeAcc'), { min: 0, max: 100 }, 'accuracies are shown in %');
  assert.deepEqual(displayRange('collapseStd'), { min: 0, max: null });
});

test('± std intervals and bands are clamped to the metric range, the mean and std are not', () => {
  assert.equal(clampTo(-0.2, { min: 0, max: null }), 0);
  assert.equal(clampTo(1.3, { min: 0, max: 1 }), 1);
  assert.equal(clampTo(0.4, { min: 0, max: 1 }), 0.4);
  assert.equal(clampTo(null, { min: 0, max: 1 }), null);
  assert.deepEqual(clampedInterval(0.1, 0.3, { min: 0, max: null }), { lo: 0, hi: 0.4 });
  assert.deepEqual(clampedInterval(0.95, 0.1, { min: 0, max: 1 }), { lo: 0.85, hi: 1 });
  assert.deepEqual(clampedInterval(0.5, null, { min: 0, max: 1 }), { lo: 0.5, hi: 0.5 });
  // Collapse std of two seeds, one collapsed (0.02) and one not (0.9): mean − std is below 0.
  const a = { x: [1, 2], y: [0.02, 0.02] };
  const b = { x: [1, 2], y: [0.9, 0.9] };
  const raw = meanStdBand([a, b]);
  assert.ok(raw.lo[0]! < 0, 'unclamped, the band goes below 0');
  const band = meanStdBand([a, b], undefined, metricRange('collapseStd'));
  assert.deepEqual(band.lo, [0, 0]);
  assert.ok(Math.abs(band.mean[0]! - 0.46) < 1e-12 && Math.abs(band.std[0]! - raw.std[0]!) < 1e-12, `mean ${band.mean[0]}, std ${band.std[0]}`);
  assert.ok(Math.abs(band.hi[0]! - raw.hi[0]!) < 1e-12, `hi ${band.hi[0]} vs ${raw.hi[0]}`);
  // Accuracies: the top end stops at 1.
  const acc = meanStdBand([{ x: [1], y: [0.99] }, { x: [1], y: [0.6] }], undefined, metricRange('probeAcc'));
  assert.equal(acc.hi[0], 1);
});

/** Runs of a predictor.kind × optim.weightDecay sweep, 2 seeds each; collapse std per (kind, wd). */
function sweepRuns(): CompareRun[] {
  const value: Record<string, number> = { 'none|0': 0.05, 'none|0.004': 0.02, 'directpred|0': 0.8, 'directpred|0.004': 0.9 };
  const runs: CompareRun[] = [];
  for (const kind of ['none', 'directpred']) {
    for (const wd of [0, 0.004]) {
      for (const seed of [0, 1]) {
        const v = value[`${kind}|${wd}`]! + (seed ? 0.04 : -0.04);
        runs.push({
          id: `${kind}-${wd}-${seed}`,
          label: `${kind} wd=${wd} seed=${seed}`,
          setup: { seed, predictor: { kind }, optim: { weightDecay: wd } },
          series: { steps: [4, 8], epochs: [0.5, 1], values: [v, v] },
          wall: { batchSize: 32 },
        });
      }
    }
  }
  return runs;
}

test('grouping by two fields keeps the combinations apart (one field averages none with DirectPred)', () => {
  const runs = sweepRuns();
  const byWd = compareLines(runs, 'step', 'optim.weightDecay').filter((l) => !l.faint);
  assert.equal(byWd.length, 2);
  assert.ok(Math.abs(byWd[0]!.y[1]! - (0.05 + 0.8) / 2) < 1e-12, 'one field: none and DirectPred in one mean');
  const both = compareLines(runs, 'step', ['predictor.kind', 'optim.weightDecay'], { range: metricRange('collapseStd') });
  const means = both.filter((l) => !l.faint);
  assert.deepEqual(means.map((l) => l.label), [
    'predictor.kind = none, optim.weightDecay = 0 (n=2)',
    'predictor.kind = none, optim.weightDecay = 0.004 (n=2)',
    'predictor.kind = directpred, optim.weightDecay = 0 (n=2)',
    'predictor.kind = directpred, optim.weightDecay = 0.004 (n=2)',
  ]);
  assert.deepEqual(means.map((l) => Number(l.y[1]!.toFixed(6))), [0.05, 0.02, 0.8, 0.9]);
  // none at wd 0.004: 0.02 ± 0.057 would reach below 0; the band stops at 0.
  const lo = both.find((l) => l.label === 'predictor.kind = none, optim.weightDecay = 0.004 −std')!;
  assert.deepEqual(lo.y, [0, 0]);
  const groups = groupByFields(runs, ['predictor.kind', 'optim.weightDecay']);
  assert.deepEqual(groups[0]!.key, { 'predictor.kind': 'none', 'optim.weightDecay': 0 });
  assert.equal(groupByFields(runs, []).length, 1, 'no fields: one group of everything');
  // A hostile field path reads nothing and pollutes nothing.
  const odd = groupByFields(runs, ['__proto__', 'constructor.prototype']);
  assert.equal(odd.length, 1);
  assert.equal(Object.getPrototypeOf(odd[0]!.key), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('panels by one field: one per value, colours by the other field and the same in every panel', () => {
  const runs = sweepRuns();
  const panels = compareFacets(runs, 'step', ['predictor.kind', 'optim.weightDecay'], 'optim.weightDecay', metricRange('collapseStd'));
  assert.deepEqual(panels.map((p) => p.label), ['weightDecay = 0', 'weightDecay = 0.004']);
  const kindColors = groupColors([{ 'predictor.kind': 'none' }, { 'predictor.kind': 'directpred' }]);
  for (const p of panels) {
    const means = p.lines.filter((l) => !l.faint);
    assert.deepEqual(means.map((l) => l.label), ['predictor.kind = none (n=2)', 'predictor.kind = directpred (n=2)']);
    assert.deepEqual(means.map((l) => l.color), kindColors, 'colour = predictor kind, as the sweep table gives it');
  }
  // Table swatches follow the panels' colours: the kind only.
  const sw = swatchColors(runs.map((r) => ({ id: r.id, setup: r.setup })), ['predictor.kind', 'optim.weightDecay'], 'optim.weightDecay');
  assert.equal(sw.get('none-0-0'), sw.get('none-0.004-1'));
  assert.notEqual(sw.get('none-0-0'), sw.get('directpred-0-0'));
  // Not one of the group fields: one panel with every group.
  assert.equal(compareFacets(runs, 'step', ['predictor.kind'], 'optim.weightDecay').length, 1);
  const stats = finalStats(runs, ['predictor.kind', 'optim.weightDecay']);
  assert.deepEqual(stats.map((s) => [s.key['predictor.kind'], s.key['optim.weightDecay'], s.n]), [['none', 0, 2], ['none', 0.004, 2], ['directpred', 0, 2], ['directpred', 0.004, 2]]);
});

test('choosing group fields: add, move, remove; the second field becomes the panel field', () => {
  let s = withGroupField([], '', 0, 'predictor.kind');
  assert.deepEqual(s, { groupBy: ['predictor.kind'], facetBy: '' });
  s = withGroupField(s.groupBy, s.facetBy, 1, 'optim.weightDecay');
  assert.deepEqual(s, { groupBy: ['predictor.kind', 'optim.weightDecay'], facetBy: 'optim.weightDecay' });
  // A panel field the user picked stays while it is still a group field.
  s = withGroupField(s.groupBy, 'predictor.kind', 2, 'seed');
  assert.deepEqual(s, { groupBy: ['predictor.kind', 'optim.weightDecay', 'seed'], facetBy: 'predictor.kind' });
  // Choosing a field already taken later moves it; clearing one drops it and every later one.
  assert.deepEqual(withGroupField(['a', 'b', 'c'], 'c', 0, 'c').groupBy, ['c', 'b']);
  assert.deepEqual(withGroupField(['a', 'b', 'c'], 'c', 1, ''), { groupBy: ['a'], facetBy: '' });
});

test('line style by one field, colour by the other: two colours and two dashes for four groups, the same in panels', () => {
  const runs = sweepRuns();
  const fields = ['predictor.kind', 'optim.weightDecay'];
  const lines = compareLines(runs, 'step', fields, { range: metricRange('collapseStd'), dashBy: 'optim.weightDecay' });
  const means = lines.filter((l) => !l.faint);
  assert.equal(means.length, 4);
  const kindColors = groupColors([{ 'predictor.kind': 'none' }, { 'predictor.kind': 'directpred' }]);
  // In group order: none·0, none·0.004, directpred·0, directpred·0.004.
  assert.deepEqual(means.map((l) => l.color), [kindColors[0], kindColors[0], kindColors[1], kindColors[1]], 'colour = predictor kind only');
  assert.deepEqual(means.map((l) => l.dash), [DASHES[0], DASHES[1], DASHES[0], DASHES[1]], 'dash = weight decay (sorted values: 0 solid, 0.004 dashed)');
  assert.notDeepEqual(DASHES[0], DASHES[1]);
  assert.ok(lines.filter((l) => l.faint).every((l) => l.dash === undefined), 'the ± std band lines stay plain');
  // The labels still name every field (the hover and CSV say which group a line is).
  assert.equal(means[1]!.label, 'predictor.kind = none, optim.weightDecay = 0.004 (n=2)');
  // Without a line-style field nothing is dashed and each combination has its own colour (as before).
  const plain = compareLines(runs, 'step', fields).filter((l) => !l.faint);
  assert.ok(plain.every((l) => l.dash === undefined));
  assert.equal(new Set(plain.map((l) => l.color)).size, 4);
  // A line-style field that is not a group field dashes nothing.
  assert.ok(compareLines(runs, 'step', ['predictor.kind'], { dashBy: 'optim.weightDecay' }).every((l) => l.dash === undefined));
  // Three fields: panels by seed, dash by weight decay, colour by kind; a dash means one weight decay in every panel.
  const three = [...fields, 'seed'];
  const panels = compareFacets(runs, 'step', three, 'seed', undefined, 'optim.weightDecay');
  assert.deepEqual(panels.map((p) => p.label), ['seed = 0', 'seed = 1']);
  for (const p of panels) {
    const m = p.lines.filter((l) => !l.faint);
    assert.deepEqual(m.map((l) => l.label), ['predictor.kind = none, optim.weightDecay = 0 (n=1)', 'predictor.kind = none, optim.weightDecay = 0.004 (n=1)', 'predictor.kind = directpred, optim.weightDecay = 0 (n=1)', 'predictor.kind = directpred, optim.weightDecay = 0.004 (n=1)']);
    assert.deepEqual(m.map((l) => l.dash), [DASHES[0], DASHES[1], DASHES[0], DASHES[1]]);
    assert.deepEqual(m.map((l) => l.color), [kindColors[0], kindColors[0], kindColors[1], kindColors[1]]);
  }
  // Table swatches follow the colour field only.
  const sw = swatchColors(runs.map((r) => ({ id: r.id, setup: r.setup })), fields, '', 'optim.weightDecay');
  assert.equal(sw.get('none-0-0'), sw.get('none-0.004-1'));
  assert.notEqual(sw.get('none-0-0'), sw.get('directpred-0-0'));
});

test('the line-style legend names both fields: each colour and each dash once, sorted', () => {
  const runs = sweepRuns();
  const legend = lineLegend(runs, ['predictor.kind', 'optim.weightDecay'], '', 'optim.weightDecay');
  assert.equal(legend.colorBy, 'predictor.kind');
  assert.deepEqual(legend.colors, [
    { label: 'directpred', color: groupColors([{ 'predictor.kind': 'directpred' }, { 'predictor.kind': 'none' }])[0] },
    { label: 'none', color: groupColors([{ 'predictor.kind': 'directpred' }, { 'predictor.kind': 'none' }])[1] },
  ]);
  assert.equal(legend.dashBy, 'optim.weightDecay');
  assert.deepEqual(legend.dashes, [{ label: '0', dash: DASHES[0] }, { label: '0.004', dash: DASHES[1] }]);
  // The legend's colours are the lines' colours.
  const lines = compareLines(runs, 'step', ['predictor.kind', 'optim.weightDecay'], { dashBy: 'optim.weightDecay' });
  const none = lines.find((l) => l.label.startsWith('predictor.kind = none') && !l.faint)!;
  assert.equal(none.color, legend.colors.find((c) => c.label === 'none')!.color);
  // Two colour fields (three group fields, dash by one): each colour names its fields.
  const three = lineLegend(runs, ['predictor.kind', 'seed', 'optim.weightDecay'], '', 'optim.weightDecay');
  assert.equal(three.colorBy, 'predictor.kind, seed');
  assert.deepEqual(three.colors.map((c) => c.label), ['predictor.kind = directpred, seed = 0', 'predictor.kind = directpred, seed = 1', 'predictor.kind = none, seed = 0', 'predictor.kind = none, seed = 1']);
});

test('panel and line-style roles: one field each, the last choice wins, the colour always keeps a field', () => {
  const two = ['predictor.kind', 'optim.weightDecay'];
  // Line style by the panel field: the panels give way (one chart, colour by kind).
  assert.deepEqual(withLineRole(two, { facetBy: 'optim.weightDecay', dashBy: '' }, 'dashBy', 'optim.weightDecay'), { facetBy: '', dashBy: 'optim.weightDecay' });
  // Line style by the other field would leave no colour: the panels give way again.
  assert.deepEqual(withLineRole(two, { facetBy: 'optim.weightDecay', dashBy: '' }, 'dashBy', 'predictor.kind'), { facetBy: '', dashBy: 'predictor.kind' });
  // Panels by the line-style field: the dash gives way.
  assert.deepEqual(withLineRole(two, { facetBy: '', dashBy: 'optim.weightDecay' }, 'facetBy', 'optim.weightDecay'), { facetBy: 'optim.weightDecay', dashBy: '' });
  // Three fields: panels and dash on two of them, colour by the third.
  const three = [...two, 'seed'];
  assert.deepEqual(withLineRole(three, { facetBy: 'seed', dashBy: '' }, 'dashBy', 'optim.weightDecay'), { facetBy: 'seed', dashBy: 'optim.weightDecay' });
  // Clearing, and a field that is not a group field (or a hostile name) changes nothing else.
  assert.deepEqual(withLineRole(three, { facetBy: 'seed', dashBy: 'optim.weightDecay' }, 'dashBy', ''), { facetBy: 'seed', dashBy: '' });
  for (const odd of ['lr', '__proto__', 'constructor']) assert.deepEqual(withLineRole(three, { facetBy: 'seed', dashBy: '' }, 'dashBy', odd), { facetBy: 'seed', dashBy: '' }, odd);
  // What holds after the group fields change: a dash needs two fields, a place apart from the panels, and a colour left.
  assert.equal(validDashBy(['predictor.kind'], '', 'predictor.kind'), '');
  assert.equal(validDashBy(two, 'optim.weightDecay', 'optim.weightDecay'), '');
  assert.equal(validDashBy(two, 'predictor.kind', 'optim.weightDecay'), '');
  assert.equal(validDashBy(two, '', 'optim.weightDecay'), 'optim.weightDecay');
  assert.equal(validDashBy(three, 'seed', 'optim.weightDecay'), 'optim.weightDecay');
  assert.equal(validDashBy(two, '', 'seed'), '');
});

const stat = (kind: string, wd: number, mean: number | null, std: number | null, n = 2): FactorStat => ({ key: { 'predictor.kind': kind, 'optim.weightDecay': wd }, mean, std, n });

test('factor bars: colour by one axis, clusters by the other, one legend; missing combinations keep their place', () => {
  const stats = [stat('none', 0, 0.05, 0.1), stat('none', 0.004, 0.02, 0.05), stat('directpred', 0, 0.8, 0.1), stat('directpred', 0.004, 0.9, 0.02)];
  const fields = ['predictor.kind', 'optim.weightDecay'];
  const l = layoutFactorBars(stats, { fields, range: metricRange('collapseStd') });
  assert.equal(l.colorBy, 'predictor.kind');
  assert.equal(l.facets.length, 1);
  assert.deepEqual(l.legend.map((e) => e.label), ['directpred', 'none'], 'sorted values');
  assert.deepEqual(l.legend.map((e) => e.color), groupColors([{ 'predictor.kind': 'directpred' }, { 'predictor.kind': 'none' }]));
  const clusters = l.facets[0]!.clusters;
  assert.deepEqual(clusters.map((c) => c.label), ['weightDecay=0', 'weightDecay=0.004']);
  assert.deepEqual(clusters.map((c) => c.bars.map((b) => b!.mean)), [[0.8, 0.05], [0.9, 0.02]]);
  // Two colours for four bars: the colour is the predictor kind, not the combination.
  assert.equal(new Set(clusters.flatMap((c) => c.bars.map((b) => b!.color))).size, 2);
  assert.equal(clusters[0]!.bars[1]!.lo, 0, 'none at wd 0: 0.05 − 0.1 is clamped at 0');
  assert.ok(Math.abs(clusters[0]!.bars[1]!.hi! - 0.15) < 1e-12, `hi ${clusters[0]!.bars[1]!.hi}`);
  assert.equal(clusters[0]!.bars[1]!.label, 'predictor.kind = none, optim.weightDecay = 0');
  assert.deepEqual(l.domain, [0, 0.92]);
  // Panels by weight decay: two panels, bars labelled by kind, same colours in both, one y extent.
  const f = layoutFactorBars(stats, { fields, facetBy: 'optim.weightDecay', range: metricRange('collapseStd') });
  assert.deepEqual(f.facets.map((x) => x.label), ['weightDecay = 0', 'weightDecay = 0.004']);
  for (const x of f.facets) {
    assert.deepEqual(x.clusters.map((c) => c.label), ['directpred', 'none']);
    assert.deepEqual(x.clusters.map((c) => c.bars[0]!.color), l.legend.map((e) => e.color));
  }
  // Colour by weight decay instead; the panel field cannot also be the colour field.
  const w = layoutFactorBars(stats, { fields, colorBy: 'optim.weightDecay', facetBy: 'optim.weightDecay' });
  assert.equal(w.facetBy, '');
  assert.deepEqual(w.facets[0]!.clusters.map((c) => c.label), ['kind=directpred', 'kind=none']);
  // A combination without runs: its bar is null, its neighbours stay aligned.
  const gap = layoutFactorBars(stats.slice(0, 3), { fields });
  assert.deepEqual(gap.facets[0]!.clusters[1]!.bars.map((b) => b?.mean ?? null), [null, 0.02]);
  // No fields (ungrouped runs): each its own bar, label and colour.
  const one = layoutFactorBars([{ key: {}, mean: 1, std: null, n: 1, label: 'run a', color: '#123456' }], { fields: [] });
  assert.deepEqual(one.facets[0]!.clusters.map((c) => [c.label, c.bars[0]!.color]), [['run a', '#123456']]);
  // Three fields: the two left over make the cluster label.
  const three = layoutFactorBars([{ key: { a: 1, b: 'x', c: true }, mean: 1, std: null, n: 1 }], { fields: ['a', 'b', 'c'] });
  assert.equal(three.facets[0]!.clusters[0]!.label, 'b=x, c=on');
  // Accuracies in %: error bars stop at 100.
  const acc = layoutFactorBars([stat('none', 0, 97, 5)], { fields, range: displayRange('probeAcc') });
  assert.equal(acc.facets[0]!.clusters[0]!.bars[0]!.hi, 100);
});

/** A fixed advance per character: 6 units (about an 11-unit font's average). */
const mono: Measure = (t) => t.length * 6;

test('bar labels: one line when they fit, else wrapped at word boundaries, else rotated, else shortened', () => {
  const room = { measure: mono, lineHeight: 13 };
  const short = layoutLabels(['none', 'linear', 'directpred'], { ...room, slot: 100 });
  assert.equal(short.mode, 'horizontal');
  assert.deepEqual(short.lines, [['none'], ['linear'], ['directpred']]);
  // Two-factor labels in 4 slots of 130: wrapped after the comma.
  const two = layoutLabels(['kind=directpred, weightDecay=0.004', 'kind=none, weightDecay=0'], { ...room, slot: 130 });
  assert.equal(two.mode, 'wrapped');
  assert.deepEqual(two.lines[0], ['kind=directpred,', 'weightDecay=0.004']);
  assert.equal(two.height, 26);
  assert.ok(two.abbreviated.every((a) => !a), 'nothing shortened');
  // Narrow slots: rotated, the longest label decides the room below the axis.
  const rot = layoutLabels(['kind=directpred, weightDecay=0.004', 'kind=none, weightDecay=0'], { ...room, slot: 40 });
  assert.equal(rot.mode, 'rotated');
  // The first (34 characters, 204 units) is longer than a rotated label may be (150): shortened.
  assert.deepEqual(rot.abbreviated, [true, false]);
  assert.equal(rot.lines[1]![0], 'kind=none, weightDecay=0');
  assert.ok(Math.abs(rot.height - (150 * Math.SQRT1_2 + 13)) < 1e-9, `height ${rot.height}`);
  // Longer than a rotated label may be: shortened with "…", flagged for the full text on hover.
  const long = layoutLabels(['x'.repeat(40)], { ...room, slot: 40, maxRotated: 120 });
  assert.equal(long.mode, 'rotated');
  assert.ok(long.lines[0]![0]!.includes('…') && mono(long.lines[0]![0]!) <= 120, long.lines[0]![0]);
  assert.deepEqual(long.abbreviated, [true]);
  // Too narrow even to rotate: lines shortened to the slot.
  const tiny = layoutLabels(['predictor=directpred', 'predictor=linear'], { ...room, slot: 14 });
  assert.equal(tiny.mode, 'wrapped');
  assert.ok(tiny.lines.flat().every((line) => mono(line) <= 14 - 6), JSON.stringify(tiny.lines));
  // Run names that differ only late: the shared start is dropped, the middle cut, both ends kept,
  // so the drawn labels still tell the bars apart.
  const names = ['none', 'directpred'].flatMap((k) => [0, 1].map((seed) => `kind × wd predictor.kind=${k} optim.weightDecay=0.004 seed=${seed}`));
  assert.equal(commonPrefix(names), 'kind × wd predictor.kind=');
  const runs = layoutLabels(names, { ...room, slot: 40 });
  assert.equal(runs.mode, 'rotated');
  const drawn = runs.lines.map((ls) => ls[0]!);
  assert.equal(new Set(drawn).size, 4, drawn.join(' | '));
  for (const [i, d] of drawn.entries()) {
    assert.ok(d.startsWith(`…${i < 2 ? 'none' : 'directpred'}`) && d.endsWith(`seed=${i % 2}`) && mono(d) <= 150, d);
  }
  assert.equal(truncateMiddle('abcdefgh', 30, mono), 'ab…gh');
  assert.equal(truncateMiddle('abc', 30, mono), 'abc');
  assert.equal(truncateMiddle('abcdefgh', 5, mono), '');
  assert.equal(commonPrefix(['a b', 'a']), '', 'no label is left empty');
  assert.equal(commonPrefix(['a b', 'a c']), 'a ');
  assert.equal(truncateToWidth('abcdef', 100, mono), 'abcdef');
  assert.equal(truncateToWidth('abcdef', 24, mono), 'abc…');
});

test('bar labels never overprint: random labels and slots, every drawn line inside its room', () => {
  const rng = new SeededRandom(23);
  const rnd = () => rng.uniform();
  const words = ['kind=', 'directpred', 'none', 'linear,', 'weightDecay=', '0.004', 'lr=0.05', 'ρ=0.3', 'symmetric=on,'];
  for (let trial = 0; trial < 300; trial++) {
    const labels = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => words[Math.floor(rnd() * words.length)]!).join(rnd() < 0.5 ? ' ' : ''));
    const slot = 8 + rnd() * 200;
    const l = layoutLabels(labels, { measure: mono, slot, lineHeight: 13, maxLines: 3, maxRotated: 150 });
    assert.equal(l.lines.length, labels.length);
    if (l.mode === 'rotated') {
      // Neighbouring rotated labels are slot·sin45° apart across the slant: at least most of a line.
      assert.ok(slot * Math.SQRT1_2 >= 13 * 0.85, `slot ${slot}`);
      assert.ok(l.lines.every((ls) => ls.length === 1 && mono(ls[0]!) <= 150), JSON.stringify(l.lines));
    } else {
      for (const ls of l.lines) {
        assert.ok(ls.length <= 3, `${ls.length} lines`);
        for (const line of ls) assert.ok(mono(line) <= slot - 6 + 1e-9, `"${line}" (${mono(line)}) in slot ${slot.toFixed(1)}, mode ${l.mode}`);
      }
    }
    // Whatever is shown shortened says so (the chart then shows the full text on hover).
    l.lines.forEach((ls, i) => {
      if (!l.abbreviated[i]) assert.equal(ls.join('').replace(/\s/g, ''), labels[i]!.replace(/\s/g, ''));
    });
  }
});
