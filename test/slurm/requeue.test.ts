// npm test: mostly waits (on the Slurm scheduler and the tasks' status files: its own process computes under a third of its wall time, its jobs train tiny setups, 2026-12-08)
// A scancelled task, a task whose trainer is kill -9'd and a task sent the time-limit signal are
// requeued and resume from their shard's checkpoint; the merged runs equal uninterrupted ones, step by step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { readManifest, readTaskStatus, folderPaths } from '../../src-main/runs/sweep-folder.ts';
import { problem, skip, dir, dplab, tiny, sweepFile, until, sameRuns } from './helpers.ts';


test('scancel of a running task, kill -9 of a task\'s trainer, and the time-limit signal: each requeued, resumed from its checkpoint, same metrics as uninterrupted runs', { skip, timeout: 480_000 }, async () => {
  assert.equal(problem, null);
  // Long enough that a task hit at its third checkpoint (step 9) cannot finish before the signal
  // lands: at 60 steps task 2, alone on the node, once ran its last 51 steps inside the status file's
  // one-second lag and completed without a requeue (CI, 2026-12-07).
  const STEPS = 150;
  const f = sweepFile('requeue', { base: tiny(STEPS), seeds: 3 });
  const folder = join(dir, 'requeue-folder');
  const lab = join(dir, 'requeue.sqlite');
  const sub = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--checkpoint-every', '3', '--cpus-per-task', '1', '--folder', folder, '--detach']);
  assert.equal(sub.code, 0, sub.err);
  const id = sub.out.trim();
  const m = readManifest(folder);
  const p = folderPaths(folder);
  // Both tasks past their third checkpoint, not yet done.
  const ckAt = (i: number) => {
    if ((readTaskStatus(folder, i)?.step ?? 0) < 10) return 0; // by then the task has made its shard
    const s = openArchive(p.shard(i), { readonly: true });
    try {
      return s.latestCheckpoint(m.members[i]!.runUuid)?.step ?? 0;
    } finally {
      s.close();
    }
  };
  // Each task is hit as soon as it is past its third checkpoint, long before its end.
  const running = (i: number) => assert.equal(readTaskStatus(folder, i)?.state, 'running', `task ${i} is still training when hit`);
  await until('task 0 past a checkpoint', () => ckAt(0) >= 9);
  running(0);
  // Task 0: scancel from outside the lab (an admin, a lost node).
  assert.equal(spawnSync('scancel', [`${m.jobId}_0`]).status, 0);
  await until('task 1 past a checkpoint', () => ckAt(1) >= 9);
  running(1);
  // Task 1: its trainer dies (OOM killer, a crash).
  const s1 = openArchive(p.shard(1), { readonly: true });
  const trainer = s1.getRun(m.members[1]!.runUuid)!.pid!;
  s1.close();
  assert.ok(trainer > 0);
  process.kill(trainer, 'SIGKILL');
  // Task 2 (it gets a CPU once 0 and 1 are off the node): the signal Slurm sends --signal seconds
  // before the time limit (USR1 to the batch shell, which is the task's own process).
  await until('task 2 past a checkpoint', () => ckAt(2) >= 9);
  running(2);
  assert.equal(spawnSync('scancel', ['--batch', '--signal=USR1', `${m.jobId}_2`]).status, 0);

  const w = await dplab(['sweep', 'watch', id, '--archive', lab]);
  assert.equal(w.code, 0, w.err);
  for (const i of [0, 1, 2]) {
    const ts = readTaskStatus(folder, i)!;
    assert.equal(ts.state, 'completed');
    assert.ok(ts.restarts >= 1, `task ${i} was requeued (restart count ${ts.restarts})`);
    assert.ok((ts.resumedFrom ?? 0) >= 9, `task ${i} resumed from its checkpoint, not step 0 (from ${ts.resumedFrom})`);
    assert.match(readFileSync(p.log(i), 'utf8'), /resumes from its checkpoint at step \d+/);
  }
  // watch starts after the three hits, so Slurm's REQUEUED state may be over by its first look; a
  // requeued task then reads "· attempt 2" (its restart count) instead.
  assert.match(w.err, /REQUEUED|· attempt [2-9]/);
  assert.match(readFileSync(p.log(2), 'utf8'), /SIGUSR1: the time limit is near/);

  // The same three runs left alone (locally) give the same metrics; the archive holds each run once.
  const ref = join(dir, 'requeue-ref.sqlite');
  const r = await dplab(['sweep', f, '--archive', ref, '--backend', 'wasm', '--checkpoint-every', '3', '--concurrency', '2']);
  assert.equal(r.code, 0, r.err);
  const a = openArchive(lab, { readonly: true });
  const b = openArchive(ref, { readonly: true });
  assert.equal(a.listRuns().length, 3);
  sameRuns(a, b, id, b.listSweeps()[0]!.uuid);
  for (const run of a.listRuns()) assert.equal(a.getMetrics(run.uuid, ['loss'])[0]!.steps.length, STEPS, 'every step once');
  a.close();
  b.close();
});
