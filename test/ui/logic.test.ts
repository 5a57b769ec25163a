// Renderer logic: formatting, which setup fields differ, schema-driven field info, UI predictor
// kinds, live series accumulation, runs table sort/filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatNumber, formatPercent, progressFraction, formatValue } from '../../src-renderer/src/lib/format.ts';
import { differingFields, flatten, shortPath } from '../../src-renderer/src/lib/diff.ts';
import {
  fieldInfo, rangeHint, uiPredictorKind, withPredictorKind, predictorKnobs, emaOn, withEma, quickTest, undoQuickTest, issuesByPath, validateDraft, parseNumberInput, parseListInput,
  groupFields, datasetParamGroup, withDataset, isQuickTest,
} from '../../src-renderer/src/lib/setupModel.ts';
import { blockOfPath, BLOCK_PATHS, TRAINING_FIELDS } from '../../src-renderer/src/lib/composerLayout.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { emptyRunData, fromHistory, appendEvents, modeSeries, pickModes, finalSpectrumSeries } from '../../src-renderer/src/lib/runData.ts';
import { sortRuns, filterRuns, bestOf, sweepLabel, NO_SWEEP } from '../../src-renderer/src/lib/runsTable.ts';
import { defaultSetup, parseSetup, checkSetup, setAtPath, canonicalJson, InvarianceSchema } from '../../src-main/common/setup.ts';
import type { RunRow } from '../../src-main/contract/index.ts';

test('formatting of durations, numbers, percentages, values', () => {
  assert.equal(formatDuration(null), '—');
  assert.equal(formatDuration(42.4), '42 s');
  assert.equal(formatDuration(185), '3 min 05 s');
  assert.equal(formatDuration(3720), '1 h 02 min');
  assert.equal(formatDuration(86400 * 3 + 3600), '3 d 1 h');
  assert.equal(formatNumber(0.123456), '0.1235');
  assert.equal(formatNumber(1234.5678), '1235');
  assert.equal(formatNumber(0.00001234), '1.23e-5');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatPercent(0.8123), '81.2 %');
  assert.equal(progressFraction(5, 40), 0.125);
  assert.equal(progressFraction(50, 40), 1);
  assert.equal(progressFraction(null, 40), 0);
  assert.equal(formatValue([8, 16]), '8×16');
  assert.equal(formatValue(false), 'off');
});

test('differing fields: only the paths that vary, predictor first, bookkeeping ignored', () => {
  const a = parseSetup({ seed: 0, name: 'a', predictor: { kind: 'directpred' } });
  const b = parseSetup({ seed: 1, name: 'b', predictor: { kind: 'directpred', rho: 0.5 } });
  const c = parseSetup({ seed: 2, predictor: { kind: 'linear' } });
  assert.deepEqual(differingFields([a, a]), []);
  assert.deepEqual(differingFields([a]), []);
  assert.deepEqual(differingFields([a, b]), ['predictor.rho', 'seed']);
  const abc = differingFields([a, b, c]);
  assert.equal(abc[0], 'predictor.kind');
  assert.ok(!abc.includes('predictor.symmetric')); // exists only for the linear run: the kind says it
  assert.ok(!abc.includes('predictor.eps')); // same ε wherever it exists
  assert.ok(abc.includes('predictor.rho')); // 0.3 vs 0.5 among the DirectPred runs
  assert.equal(abc[abc.length - 1], 'seed');
  assert.ok(!abc.includes('name'));
  const enc = differingFields([parseSetup({ encoder: { kind: 'convnet', widths: [8, 16] } }), parseSetup({ encoder: { kind: 'convnet', widths: [8, 32] } })]);
  assert.deepEqual(enc, ['encoder.widths']);
  assert.equal(flatten({ a: { b: 1, c: [1, 2] } }).get('a.c')!.toString(), '1,2');
  assert.equal(shortPath('optim.predictorWeightDecay'), 'predictorWeightDecay');
  assert.equal(shortPath('predictor.kind'), 'predictor');
  assert.equal(shortPath('seed'), 'seed');
});

