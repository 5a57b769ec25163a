// npm test: mostly waits (on the Slurm scheduler and the tasks' status files: its own process computes under a third of its wall time, its jobs train tiny setups, 2026-12-08)
// Issue 23: a Slurm sweep reuses the runs the archive already holds by setup hash, as a local sweep
// and the Paper view do: the job array gets a task only for the members to train, the sweep record
// marks the reused ones and `dplab sweep` says how many; with every member held, no job is
// submitted. Its baseline and margin from the command line are stored with it and in its folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { expandSweep, type SweepDefinition } from '../../src-main/common/sweep.ts';
import { folderPaths, readManifest } from '../../src-main/runs/sweep-folder.ts';
import { problem, skip, dir, dplab, tiny, sweepFile, squeueTasks } from './helpers.ts';

test('the Slurm test cluster is up (CI must have it)', { skip }, () => {
  assert.equal(problem, null, `${problem}: CI=true runs must start the cluster (scripts/slurm-test-cluster.sh start)`);
});

test('a Slurm sweep trains only the members the archive lacks, says how many it reused, and stores its baseline', { skip, timeout: 480_000 }, async () => {
  assert.equal(problem, null);
  const def = { name: 'reuse', base: tiny(6), axes: { 'predictor.kind': ['linear', 'directpred'] }, seeds: 2 };
  const f = sweepFile('reuse', def);
  const lab = join(dir, 'reuse.sqlite');
  // Members 0 and 2 (seed 0 of each kind) are finished runs already (recorded as a trainer records them).
  const held = openArchive(lab);
  const members = expandSweep(def).members;
  const had = [0, 2].map((i) => {
    const m = members[i]!;
    const hash = setupHash(m.setup);
    const run = held.createRun({ name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: hash, seed: m.setup.seed, status: 'running' });
    held.appendEvents(run.uuid, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: hash, backend: 'wasm', steps: 6, epochs: 1, finalLoss: 1, collapseStd: 0.5, effectiveRank: 3, probeAcc: 0.4 + i / 100, knnAcc: 0.4, imagesPerSec: 100, wallSec: 1 } }]);
    return run.uuid;
  });
  held.close();

  const folder = join(dir, 'reuse-folder');
  const s = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--checkpoint-every', '2', '--cpus-per-task', '1', '--folder', folder, '--baseline', 'predictor.kind=linear', '--margin', '0.01']);
  assert.equal(s.code, 0, s.err);
  assert.match(s.err, /4 run\(s\) as Slurm job array \d+: 2 to train, 2 reused \(finished runs of the same setup hash\)/);
  assert.match(readFileSync(folderPaths(folder).jobScript, 'utf8'), /\n#SBATCH --array=1,3\n/);
  const manifest = readManifest(folder);
  assert.deepEqual(manifest.members.map((m) => m.idx), [1, 3], 'the folder holds the members to train');
  const stored = { path: 'predictor.kind', value: 'linear', metric: 'probeAcc', margin: 0.01 };
  assert.deepEqual(manifest.definition.baseline, stored);
  assert.deepEqual(squeueTasks(manifest.jobId!), []);
  assert.match(s.out, /against predictor\.kind=linear on probeAcc/);

  const a = openArchive(lab, { create: false });
  const sweepId = a.listSweeps()[0]!.uuid;
  const rec = a.getSweep(sweepId)!;
  assert.deepEqual(rec.members.map((m) => [m.idx, m.reused]), [[0, true], [1, false], [2, true], [3, false]]);
  assert.deepEqual([rec.members[0]!.runUuid, rec.members[2]!.runUuid], had, 'the held runs, linked');
  assert.deepEqual(a.listSweeps().map((x) => x.reused), [2]);
  assert.equal(a.listRuns().length, 4, 'two held, two trained: none twice');
  for (const m of rec.members) assert.equal(a.getRun(m.runUuid)!.status, 'completed', `member ${m.idx}`);
  assert.deepEqual((rec.definition as SweepDefinition).baseline, stored);
  a.close();

  // Later: status says which members the job trained and how many were reused; the table keeps the baseline.
  const [st, table] = await Promise.all([dplab(['sweep', 'status', sweepId, '--archive', lab]), dplab(['sweep', 'table', sweepId, '--archive', lab])]);
  assert.equal(st.code, 0, st.err);
  assert.match(st.out, /^ {3}1 {2}completed/m);
  assert.match(st.out, /^ {3}3 {2}completed/m);
  assert.match(st.out, /2 more member\(s\) reused finished runs of the same setup hash/);
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /against predictor\.kind=linear on probeAcc .*margin 0\.01\d*:/);

  // The same grid again: every member is held, no job is submitted, nothing is created.
  const again = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--folder', join(dir, 'reuse-again')]);
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, /4 run\(s\), no Slurm job: 0 to train, 4 reused/);
  assert.match(again.out, /^predictor\.kind\s+n\s+/m);
  const b = openArchive(lab, { create: false });
  assert.equal(b.listRuns().length, 4);
  assert.deepEqual(b.listSweeps().map((x) => [x.runs, x.reused]), [[4, 4], [4, 2]]);
  b.close();
});
