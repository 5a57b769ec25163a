import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandSweep, type SweepDefinition } from '../../src-main/common/sweep.ts';
import { createSweepRuns } from '../../src-main/runs/sweep.ts';
import { Requests } from '../../src-main/contract/index.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatGroupTable, groupBaselines, groupRuns, meanStd } from '../../src-main/runs/aggregate.ts';

const base = { optim: { batchSize: 32, epochs: 1 }, predictor: { kind: 'directpred', rho: 0.3 } };

test('expansion: the full grid × seeds, last axis fastest, seeds innermost', () => {
  const def: SweepDefinition = { name: 'abl', base, axes: [{ path: 'optim.lr', values: [0.01, 0.1] }, { path: 'predictor.kind', values: ['linear', 'directpred', 'none'] }], seeds: 2 };
  const { members, issues } = expandSweep(def);
  assert.deepEqual(issues, []);
  assert.equal(members.length, 2 * 3 * 2);
  assert.deepEqual(members.map((m) => m.idx), [...Array(12).keys()]);
  assert.deepEqual(members[0]!.combo, { 'optim.lr': 0.01, 'predictor.kind': 'linear', seed: 0 });
  assert.deepEqual(members[1]!.combo, { 'optim.lr': 0.01, 'predictor.kind': 'linear', seed: 1 });
  assert.deepEqual(members[2]!.combo, { 'optim.lr': 0.01, 'predictor.kind': 'directpred', seed: 0 });
  assert.deepEqual(members[11]!.combo, { 'optim.lr': 0.1, 'predictor.kind': 'none', seed: 1 });
  for (const m of members) {
    assert.equal(m.setup.optim.lr, m.combo['optim.lr']);
    assert.equal(m.setup.predictor.kind, m.combo['predictor.kind']);
    assert.equal(m.setup.seed, m.combo.seed);
    assert.equal(m.setup.optim.batchSize, 32, 'base fields carry over');
  }
  // Switching the predictor kind keeps only that kind's fields; DirectPred keeps the base's ρ.
  const dp = members.find((m) => m.combo['predictor.kind'] === 'directpred')!;
  assert.equal((dp.setup.predictor as { rho: number }).rho, 0.3);
  assert.equal(members[0]!.name, 'abl optim.lr=0.01 predictor.kind=linear seed=0');
  // Pure: expanding again gives the same members; the definition is not mutated.
  const again = expandSweep(def);
  assert.deepEqual([again.members, again.issues], [members, issues]);
  assert.deepEqual(def.base, base);
});

test('expansion: axes as an object, explicit seed list, seeds counted from base.seed', () => {
  const a = expandSweep({ base: { ...base, seed: 10 }, axes: { 'optim.momentum': [0.9, 0.99] }, seeds: 3 });
  assert.deepEqual(a.members.map((m) => m.setup.seed), [10, 11, 12, 10, 11, 12]);
  const b = expandSweep({ base, seeds: [7, 3] });
  assert.deepEqual(b.members.map((m) => m.setup.seed), [7, 3]);
  const c = expandSweep({ base, axes: { predictor: [{ kind: 'linear', symmetric: true }, { kind: 'mlp' }] } });
  assert.deepEqual(c.issues, []);
  assert.deepEqual(c.members.map((m) => m.setup.predictor.kind), ['linear', 'mlp']);
});