test('field info comes from the schema: types, ranges, defaults, choices', () => {
  const rho = fieldInfo('predictor.rho', 'directpred')!;
  assert.equal(rho.type, 'number');
  assert.equal(rho.min, 0);
  assert.equal(rho.max, 1);
  assert.equal(rho.default, 0.3);
  assert.equal(rangeHint(rho), '0 – 1');
  const lr = fieldInfo('optim.lr')!;
  assert.equal(lr.exclusiveMin, true);
  assert.equal(rangeHint(lr), '> 0, ≤ 10');
  const freq = fieldInfo('predictor.freq', 'directpred')!;
  assert.equal(freq.type, 'int');
  assert.equal(fieldInfo('predictor.rho', 'linear'), null);
  assert.equal(fieldInfo('predictor.hidden', 'mlp')!.default, 512);
  assert.deepEqual(fieldInfo('method')!.options, ['byol', 'simsiam']);
  assert.equal(fieldInfo('stopGradient')!.type, 'boolean');
  assert.deepEqual(fieldInfo('data.synthetic.channels')!.options, ['1', '3']);
  assert.equal(fieldInfo('optim.maxSteps')!.optional, true);
  assert.equal(fieldInfo('encoder.widths', 'convnet')!.type, 'array');
  assert.equal(fieldInfo('no.such'), null);
});

test('generated datasets: their parameter fields follow the schema, with its doc text; the block round-trips', () => {
  // Whatever fields InvarianceSchema has (renamed, added) are the form's fields, in its order.
  const keys = Object.keys(InvarianceSchema.shape);
  assert.ok(keys.length >= 2);
  assert.deepEqual(groupFields('data.invariance'), keys.map((k) => `data.invariance.${k}`));
  for (const p of groupFields('data.invariance')) {
    const f = fieldInfo(p);
    assert.ok(f && f.type !== 'other', `${p} has an editor type`);
    assert.ok(f.description && f.description.length > 3, `${p} has doc text in the schema (.describe()) to show as help`);
  }
  const signal = fieldInfo('data.invariance.signal');
  if (signal) assert.equal(rangeHint(signal), '0 – 1');
  assert.deepEqual(groupFields('data.synthetic'), ['size', 'channels', 'classes', 'train', 'test'].map((k) => `data.synthetic.${k}`));
  assert.equal(datasetParamGroup('invariance'), 'data.invariance');
  assert.equal(datasetParamGroup('synthetic'), 'data.synthetic');
  for (const name of ['fashion-mnist', 'fashion-mnist-sample', 'my-import', 'path', 'trainSize', '__proto__', 'constructor', 'hasOwnProperty', 'toString', '', 'a.b']) {
    assert.equal(datasetParamGroup(name), null, name);
  }

  // Choosing invariance writes out its parameters; an edit reaches the validated setup (what is run and saved).
  const stash = new Map<string, unknown>();
  let d: unknown = withDataset(defaultSetup(), 'invariance', stash);
  assert.deepEqual((d as { data: { invariance: unknown } }).data.invariance, InvarianceSchema.parse({}));
  const [first, second] = keys;
  const f1 = fieldInfo(`data.invariance.${first}`)!;
  const edited = f1.type === 'enum' ? Number(f1.options!.find((o) => String(o) !== String(f1.default))) : (f1.min ?? 0) + (f1.type === 'int' ? 1 : 0.5);
  d = setAtPath(d, `data.invariance.${first}`, edited);
  const v = validateDraft(d);
  assert.ok(v.setup, JSON.stringify(v.issues));
  assert.equal((v.setup.data.invariance as Record<string, unknown>)[first!], edited);
  assert.equal(v.setup.data.dataset, 'invariance');
  assert.ok(canonicalJson(v.setup).includes(`"${first}":${edited}`));
  // Another dataset carries no invariance parameters; coming back restores the edit.
  d = withDataset(d, 'fashion-mnist-sample', stash);
  assert.equal((d as { data: Record<string, unknown> }).data.invariance, undefined);
  assert.equal(validateDraft(d).setup!.data.invariance, undefined);
  d = withDataset(d, 'invariance', stash);
  assert.equal(validateDraft(d).setup!.data.invariance![first as keyof typeof InvarianceSchema.shape], edited);
  // Validated like every field: an out-of-range value is named by its path, on the data block.
  const f2 = fieldInfo(`data.invariance.${second}`)!;
  const bad = issuesByPath(validateDraft(setAtPath(d, `data.invariance.${second}`, f2.type === 'enum' ? 2 : -5)).issues);
  assert.ok(bad.has(`data.invariance.${second}`), [...bad.keys()].join(', '));
  assert.equal(blockOfPath(`data.invariance.${second}`), 'data');
});

