// npm test: mostly waits (on the Slurm scheduler and the tasks' status files: its own process computes under a third of its wall time, its jobs train tiny setups, 2026-12-08)
// The lab served on the login node follows a Slurm sweep by itself: sweeps.get names the job and
// shows Slurm's states on the member rows, and the finished shards are merged without any
// `dplab sweep watch` running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LabService } from '../../src-main/service/service.ts';
import type { Results } from '../../src-main/contract/index.ts';
import { problem, skip, dir, dplab, tiny, sweepFile, until } from './helpers.ts';

test('the service follows a detached Slurm sweep: job id, Slurm states, merged results', { skip, timeout: 300_000 }, async () => {
  assert.equal(problem, null);
  const f = sweepFile('served', { base: tiny(4), seeds: 2 });
  const lab = join(dir, 'served.sqlite');
  const sub = await dplab(['sweep', f, '--executor', 'slurm', '--archive', lab, '--backend', 'wasm', '--cpus-per-task', '1', '--folder', join(dir, 'served-folder'), '--detach']);
  assert.equal(sub.code, 0, sub.err);
  const id = sub.out.trim();
  const service = new LabService({ archivePath: lab, transport: 'http', concurrency: 1, followMs: 500 });
  const events: string[] = [];
  service.onEvent((e) => events.push(e.type));
  try {
    const get = async () => {
      const r = await service.handle('sweeps.get', { sweepId: id });
      assert.ok(r.ok, JSON.stringify(r));
      return r.result as Results['sweeps.get'];
    };
    const first = await get();
    assert.equal(first.executor?.kind, 'slurm');
    assert.match(first.executor!.jobId ?? '', /^\d+$/);
    const states = new Set<string>();
    let last = first;
    await until('both members completed through the service alone', () => {
      void get().then((s) => {
        last = s;
        for (const r of s.runs) if (r.error) states.add(r.error.split(' ')[1] ?? '');
      });
      return last.runs.every((r) => r.status === 'completed');
    });
    assert.ok([...states].some((s) => s === 'PENDING' || s === 'RUNNING'), `Slurm states seen on the rows: ${[...states].join(', ')}`);
    assert.equal(last.runs.length, 2);
    assert.ok(last.runs.every((r) => r.backend !== null && (r.lastStep ?? 0) === 4), 'the rows are the merged runs');
    assert.ok(events.includes('sweep.progress') && events.includes('run.status'));
  } finally {
    await service.close();
  }
});
