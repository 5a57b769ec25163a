// The logic behind issue 16's fixes, without a browser: run names from setups, the epoch of a
// reopened run, one number format for accuracies, distinct and stable run and group colours, the
// resume message, the per-mode hover readout, integer step ticks, the one quick setup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { defaultRunName } from '../../src-renderer/src/lib/runName.ts';
import { epochAtStep, finalSpectrumSeries } from '../../src-renderer/src/lib/runData.ts';
import { formatMeanStd, formatMetric, metricAxisTitle } from '../../src-renderer/src/lib/format.ts';
import { RUN_PALETTE, groupColors, runColor, setRunOrder } from '../../src-renderer/src/lib/runColors.ts';
import { swatchColors, compareLines, finalBars } from '../../src-renderer/src/lib/compare/compareSeries.ts';
import { resumeMessage } from '../../src-renderer/src/lib/runsTable.ts';
import { nearestSeries, INTEGER_INCRS } from '../../src-renderer/src/lib/series.ts';
import { quickTest } from '../../src-renderer/src/lib/setupModel.ts';
import { PREDICTOR_ABLATION, QUICK_SETUP, SETUP_PRESETS } from '../../src-main/common/presets.ts';
import { checkSetup, defaultSetup, parseSetup, setAtPath } from '../../src-main/common/setup.ts';

test('a run is named from its own setup: kind, fields changed from the preset, seed', () => {
  const preset = parseSetup(SETUP_PRESETS.find((p) => p.id === 'directpred')!.setup);
  assert.equal(defaultRunName(preset, preset), 'directpred · seed 0');
  const lr = setAtPath(setAtPath(preset, 'optim.lr', 0.05), 'seed', 3);
  assert.equal(defaultRunName(lr, preset), 'directpred · lr=0.05 · seed 3');
  // Switching the predictor renames the run: a DirectPred run is never called "none".
  const none = parseSetup({ ...preset, predictor: { kind: 'none' } });
  assert.match(defaultRunName(none, preset), /^none · seed 0$/);
  const sym = parseSetup({ method: 'simsiam', predictor: { kind: 'linear', symmetric: true } });
  assert.equal(defaultRunName(sym, sym), 'linear symmetric (no EMA) · seed 0');
  // Many changes: three listed, the rest counted, so names stay short.
  let many = preset;
  for (const [p, v] of [['optim.lr', 0.1], ['optim.momentum', 0.8], ['optim.weightDecay', 0], ['projector.out', 8]] as const) many = setAtPath(many, p, v);
  assert.match(defaultRunName(many, preset), /^directpred · \w+=[\d.]+ · \w+=[\d.]+ · \w+=[\d.]+ · \+1 more · seed 0$/);
});

test('a reopened run knows its epoch from the logged steps (not 0.00)', () => {
  const metrics = [{ name: 'loss', steps: [4, 8, 48], epochs: [0.25, 0.5, 3], values: [1, 0.9, 0.7] }];
  assert.equal(epochAtStep(metrics, 48), 3);
  assert.equal(epochAtStep(metrics, 40), 2.5);
  assert.equal(epochAtStep([], 48), null);
});

test('accuracies are percentages everywhere; final vs mean ± std in one format', () => {
  assert.equal(formatMetric('probeAcc', 0.8123), '81.2 %');
  assert.equal(formatMetric('knnAcc', 0.5), '50.0 %');
  assert.equal(formatMetric('collapseStd', 0.51234), '0.512');
  assert.equal(formatMeanStd('probeAcc', 0.4375, 0.1025), '43.8 ± 10.3 %');
  assert.equal(formatMeanStd('collapseStd', 0.5, 0.02242), '0.5 ± 0.022');
  assert.equal(formatMeanStd('knnAcc', null, null), '—');
  assert.equal(metricAxisTitle('probeAcc', 'linear probe accuracy'), 'linear probe accuracy (%)');
  assert.equal(metricAxisTitle('loss', 'loss'), 'loss (2 − 2cos)');
});

