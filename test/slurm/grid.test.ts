// A 2 × 2 grid of tiny seeded runs through ONE Slurm job array: each run once in the merged archive,
// the same metrics as --executor local, merging twice adds nothing, and the folder alone imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { mergeShard } from '../../src-main/archive/merge.ts';
import { memberShard, readManifest, folderPaths } from '../../src-main/runs/sweep-folder.ts';
import { problem, skip, dir, dplab, tiny, sweepFile, squeueTasks, sameRuns } from './helpers.ts';


test('the Slurm test cluster is up (CI must have it)', { skip }, () => {
  assert.equal(problem, null, `${problem}: CI=true runs must start the cluster (scripts/slurm-test-cluster.sh start)`);
});

test('a 2 × 2 grid through one job array: each run once, the same metrics as --executor local, merges idempotent, importable from its folder', { skip, timeout: 480_000 }, async () => {
  assert.equal(problem, null);
  const f = sweepFile('grid', { base: tiny(6), axes: { 'predictor.kind': ['linear', 'directpred'] }, seeds: 2 });
  const folder = join(dir, 'grid-folder');
  const lab = join(dir, 'grid-slurm.sqlite');
  const s = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--checkpoint-every', '2', '--cpus-per-task', '1', '--folder', folder]);
  assert.equal(s.code, 0, s.err);
  assert.match(s.err, /4 run\(s\) as Slurm job array \d+/);
  assert.match(s.out, /^predictor\.kind\s+n\s+finalLoss/m);
  const manifest = readManifest(folder);
  assert.match(readFileSync(folderPaths(folder).jobScript, 'utf8'), new RegExp(`#SBATCH --array=0-3\\n`));
  assert.deepEqual(squeueTasks(manifest.jobId!), []);

  const local = join(dir, 'grid-local.sqlite');
  const l = await dplab(['sweep', f, '--archive', local, '--backend', 'wasm', '--checkpoint-every', '2', '--concurrency', '2']);
  assert.equal(l.code, 0, l.err);

  const a = openArchive(lab);
  const b = openArchive(local, { readonly: true });
  const sa = a.listSweeps();
  assert.equal(sa.length, 1);
  assert.equal(a.listRuns().length, 4, 'each member once (the placeholders were replaced, not added to)');
  sameRuns(a, b, sa[0]!.uuid, b.listSweeps()[0]!.uuid);
  // Each task trains on the one CPU it was given (--cpus-per-task 1), not on every core of the node.
  for (const r of a.listRuns()) assert.equal(r.summary?.threads, 1, `${r.name} trained on ${r.summary?.threads} threads`);
  assert.deepEqual((a.getSweep(sa[0]!.uuid)!.definition as { executor: unknown }).executor, { kind: 'slurm', folder, jobId: manifest.jobId });

  // Merging the same shards again adds nothing.
  const before = a.counts();
  for (let i = 0; i < 4; i++) {
    const { file, member } = memberShard(folder, i);
    assert.equal(mergeShard(a, file, member).result, 'present');
  }
  assert.deepEqual(a.counts(), before);
  a.close();
  b.close();

  // status reads Slurm's words per member.
  const st = await dplab(['sweep', 'status', sa[0]!.uuid, '--archive', lab, '--json']);
  assert.equal(st.code, 0, st.err);
  const members = JSON.parse(st.out) as { status: string; detail: string; step: number }[];
  assert.deepEqual(members.map((m) => m.status), ['completed', 'completed', 'completed', 'completed']);
  members.forEach((m, i) => assert.match(m.detail, new RegExp(`^${manifest.jobId}_${i} COMPLETED`)));

  // The desktop's view: the folder alone (after rsync) gives the same runs, once.
  const desk = join(dir, 'desktop.sqlite');
  const imp = await dplab(['archive', 'import', folder, '--archive', desk]);
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /imported 4 run\(s\) from the sweep folder/);
  const again = await dplab(['archive', 'import', folder, '--archive', desk]);
  assert.match(again.out, /imported 0 run\(s\) .*4 already present/);
  const d = openArchive(desk, { readonly: true });
  const c = openArchive(lab, { readonly: true });
  assert.equal(d.listRuns().length, 4);
  assert.equal(d.getSweep(sa[0]!.uuid)!.members.length, 4, 'the sweep and its members came along');
  sameRuns(d, c, sa[0]!.uuid, sa[0]!.uuid);
  d.close();
  c.close();
});