test('UI predictor kinds: symmetric linear, knobs kept across switches, EMA through method', () => {
  let s: unknown = defaultSetup();
  assert.equal(uiPredictorKind(s), 'directpred');
  s = withPredictorKind(s, 'symmetric');
  assert.deepEqual((s as { predictor: unknown }).predictor, { kind: 'linear', bias: false, symmetric: true });
  assert.equal(uiPredictorKind(s), 'symmetric');
  s = withPredictorKind(s, 'directpred');
  assert.equal(uiPredictorKind(s), 'directpred');
  s = withPredictorKind({ predictor: { kind: 'directpred', rho: 0.7, eps: 0.2, freq: 3, bias: true } }, 'directcopy');
  assert.deepEqual((s as { predictor: unknown }).predictor, { kind: 'directcopy', rho: 0.7, eps: 0.2, freq: 3, freqPhase: 'last', normalize: 'lambda-max' });
  assert.deepEqual(predictorKnobs('directpred'), ['predictor.rho', 'predictor.eps', 'predictor.freq', 'predictor.freqPhase', 'predictor.bias', 'predictor.cj']);
  assert.deepEqual(predictorKnobs('symmetric'), ['predictor.bias']);
  assert.deepEqual(predictorKnobs('none'), []);
  assert.equal(emaOn(defaultSetup()), true);
  const off = withEma(defaultSetup(), false);
  assert.equal(off.method, 'simsiam');
  assert.equal(emaOn(off), false);
  // EMA off from the official preset's random target: SimSiam refuses 'random', so it goes back to 'copy'.
  const official = parseSetup({ method: 'byol', targetInit: 'random' });
  const simsiam = withEma(official, false);
  assert.equal(simsiam.targetInit, 'copy');
  assert.deepEqual(validateDraft(simsiam).issues, []);
  assert.equal(withEma(simsiam, true).targetInit, 'copy');
  assert.deepEqual(issuesByPath(validateDraft({ ...official, method: 'simsiam' }).issues).has('targetInit'), true);
});

test('inline validation: issues by field path, stop-gradient rule, quick test stays valid', () => {
  const bad = validateDraft({ ...defaultSetup(), predictor: { kind: 'directpred', rho: 1.5, eps: 0.1, freq: 1, bias: false } });
  assert.equal(bad.setup, null);
  const by = issuesByPath(bad.issues);
  assert.ok(by.get('predictor.rho')!.length >= 1);
  const sg = issuesByPath(validateDraft({ ...defaultSetup(), stopGradient: false }).issues);
  assert.match(sg.get('stopGradient')![0]!, /simsiam/);
  assert.equal(validateDraft({ ...defaultSetup(), method: 'simsiam', stopGradient: false }).issues.length, 0);
  const widths = issuesByPath(validateDraft({ ...defaultSetup(), encoder: { kind: 'convnet', widths: [8, 0], residual: false } }).issues);
  assert.ok(widths.has('encoder.widths'));
  const q = quickTest(withPredictorKind(defaultSetup(), 'mlp'));
  const r = checkSetup(q);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  assert.equal(r.ok && r.setup.predictor.kind, 'mlp');
  assert.equal(r.ok && r.setup.optim.maxSteps, 48); // the one quick setup (QUICK_SETUP)
  // Turning quick test off restores what it replaced and keeps the edits made meanwhile.
  const before = withPredictorKind(defaultSetup(), 'mlp');
  let edited = setAtPath(quickTest(before), 'predictor.hidden', 64);
  edited = setAtPath(edited, 'optim.lr', 0.1);
  const back = undoQuickTest(edited, before);
  assert.deepEqual(back.encoder, before.encoder);
  assert.deepEqual(back.data, before.data);
  assert.equal(back.optim.maxSteps, undefined);
  assert.ok(!('maxSteps' in back.optim));
  assert.equal(back.optim.batchSize, 128);
  assert.equal(back.optim.lr, 0.1);
  assert.deepEqual(back.predictor, { kind: 'mlp', hidden: 64 });
  assert.deepEqual(before.optim.maxSteps, undefined); // inputs untouched
  assert.equal(parseNumberInput(' 0.5 ', false), 0.5);
  assert.equal(parseNumberInput('', true), undefined);
  assert.equal(parseNumberInput('abc', false), 'abc');
  assert.deepEqual(parseListInput('8, 16 32'), [8, 16, 32]);
  assert.equal(parseListInput('8, x'), '8, x');
});

