// Issue 23: a sweep names a baseline and `dplab sweep table` judges every group against it with the
// claims' engine (reproduce/compare.ts); a sweep started again reuses the finished runs of the same
// setup hash instead of training them. Five of the six members are finished runs recorded in the
// archive beforehand (the table only reads them); the sixth is trained for real (tfjs, wasm) with
// the smallest setup that still runs the whole path, so a really trained run is judged and reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { expandSweep, type SweepDefinition } from '../../src-main/common/sweep.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-sweep-compare-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
const archive = join(dir, 'lab.sqlite');

/** One `dplab` process; asynchronous so that independent commands run side by side. */
function dplab(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, DPLAB_ARCHIVE: archive } }, (e, out, err) => done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err }));
  });
}

// Tiny: the time of a run is its process start, not its three steps and evaluation.
const base = {
  ...QUICK_SETUP,
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1 as const, classes: 4, train: 64, test: 32 } },
  encoder: { kind: 'convnet' as const, widths: [4], residual: false },
  projector: { hidden: 8, out: 8 },
  optim: { ...QUICK_SETUP.optim, batchSize: 16, maxSteps: 3 },
  eval: { probeEpochs: 1, probeTrain: 32, probeTest: 32, spectraEvery: 4, statsImages: 16 },
};
const file = join(dir, 'sweep.json');
const sweep: SweepDefinition = { name: 'cmp', base, axes: { 'predictor.kind': ['none', 'linear'] }, seeds: 3, baseline: { path: 'predictor.kind', value: 'none', metric: 'collapseStd' } };

test('a baseline naming no axis or no value of it is refused before anything starts, naming it', async () => {
  const noAxis = join(dir, 'bad-axis.json');
  const noValue = join(dir, 'bad-value.json');
  writeFileSync(noAxis, JSON.stringify({ ...sweep, baseline: { path: 'optim.lr', value: 0.1 } }));
  writeFileSync(noValue, JSON.stringify({ ...sweep, baseline: { path: 'predictor.kind', value: 'mlp' } }));
  const [q, r] = await Promise.all([dplab('sweep', noAxis, '--dry-run'), dplab('sweep', noValue, '--dry-run')]);
  assert.equal(q.code, 2);
  assert.match(q.err, /baseline\.path: 'optim\.lr' is not an axis of this sweep \(axes: predictor\.kind\)/);
  assert.equal(r.code, 2);
  assert.match(r.err, /baseline\.value: "mlp" is not a value of axis 'predictor\.kind' \(values: "none", "linear"\)/);
});

test('sweep table: each group paired by seed with the baseline, its interval and verdict; a second start trains 0 runs and reuses 6', { timeout: 600_000 }, async () => {
  // Finished runs of five members (linear seed 2 left out), recorded as a trained run records them.
  const held = openArchive(archive);
  expandSweep(sweep).members.forEach((m, i) => {
    const kind = m.setup.predictor.kind;
    if (kind === 'linear' && m.setup.seed === 2) return;
    const hash = setupHash(m.setup);
    const run = held.createRun({ name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: hash, seed: m.setup.seed, status: 'running' });
    const collapseStd = kind === 'none' ? [0.5, 0.6, 0.55][m.setup.seed]! : [0.62, 0.58][m.setup.seed]!;
    held.appendEvents(run.uuid, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: hash, backend: 'wasm', steps: 3, epochs: 1, finalLoss: 1, collapseStd, effectiveRank: 3 + i / 10, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 1 } }]);
  });
  held.close();
  writeFileSync(file, JSON.stringify(sweep));
  const first = await dplab('sweep', file, '--backend', 'wasm', '--quiet');
  assert.equal(first.code, 0, first.err);
  assert.match(first.err, /6 run\(s\): 1 to train, \d+ at a time; 5 reused/);
  assert.match(first.out, /against predictor\.kind=none on collapseStd \(higher is better\), paired by seed/);
  assert.match(first.out, /\nnone\s+—\s+—\s+—\s+—\s+baseline\n/);
  assert.match(first.out, /\nlinear\s+3\s+[+−0]\S*\s+95% \[\S+, \S+\]\s+\S+\s+(better|not better|undecided)\n/);

  // The JSON of `sweep table` against the archive's own numbers, paired by hand.
  const a = openArchive(archive, { create: false });
  const runs = a.listRuns({});
  const sweepId = a.listSweeps()[0]!.uuid;
  a.close();
  assert.equal(runs.length, 6);
  assert.equal(runs.filter((r) => r.status === 'completed').length, 6, 'the sixth run was trained to the end');
  const value = (kind: string, seed: number) => runs.find((r) => (r.setup as { predictor: { kind: string } }).predictor.kind === kind && r.seed === seed)!.summary!.collapseStd as number;
  const diffs = [0, 1, 2].map((s) => value('linear', s) - value('none', s));
  const mean = diffs.reduce((x, y) => x + y, 0) / 3;
  const noneValues = [0, 1, 2].map((s) => value('none', s));
  const noneMean = noneValues.reduce((x, y) => x + y, 0) / 3;
  const noise = Math.sqrt(noneValues.reduce((x, y) => x + (y - noneMean) ** 2, 0) / 2);
  // The three readings of the table are independent: side by side.
  const [t, m, bad] = await Promise.all([
    dplab('sweep', 'table', sweepId, '--json'),
    dplab('sweep', 'table', sweepId, '--baseline', 'predictor.kind=linear', '--metric', 'effectiveRank', '--margin', '1000'),
    dplab('sweep', 'table', sweepId, '--baseline', 'predictor.kind=mlp'),
  ]);
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
  assert.equal(m.code, 0, m.err);
  assert.match(m.out, /against predictor\.kind=linear on effectiveRank \(higher is better\).*margin 1\.00e\+3:/);
  assert.match(m.out, /\nnone\s+3\s+\S+\s+95% \[\S+, \S+\]\s+1\.00e\+3\s+(not better|undecided)\n/);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--baseline: "mlp" is not a value of axis 'predictor\.kind'/);

  // Started again ("edit as new sweep" with nothing changed): every member is a finished run already.
  const again = await dplab('sweep', file, '--backend', 'wasm', '--quiet');
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