/** sRGB hex → OKLab (Ottosson), to check the palette's perceptual spread. */
function oklab(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  const lin = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((c) => {
    const x = c / 255;
    return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const [r, g, b] = lin;
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s, 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s, 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s];
}

test('20 runs made one after another get 20 perceptually distinct colours, the same wherever asked', () => {
  assert.equal(RUN_PALETTE.length, 20);
  const labs = RUN_PALETTE.map(oklab);
  let min = Infinity;
  for (let i = 0; i < labs.length; i++) for (let j = i + 1; j < labs.length; j++) min = Math.min(min, Math.hypot(labs[i]![0] - labs[j]![0], labs[i]![1] - labs[j]![1], labs[i]![2] - labs[j]![2]));
  assert.ok(min > 0.08, `closest pair ΔE_ok ${min.toFixed(3)}`);
  // Readable on white and on the dark theme: mid lightness only.
  for (const [L] of labs) assert.ok(L > 0.5 && L < 0.82, `lightness ${L}`);
  // A sweep of 20 runs created in a row (ids in random order): all distinct.
  const rows = Array.from({ length: 20 }, (_, i) => ({ id: `${(i * 7919) % 97}-${i}`, createdAt: 1000 + i }));
  setRunOrder([...rows].reverse());
  assert.equal(new Set(rows.map((r) => runColor(r.id))).size, 20);
  // Adding newer runs does not recolour older ones.
  const before = rows.map((r) => runColor(r.id));
  setRunOrder([...rows, { id: 'newer', createdAt: 5000 }]);
  assert.deepEqual(rows.map((r) => runColor(r.id)), before);
});

test('groups: distinct colours, the same in the sweep table, compare lines, bars and table swatches', () => {
  const keys = [{ 'predictor.kind': 'none' }, { 'predictor.kind': 'linear' }, { 'predictor.kind': 'directpred' }];
  const c = groupColors(keys);
  assert.equal(new Set(c).size, 3);
  // Order of the groups does not matter.
  assert.deepEqual(groupColors([...keys].reverse()), [...c].reverse());
  const mk = (id: string, kind: string) => ({ id, label: id, setup: { predictor: { kind } }, series: { steps: [1, 2], epochs: [0.5, 1], values: [1, 2] }, wall: { batchSize: 32 } });
  const runs = [mk('a', 'none'), mk('b', 'linear'), mk('c', 'directpred'), mk('d', 'none')];
  const lines = compareLines(runs, 'step', 'predictor.kind').filter((l) => !l.faint);
  const bars = finalBars(runs, 'predictor.kind');
  const sw = swatchColors(runs, 'predictor.kind');
  for (const [i, k] of keys.entries()) {
    const kind = k['predictor.kind'];
    assert.equal(lines.find((l) => l.label.includes(`= ${kind} `))!.color, c[i]);
    assert.equal(bars.find((b) => b.label.endsWith(`= ${kind}`))!.color, c[i]);
    for (const r of runs.filter((r) => r.setup.predictor.kind === kind)) assert.equal(sw.get(r.id), c[i], 'a grouped run\'s swatch is its group\'s colour');
  }
  assert.equal(swatchColors(runs, '').get('b'), runColor('b'));
});

test('resume says which checkpoint it continues from', () => {
  assert.equal(resumeMessage(202, 250), 'Resumed from step 202 (last checkpoint); steps 203–250 are trained again');
  assert.equal(resumeMessage(100, 100), 'Resumed from step 100 (last checkpoint)');
  assert.equal(resumeMessage(0, 40), 'Resumed from the start (no checkpoint yet; steps 1–40 are trained again)');
  assert.equal(resumeMessage(0, null), 'Resumed from the start (no checkpoint yet)');
});

test('charts: nearest mode under the cursor, integer step ticks, p_j on its own axis', () => {
  assert.equal(nearestSeries([10, 50, null, 90], 55), 1);
  assert.equal(nearestSeries([null, undefined], 3), null);
  assert.ok(INTEGER_INCRS.every((v) => Number.isInteger(v)));
  assert.deepEqual(INTEGER_INCRS.slice(0, 6), [1, 2, 5, 10, 20, 50]);
  const spec = finalSpectrumSeries({ steps: [4], fEig: [[13, 2]], wpEig: [[1, 0.3]], alignment: [[1, 1]], asymmetry: [0] });
  assert.equal(spec[0]!.y2, undefined);
  assert.equal(spec[1]!.y2, true);
});

test('one quick setup: the composer\'s quick test, examples/quick.json and the starter sweep agree', () => {
  const q = checkSetup(quickTest(defaultSetup()));
  assert.ok(q.ok);
  const quick = parseSetup(QUICK_SETUP);
  assert.deepEqual(q.ok && { data: q.setup.data, encoder: q.setup.encoder, projector: q.setup.projector, optim: { b: q.setup.optim.batchSize, e: q.setup.optim.epochs, m: q.setup.optim.maxSteps }, eval: q.setup.eval },
    { data: quick.data, encoder: quick.encoder, projector: quick.projector, optim: { b: quick.optim.batchSize, e: quick.optim.epochs, m: quick.optim.maxSteps }, eval: quick.eval });
  const file = parseSetup(JSON.parse(readFileSync(new URL('../../examples/quick.json', import.meta.url), 'utf8')));
  for (const k of ['data', 'encoder', 'projector', 'optim', 'eval'] as const) assert.deepEqual(file[k], quick[k], `examples/quick.json ${k}`);
  assert.deepEqual(PREDICTOR_ABLATION.axes['predictor.kind'], ['none', 'linear', 'directpred']);
  // The CLI form of the starter sweep (the measurement in BENCHMARKS.md runs it).
  assert.deepEqual(JSON.parse(readFileSync(new URL('../../examples/sweep-quick.json', import.meta.url), 'utf8')), JSON.parse(JSON.stringify(PREDICTOR_ABLATION)));
  assert.equal(PREDICTOR_ABLATION.base, QUICK_SETUP);
});

test('theory ticks are round numbers (0, 0.1, 0.2), on log axes 1-2-5 per decade', async () => {
  const { axisTicks, ticks } = await import('../../src-renderer/src/lib/ticks.ts');
  assert.deepEqual(ticks(0, 0.4), [0, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(ticks(-0.2, 1.2), [0, 0.5, 1]);
  const eta = Array.from({ length: 28 }, (_, i) => (0.4 * i) / 27);
  assert.deepEqual(axisTicks(eta, 'linear'), [0, 0.1, 0.2, 0.3, 0.4]);
  const alphaP = Array.from({ length: 22 }, (_, i) => 0.1 * 100 ** (i / 21));
  assert.deepEqual(axisTicks(alphaP, 'log'), [0.1, 0.3, 1, 3, 10]);
});