test('composer: the optimiser is under Training, not the loss block', () => {
  for (const p of ['optim.lr', 'optim.momentum', 'optim.weightDecay']) {
    assert.ok(TRAINING_FIELDS.includes(p), `${p} in Training`);
    assert.equal(blockOfPath(p), null, `${p} belongs to no block of the diagram`);
    assert.ok(!BLOCK_PATHS.loss.includes(p));
  }
  // The predictor's own optimiser knobs stay with the predictor.
  assert.equal(blockOfPath('optim.predictorWeightDecay'), 'predictor');
  assert.equal(blockOfPath('loss'), 'loss');
});

test('composer: a duplicated quick run is recognised as a quick test (stored with every default filled in)', () => {
  // A run row's setup is the full parsed setup: the quick shape with the schema's defaults, a seed and a predictor.
  const stored = parseSetup({ ...QUICK_SETUP, seed: 4, predictor: { kind: 'none' }, optim: { ...QUICK_SETUP.optim, lr: 0.1 } });
  assert.equal(isQuickTest(stored), true);
  assert.equal(isQuickTest(quickTest(withPredictorKind(defaultSetup(), 'mlp'))), true);
  assert.equal(isQuickTest(defaultSetup()), false);
  // One replaced section off the quick shape: not a quick test any more.
  assert.equal(isQuickTest(setAtPath(stored, 'optim.maxSteps', 96)), false);
  assert.equal(isQuickTest(setAtPath(stored, 'encoder.widths', [8, 32])), false);
  assert.equal(isQuickTest({ optim: { batchSize: -1 } }), false);
});

test('run data: history then overlapping live batches append without duplicates', () => {
  let d = fromHistory(
    [{ name: 'loss', steps: [1, 2], epochs: [0.1, 0.2], values: [1, 0.9] }],
    [{ step: 2, epoch: 0.2, fEig: [3, 1], wpEig: [1, 0.5], alignment: [0.9, 0.8], asymmetry: 0.1 }],
    [],
  );
  const before = d;
  d = appendEvents(d, [
    { type: 'scalars', step: 2, epoch: 0.2, values: { loss: 0.9 } }, // overlap: dropped
    { type: 'scalars', step: 3, epoch: 0.3, values: { loss: 0.8, collapseStd: 0.7 } },
    { type: 'spectra', step: 2, epoch: 0.2, fEig: [3, 1], wpEig: [1, 0.5], alignment: [0.9, 0.8], asymmetry: 0.1 },
    { type: 'spectra', step: 4, epoch: 0.4, fEig: [4, 0.5], wpEig: [1.1, 0.4], alignment: [0.95, 0.7], asymmetry: 0.05 },
    { type: 'eval', step: 4, epoch: 0.4, probeAcc: 0.5, knnAcc: 0.6, probeTrainAcc: 0.7 },
  ]);
  assert.notEqual(d, before);
  assert.deepEqual(before.scalars.loss!.steps, [1, 2]); // immutable: history object untouched
  assert.deepEqual(d.scalars.loss!.steps, [1, 2, 3]);
  assert.deepEqual(d.scalars.collapseStd!.values, [0.7]);
  assert.deepEqual(d.spectra.steps, [2, 4]);
  assert.deepEqual(d.evals.knnAcc, [0.6]);
  assert.equal(appendEvents(d, [{ type: 'scalars', step: 3, epoch: 0.3, values: { loss: 0.8 } }]), d);
  const modes = modeSeries(d.spectra, 'fEig');
  assert.equal(modes.length, 2);
  assert.deepEqual(modes[1]!.y, [1, 0.5]);
  assert.deepEqual(finalSpectrumSeries(d.spectra)[0]!.y, [4, 0.5]);
  assert.deepEqual(modeSeries(emptyRunData().spectra, 'wpEig'), []);
  assert.deepEqual(pickModes(3, 8), [0, 1, 2]);
  const p = pickModes(512, 5);
  assert.deepEqual(p, [0, 128, 256, 383, 511]);
});

function row(id: string, over: Partial<RunRow>): RunRow {
  return {
    id, name: null, status: 'completed', setup: defaultSetup(), setupHash: 'h', createdAt: 0, startedAt: null, endedAt: null, backend: null,
    totalSteps: 100, lastStep: 100, summary: null, error: null, tags: [], dataset: null, ...over,
  };
}

