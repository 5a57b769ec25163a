// The errors users hit: no sbatch on PATH, a partition Slurm does not have (sbatch's words), a
// member that fails (its log's last lines), a folder the nodes cannot see (a task without its setup).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { readManifest, folderPaths } from '../../src-main/runs/sweep-folder.ts';
import { problem, skip, dir, ENV, dplab, tiny, sweepFile } from './helpers.ts';

const sweepId = (err: string) => /sweep ([0-9a-f-]{36})/.exec(err)?.[1] ?? '';

test('errors: no sbatch on PATH, a partition Slurm does not have, a failing member, a folder the nodes cannot see', { skip, timeout: 300_000 }, async () => {
  assert.equal(problem, null);
  const f = sweepFile('errs', { base: tiny(4), axes: { 'data.dataset': ['no-such-dataset', 'synthetic'] } });
  const lab = join(dir, 'errs.sqlite');

  // No Slurm client on PATH: says so, and leaves nothing behind in the archive.
  const noPath = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--folder', join(dir, 'errs-nopath')], { ...ENV, PATH: mkdtempSync(join(dir, 'empty-path-')) });
  assert.equal(noPath.code, 1);
  assert.match(noPath.err, /'sbatch' is not on PATH: run this on the cluster's login node/);
  // A partition Slurm does not know: sbatch's own words.
  const bad = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--partition', 'nosuchpart', '--folder', join(dir, 'errs-badpart')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /sbatch refused the job array: .*invalid partition/i);
  const a0 = openArchive(lab, { readonly: true });
  assert.equal(a0.listRuns().length, 0, 'a refused submission leaves no runs');
  assert.equal(a0.listSweeps().length, 0);
  a0.close();
  // A bad option never reaches sbatch.
  const opt = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--mem', 'lots']);
  assert.equal(opt.code, 2);
  assert.match(opt.err, /--mem: expected a size like 8G/);

  // Member 0 fails (its dataset is missing); member 1's setup is not where the node looks.
  const folder = join(dir, 'errs-folder');
  const sub = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--folder', folder, '--sbatch-arg=--hold', '--detach']);
  assert.equal(sub.code, 0, sub.err);
  const id = sub.out.trim();
  const m = readManifest(folder);
  rmSync(folderPaths(folder).setup(1));
  assert.equal(spawnSync('scontrol', ['release', m.jobId!]).status, 0);
  const w = await dplab(['sweep', 'watch', id, '--archive', lab]);
  assert.equal(w.code, 1, w.err);
  const st = await dplab(['sweep', 'status', id, '--archive', lab, '--json']);
  const members = JSON.parse(st.out) as { status: string; detail: string }[];
  assert.deepEqual(members.map((x) => x.status), ['failed', 'failed']);
  assert.match(members[0]!.detail, /no-such-dataset/);
  assert.match(members[1]!.detail, /cannot find the setup .*setups\/1\.json on .*: the sweep folder must be on a filesystem the compute nodes see/);
  assert.match(w.err, /failed\s+errs data\.dataset=no-such-dataset/);
  assert.equal(sweepId(sub.err), id);
});
