// Issue 23: `dplab sweep start --until-decided` adds seeds in rounds at the sequential design's looks
// until every group is decided against the baseline, or --max-seeds. Seeds 0–2 are in the archive
// beforehand (recorded with known values that leave linear undecided against none), so the start
// reuses them (0 to train); of the round to 5 seeds, three runs are finished runs of the same setup
// hash outside the sweep (the round reuses them) and the fourth is trained for real (tfjs, wasm),
// with the smallest setup that still runs the whole path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { expandSweep, type SweepDefinition } from '../../src-main/common/sweep.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-until-decided-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
const archive = join(dir, 'lab.sqlite');

const sweep: SweepDefinition = {
  name: 'rounds',
  // Tiny: the time of a run is its process start, not its three steps and evaluation.
  base: {
    ...QUICK_SETUP,
    data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1, classes: 4, train: 64, test: 32 } },
    encoder: { kind: 'convnet', widths: [4], residual: false },
    projector: { hidden: 8, out: 8 },
    optim: { ...QUICK_SETUP.optim, batchSize: 16, maxSteps: 3 },
    eval: { probeEpochs: 1, probeTrain: 32, probeTest: 32, spectraEvery: 4, statsImages: 16 },
  },
  axes: { 'predictor.kind': ['none', 'linear'] },
  seeds: 3,
  baseline: { path: 'predictor.kind', value: 'none', metric: 'collapseStd', margin: 0 },
};

test('--until-decided reuses the seeds held, adds a round up to the next look, and stops at --max-seeds', { timeout: 600_000 }, () => {
  // Seeds 0–2 as finished runs: linear − none = +0.1, −0.1, +0.05 (an interval across 0: undecided).
  const { members, definition } = expandSweep(sweep);
  const a = openArchive(archive);
  const { runIds } = a.createSweepWithRuns({
    name: 'held',
    definition,
    members: members.map((m) => ({ run: { name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: setupHash(m.setup), seed: m.setup.seed, status: 'running' as const }, idx: m.idx, combo: m.combo })),
  });
  const finish = (runId: string, m: (typeof members)[number], collapseStd: number) =>
    a.appendEvents(runId, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: setupHash(m.setup), backend: 'wasm', steps: 3, epochs: 1, finalLoss: 1, collapseStd, effectiveRank: 4, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 1 } }]);
  members.forEach((m, i) => finish(runIds[i]!, m, 0.5 + (m.setup.predictor.kind === 'linear' ? [0.1, -0.1, 0.05][m.setup.seed]! : 0)));
  // Seeds 3 and 4 of none and seed 3 of linear, finished outside any sweep; linear seed 4 is left to train.
  for (const m of expandSweep({ ...sweep, seeds: 5 }).members) {
    const { seed, predictor } = m.setup;
    if (seed < 3 || (predictor.kind === 'linear' && seed === 4)) continue;
    const run = a.createRun({ name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: setupHash(m.setup), seed, status: 'running' });
    finish(run.uuid, m, 0.5 + (predictor.kind === 'linear' ? 0.08 : 0));
  }
  a.close();

  const file = join(dir, 'sweep.json');
  writeFileSync(file, JSON.stringify(sweep));
  const r = spawnSync(process.execPath, [bin, 'sweep', file, '--until-decided', '--max-seeds', '5', '--backend', 'wasm', '--concurrency', '2', '--quiet'], { encoding: 'utf8', env: { ...process.env, DPLAB_ARCHIVE: archive } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /6 run\(s\): 0 to train, \d+ at a time; 6 reused/);
  assert.match(r.stderr, /round to 5 seeds: 1 run\(s\) to train, 3 reused/);
  assert.match(r.stderr, /every group is decided at 5 seed\(s\)|stopped at --max-seeds 5: 1 group\(s\) still undecided/);
  assert.doesNotMatch(r.stderr, /round to 8 seeds/, 'no round past --max-seeds');
  assert.match(r.stdout, /group-sequential design up to 5 seeds; margin 0:/);
  assert.match(r.stdout, /\nlinear\s+5\s+\S+\s+95% \[/, 'the table judges the five pairs');

  const b = openArchive(archive, { create: false });
  const started = b.listSweeps().find((s) => s.name === 'rounds')!;
  const s = b.getSweep(started.uuid)!;
  const trained = b.listRuns({ sweep: started.uuid }).filter((run) => run.summary?.wallSec !== 1);
  b.close();
  assert.equal(s.members.length, 10);
  assert.deepEqual(trained.map((run) => [run.status, run.seed, (run.setup as { predictor: { kind: string } }).predictor.kind]), [['completed', 4, 'linear']], 'the one run trained for real');
  assert.deepEqual(s.members.map((m) => m.idx), [...Array(10).keys()]);
  assert.deepEqual(s.members.map((m) => m.combo.seed).sort(), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.equal((s.definition as SweepDefinition).seeds, 5);
  assert.deepEqual((s.definition as SweepDefinition).baseline, sweep.baseline, 'the baseline is stored with the sweep');
});

test('--until-decided without a baseline, or with --max-seeds past the schedule, is a usage error naming it', () => {
  const file = join(dir, 'plain.json');
  const { baseline: _b, ...plain } = sweep;
  writeFileSync(file, JSON.stringify(plain));
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'sweep', file, ...args], { encoding: 'utf8', env: { ...process.env, DPLAB_ARCHIVE: archive } });
  let r = run('--until-decided', '--dry-run');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--until-decided compares every group with a baseline: name one with --baseline path=value/);
  r = run('--until-decided', '--baseline', 'predictor.kind=none', '--max-seeds', '50', '--dry-run');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--max-seeds must be an integer from 3 to 20, got '50'/);
});