test('invalid combinations are all reported with member and field path, and nothing is returned to run', () => {
  const r = expandSweep({
    base,
    axes: [
      { path: 'method', values: ['byol', 'simsiam'] },
      { path: 'stopGradient', values: [true, false] },
      { path: 'optim.lr', values: [0.05, -1] },
    ],
  });
  assert.equal(r.members.length, 0);
  // byol + stopGradient false is invalid (2 lr values), and lr −1 is invalid in every combination (4).
  const sg = r.issues.filter((i) => i.path === 'stopGradient');
  assert.equal(sg.length, 2);
  assert.ok(sg.every((i) => i.combo.method === 'byol' && i.combo.stopGradient === false));
  const lr = r.issues.filter((i) => i.path === 'optim.lr');
  assert.equal(lr.length, 4);
  assert.ok(lr.every((i) => i.combo['optim.lr'] === -1 && i.idx >= 0));

  const typo = expandSweep({ base, axes: { 'optim.lrr': [0.1] } });
  assert.equal(typo.members.length, 0);
  assert.equal(typo.issues[0]!.path, 'optim.lrr');
  assert.match(typo.issues[0]!.message, /not a setup field/);

  const bad = expandSweep({ base, axes: [{ path: 'optim.lr', values: [] }, { path: 'seed', values: [1] }], seeds: 0, extra: 1 } as never);
  assert.deepEqual(bad.issues.map((i) => i.path).sort(), ['axes', 'axes[0].values', 'extra', 'seeds']);
  assert.ok(bad.issues.every((i) => i.idx === -1));

  const huge = expandSweep({ base, axes: { 'optim.lr': Array.from({ length: 200 }, (_, i) => 0.001 * (i + 1)), 'optim.momentum': Array.from({ length: 60 }, (_, i) => i / 100) } });
  assert.match(huge.issues[0]!.message, /12000 runs/);
});

test('mean ± std: sample std, non-finite values ignored', () => {
  const s = meanStd([1, 2, 3, 4, NaN]);
  assert.equal(s.n, 4);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.std! - Math.sqrt(5 / 3)) < 1e-12);
  assert.deepEqual(meanStd([2]), { mean: 2, std: null, n: 1 });
  assert.deepEqual(meanStd([]), { mean: null, std: null, n: 0 });
});

test('group-by aggregation over any setup fields', () => {
  const { members } = expandSweep({ base, axes: { 'optim.lr': [0.1, 0.01], 'predictor.kind': ['linear', 'directpred'] }, seeds: 3 });
  // Synthetic final metrics: a known function of the setup plus a seed offset, so means and stds are known.
  const runs = members.map((m, i) => ({
    uuid: `u${i}`,
    status: m.setup.seed === 2 && m.setup.optim.lr === 0.01 ? 'diverged' : 'completed',
    setup: m.setup,
    summary: m.setup.seed === 2 && m.setup.optim.lr === 0.01 ? { probeAcc: null } : { probeAcc: 10 * m.setup.optim.lr + (m.setup.predictor.kind === 'linear' ? 0 : 0.5) + m.setup.seed / 10 },
  }));
  const byBoth = groupRuns(runs, ['optim.lr', 'predictor.kind'], ['probeAcc']);
  assert.equal(byBoth.length, 4);
  assert.deepEqual(byBoth.map((g) => g.key), [
    { 'optim.lr': 0.01, 'predictor.kind': 'directpred' },
    { 'optim.lr': 0.01, 'predictor.kind': 'linear' },
    { 'optim.lr': 0.1, 'predictor.kind': 'directpred' },
    { 'optim.lr': 0.1, 'predictor.kind': 'linear' },
  ]);
  const g = byBoth[3]!; // lr 0.1, linear: values 1.0, 1.1, 1.2
  assert.equal(g.runs.length, 3);
  assert.ok(Math.abs(g.metrics.probeAcc!.mean! - 1.1) < 1e-12);
  assert.ok(Math.abs(g.metrics.probeAcc!.std! - 0.1) < 1e-12);
  const d = byBoth[0]!; // lr 0.01, directpred: seed 2 diverged → two values 0.6, 0.7
  assert.deepEqual(d.statuses, { completed: 2, diverged: 1 });
  assert.equal(d.metrics.probeAcc!.n, 2);
  assert.ok(Math.abs(d.metrics.probeAcc!.mean! - 0.65) < 1e-12);
  const byKind = groupRuns(runs, ['predictor.kind'], ['probeAcc']);
  assert.deepEqual(byKind.map((x) => x.runs.length), [6, 6]);
  const table = formatGroupTable(byBoth, ['optim.lr', 'predictor.kind'], ['probeAcc']);
  assert.match(table.split('\n')[4]!, /^0\.1\s+linear\s+3\s+1\.100 ± 0\.1000$/);
});

