// npm test: mostly waits (on the Slurm scheduler and the tasks' status files: its own process computes under a third of its wall time, its jobs train tiny setups, 2026-12-08)
// dplab sweep cancel: scancel of the array, every member ends cancelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { readManifest, readTaskStatus } from '../../src-main/runs/sweep-folder.ts';
import { problem, skip, dir, dplab, tiny, sweepFile, squeueTasks, until } from './helpers.ts';


test('dplab sweep cancel stops every task and marks the members cancelled', { skip, timeout: 300_000 }, async () => {
  assert.equal(problem, null);
  const f = sweepFile('cancel', { base: tiny(5000), seeds: 3 });
  const folder = join(dir, 'cancel-folder');
  const lab = join(dir, 'cancel.sqlite');
  const sub = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--cpus-per-task', '1', '--folder', folder, '--detach']);
  assert.equal(sub.code, 0, sub.err);
  const id = sub.out.trim();
  const m = readManifest(folder);
  // Two running (the node has 2 CPUs), one pending.
  await until('two tasks training', () => [0, 1, 2].filter((i) => (readTaskStatus(folder, i)?.step ?? 0) > 0).length >= 2);
  const c = await dplab(['sweep', 'cancel', id.slice(0, 8), '--archive', lab]);
  assert.equal(c.code, 0, c.err);
  assert.match(c.err, new RegExp(`scancel ${m.jobId}`));
  await until('the array to leave the queue', () => squeueTasks(m.jobId!).length === 0, 60_000);
  const st = await dplab(['sweep', 'status', id, '--archive', lab, '--json']);
  const members = JSON.parse(st.out) as { status: string; detail: string }[];
  assert.deepEqual(members.map((x) => x.status), ['cancelled', 'cancelled', 'cancelled'], st.out);
  const a = openArchive(lab, { readonly: true });
  assert.deepEqual(a.listRuns().map((r) => r.status), ['cancelled', 'cancelled', 'cancelled']);
  a.close();
});