test('runs table: sort with nulls last, filter by words, tags and status', () => {
  const rows = [
    row('a', { createdAt: 3, summary: { knnAcc: 0.5 } as RunRow['summary'], tags: ['base'] }),
    row('b', { createdAt: 1, status: 'running', lastStep: 10, summary: null, name: 'DirectPred try' }),
    row('c', { createdAt: 2, summary: { knnAcc: 0.7 } as RunRow['summary'], setup: parseSetup({ predictor: { kind: 'linear' } }) }),
  ];
  assert.deepEqual(sortRuns(rows, 'created', 'desc').map((r) => r.id), ['a', 'c', 'b']);
  assert.deepEqual(sortRuns(rows, 'summary.knnAcc', 'desc').map((r) => r.id), ['c', 'a', 'b']);
  assert.deepEqual(sortRuns(rows, 'summary.knnAcc', 'asc').map((r) => r.id), ['a', 'c', 'b']);
  assert.deepEqual(sortRuns(rows, 'progress', 'asc').map((r) => r.id), ['b', 'a', 'c']);
  assert.deepEqual(sortRuns(rows, 'setup.predictor.kind', 'asc').map((r) => r.id), ['a', 'b', 'c']);
  assert.deepEqual(filterRuns(rows, 'linear').map((r) => r.id), ['c']);
  assert.deepEqual(filterRuns(rows, 'tag:base').map((r) => r.id), ['a']);
  assert.deepEqual(filterRuns(rows, 'directpred try').map((r) => r.id), ['b']);
  assert.deepEqual(filterRuns(rows, '', new Set(['running'])).map((r) => r.id), ['b']);
  assert.equal(bestOf([0.3, null, 0.1, 0.2], 'lower'), 0.1);
  assert.equal(bestOf([null], 'higher'), null);
});

test('runs table: a sweep\'s runs keep grid order under every key and input order; filter by sweep', () => {
  const sw = (id: string, index: number, createdAt: number) => ({ id, name: id === 's1' ? 'ablation' : null, createdAt, index, alsoIn: [] as { id: string; name: string | null; createdAt: number }[] });
  // Creation times against grid order (a merged archive), listed in another order again.
  const rows = [
    row('m2', { createdAt: 50, sweep: sw('s1', 2, 40) }),
    row('lone', { createdAt: 30 }),
    row('m0', { createdAt: 52, sweep: sw('s1', 0, 40) }),
    row('new', { createdAt: 90 }),
    row('m1', { createdAt: 51, sweep: sw('s1', 1, 40) }),
  ];
  const ids = (rs: RunRow[]) => rs.map((r) => r.id);
  assert.deepEqual(ids(sortRuns(rows, 'created', 'desc')), ['new', 'm0', 'm1', 'm2', 'lone']);
  assert.deepEqual(ids(sortRuns(rows, 'created', 'asc')), ['lone', 'm0', 'm1', 'm2', 'new']);
  assert.deepEqual(ids(sortRuns([...rows].reverse(), 'created', 'desc')), ['new', 'm0', 'm1', 'm2', 'lone'], 'whatever order the list came in');
  assert.deepEqual(ids(sortRuns(rows, 'status', 'asc')), ['new', 'm0', 'm1', 'm2', 'lone'], 'ties of another key in the same order');
  assert.deepEqual(ids(sortRuns(rows, 'sweep', 'asc')), ['m0', 'm1', 'm2', 'new', 'lone'], 'by sweep, runs of none last');
  assert.equal(sweepLabel(sw('0123456789', 0, 0)), 'sweep 01234567');
  assert.deepEqual(ids(filterRuns(rows, '', undefined, 's1')), ['m2', 'm0', 'm1']);
  assert.deepEqual(ids(filterRuns(rows, '', undefined, NO_SWEEP)), ['lone', 'new']);
  assert.deepEqual(ids(filterRuns(rows, 'ablation')), ['m2', 'm0', 'm1'], 'the sweep name is searchable');
  // A run a later sweep reused is in that sweep's filter too, listed under the one that made it.
  const reused = row('r', { sweep: { ...sw('s1', 3, 40), alsoIn: [{ id: 's2', name: 'later', createdAt: 60 }] } });
  assert.deepEqual(ids(filterRuns([...rows, reused], '', undefined, 's2')), ['r']);
  assert.deepEqual(ids(filterRuns([...rows, reused], '', undefined, 's1')), ['m2', 'm0', 'm1', 'r']);
});