test('one sweep schema: the contract accepts a definition exactly when expandSweep finds no definition issue', () => {
  const defs: unknown[] = [
    { base, axes: [{ path: 'optim.lr', values: [0.1] }] }, // list form: the contract used to reject it
    { base, axes: { 'optim.lr': [0.1] }, seeds: 200 }, // more than 100 seeds: the contract used to reject it
    { base, axes: { 'optim.lr': [0.1] }, extra: 1 }, // unknown field: the contract used to drop it silently
    { axes: { 'optim.lr': [0.1] } }, // no base: defaults
    { base, axes: { 'optim lr': [0.1] } },
    { base, axes: [{ path: 'optim.lr', values: [1] }, { path: 'optim.lr', values: [2] }] },
    { base, axes: { seed: [1, 2] } },
    { base, seeds: [] },
    { base, axes: { 'optim.lr': [] } },
  ];
  for (const def of defs) {
    const contractOk = Requests['sweeps.preview'].safeParse({ definition: def }).success;
    const sweepOk = expandSweep(def).issues.every((i) => i.idx >= 0);
    assert.equal(contractOk, sweepOk, JSON.stringify(def));
  }
  assert.ok(Requests['sweeps.preview'].safeParse({ definition: { base, concurrency: 2 } }).success, 'the contract adds concurrency');
});

test('sweep creation is atomic: a failure while recording the sweep leaves no member runs behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-sweep-'));
  const archive = openArchive(join(dir, 'a.sqlite'));
  try {
    const { members, definition } = expandSweep({ base, axes: { 'optim.lr': [0.1, 0.2] } });
    const ok = createSweepRuns(archive, definition!, members);
    assert.equal(archive.listRuns({ sweep: ok.sweepId }).length, 2);
    const before = archive.listRuns().length;
    // A combination that cannot be stored (BigInt has no JSON form) makes the sweep row fail after the runs were inserted.
    const broken = members.map((m, i) => (i === 1 ? { ...m, combo: { ...m.combo, bad: 1n } } : m));
    assert.throws(() => createSweepRuns(archive, definition!, broken), /BigInt/);
    assert.equal(archive.listRuns().length, before);
  } finally {
    archive.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sweep groups carry their random-init baseline: mean ± std over the runs that recorded step 0, same order', () => {
  const run = (uuid: string, kind: string, baseline: Record<string, number> | null | undefined) => ({
    uuid, status: 'completed', setup: { predictor: { kind } }, summary: { probeAcc: 0.9, ...(baseline !== undefined ? { baseline } : {}) },
  });
  const runs = [
    run('a', 'none', { probeAcc: 0.2, knnAcc: 0.3 }),
    run('b', 'none', { probeAcc: 0.4, knnAcc: 0.5 }),
    run('c', 'linear', { probeAcc: 0.25, knnAcc: 0.1 }),
    run('d', 'linear', undefined), // made before runs evaluated at step 0
    run('e', 'linear', null),
  ];
  const rows = groupRuns(runs, ['predictor.kind'], ['probeAcc']);
  const base = groupBaselines(rows, runs, ['probeAcc', 'knnAcc', 'effectiveRank']);
  assert.equal(base.length, rows.length);
  const at = (kind: string) => base[rows.findIndex((r) => r.key['predictor.kind'] === kind)]!;
  assert.ok(Math.abs(at('none').probeAcc!.mean! - 0.3) < 1e-12);
  assert.ok(Math.abs(at('none').probeAcc!.std! - Math.SQRT2 / 10) < 1e-12);
  assert.equal(at('none').knnAcc!.n, 2);
  assert.deepEqual(at('linear').probeAcc, { mean: 0.25, std: null, n: 1 });
  assert.deepEqual(at('linear').effectiveRank, { mean: null, std: null, n: 0 });
  // A baseline's own keys only: a planted prototype key is not a metric.
  const odd = [{ ...run('f', 'none', null), summary: { baseline: JSON.parse('{"__proto__": {"probeAcc": 5}}') } }];
  assert.deepEqual(groupBaselines(groupRuns(odd, ['predictor.kind'], []), odd, ['probeAcc'])[0]!.probeAcc, { mean: null, std: null, n: 0 });
});
