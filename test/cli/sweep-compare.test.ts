// Issue 23: a sweep names a baseline and `dplab sweep table` judges every group against it with the
// claims' engine (reproduce/compare.ts); a sweep started again reuses the finished runs of the same
// setup hash instead of training them. Real tiny runs (tfjs, wasm) in a temporary archive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-sweep-compare-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
const archive = join(dir, 'lab.sqlite');

function dplab(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, DPLAB_ARCHIVE: archive } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const base = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 3 } };
const file = join(dir, 'sweep.json');
const sweep = { name: 'cmp', base, axes: { 'predictor.kind': ['none', 'linear'] }, seeds: 3, baseline: { path: 'predictor.kind', value: 'none', metric: 'collapseStd' } };

test('a baseline naming no axis or no value of it is refused before anything starts, naming it', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...sweep, baseline: { path: 'optim.lr', value: 0.1 } }));
  let r = dplab('sweep', bad, '--dry-run');
  assert.equal(r.code, 2);
  assert.match(r.err, /baseline\.path: 'optim\.lr' is not an axis of this sweep \(axes: predictor\.kind\)/);
  writeFileSync(bad, JSON.stringify({ ...sweep, baseline: { path: 'predictor.kind', value: 'mlp' } }));
  r = dplab('sweep', bad, '--dry-run');
  assert.equal(r.code, 2);
  assert.match(r.err, /baseline\.value: "mlp" is not a value of axis 'predictor\.kind' \(values: "none", "linear"\)/);
});

test('sweep table: each group paired by seed with the baseline, its interval and verdict; a second start trains 0 runs and reuses 6', { timeout: 600_000 }, () => {
  writeFileSync(file, JSON.stringify(sweep));
  const first = dplab('sweep', file, '--backend', 'wasm', '--concurrency', '2', '--quiet');
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /6 run\(s\): 6 to train, \d+ at a time; 0 reused/);
  assert.match(first.out, /against predictor\.kind=none on collapseStd \(higher is better\), paired by seed/);
  assert.match(first.out, /\nnone\s+—\s+—\s+—\s+—\s+baseline\n/);
  assert.match(first.out, /\nlinear\s+3\s+[+−0]\S*\s+95% \[\S+, \S+\]\s+\S+\s+(better|not better|undecided)\n/);

  // The JSON of `sweep table` against the archive's own numbers, paired by hand.
  const a = openArchive(archive, { create: false });
  const runs = a.listRuns({});
  const sweepId = a.listSweeps()[0]!.uuid;
  a.close();
  assert.equal(runs.length, 6);
  const value = (kind: string, seed: number) => runs.find((r) => (r.setup as { predictor: { kind: string } }).predictor.kind === kind && r.seed === seed)!.summary!.collapseStd as number;
  const diffs = [0, 1, 2].map((s) => value('linear', s) - value('none', s));
  const mean = diffs.reduce((x, y) => x + y, 0) / 3;
  const noneValues = [0, 1, 2].map((s) => value('none', s));
  const noneMean = noneValues.reduce((x, y) => x + y, 0) / 3;
  const noise = Math.sqrt(noneValues.reduce((x, y) => x + (y - noneMean) ** 2, 0) / 2);
  const t = dplab('sweep', 'table', sweepId, '--json');
  assert.equal(t.code, 0, t.err);
  const j = JSON.parse(t.out) as { comparison: { metric: string; direction: string; groups: { key: Record<string, unknown>; isBaseline: boolean; pairs: { seed: number; difference: number }[]; margin: number; difference: { mean: number; ci: [number, number] | null }; word: string }[] } };
  assert.equal(j.comparison.metric, 'collapseStd');
  assert.equal(j.comparison.direction, 'greater');
  const linear = j.comparison.groups.find((g) => g.key['predictor.kind'] === 'linear')!;
  assert.deepEqual(linear.pairs.map((p) => p.seed), [0, 1, 2]);
  linear.pairs.forEach((p, i) => assert.ok(Math.abs(p.difference - diffs[i]!) < 1e-12));
  assert.ok(Math.abs(linear.difference.mean - mean) < 1e-12);
  assert.ok(Math.abs(linear.margin - noise) < 1e-12, 'default margin: the std over seeds of the baseline group');
  assert.ok(linear.difference.ci![0] < mean && mean < linear.difference.ci![1]);
  const expected = linear.difference.ci![0] > noise ? 'better' : linear.difference.ci![1] < noise ? 'not better' : 'undecided';
  assert.equal(linear.word, expected);
  // A margin and another metric on the command line; a baseline value the sweep lacks is named.
  const m = dplab('sweep', 'table', sweepId, '--baseline', 'predictor.kind=linear', '--metric', 'effectiveRank', '--margin', '1000');
  assert.equal(m.code, 0, m.err);
  assert.match(m.out, /against predictor\.kind=linear on effectiveRank \(higher is better\).*margin 1\.00e\+3:/);
  assert.match(m.out, /\nnone\s+3\s+\S+\s+95% \[\S+, \S+\]\s+1\.00e\+3\s+(not better|undecided)\n/);
  const bad = dplab('sweep', 'table', sweepId, '--baseline', 'predictor.kind=mlp');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--baseline: "mlp" is not a value of axis 'predictor\.kind'/);

  // Started again ("edit as new sweep" with nothing changed): every member is a finished run already.
  const again = dplab('sweep', file, '--backend', 'wasm', '--quiet');
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, /6 run\(s\): 0 to train, \d+ at a time; 6 reused/);
  const b = openArchive(archive, { create: false });
  assert.equal(b.listRuns({}).length, 6, 'no run was created');
  const sweeps = b.listSweeps();
  assert.equal(sweeps.length, 2);
  assert.equal(sweeps[0]!.runs, 6, 'the new sweep links the six runs');
  b.close();
  assert.match(again.out, /\nlinear\s+3\s+/);
});
