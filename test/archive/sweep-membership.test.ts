/**
 * The runs table's sweep column and filter (issue 23) read each run's sweep from runs.list: the
 * sweep that made it, with its place in the grid, and the later sweeps that reused it by setup
 * hash, so a sweep's filter finds its reused runs too. Runs outside sweeps carry none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { LabService } from '../../src-main/service/service.ts';
import type { RunRow } from '../../src-main/contract/index.ts';

test('runs.list and runs.get carry the making sweep, the grid index and the sweeps that reused the run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-sweep-membership-'));
  try {
    const file = join(dir, 'a.sqlite');
    const a = openArchive(file);
    const run = (name: string) => ({ run: { name, setup: { seed: 0 }, setupHash: name, seed: 0, status: 'completed' as const } });
    const first = a.createSweepWithRuns({ name: 'first', definition: {}, members: [{ ...run('f0'), idx: 0, combo: {} }, { ...run('f1'), idx: 1, combo: {} }] });
    const later = a.createSweepWithRuns({ name: 'later', definition: {}, members: [{ runUuid: first.runIds[1]!, idx: 0, combo: {} }, { ...run('l1'), idx: 1, combo: {} }] });
    const lone = a.createRun({ name: 'lone', setup: { seed: 0 }, setupHash: 'lone', seed: 0, status: 'completed' }).uuid;
    a.close();
    const service = new LabService({ archivePath: file, transport: 'http' });
    try {
      const r = await service.handle('runs.list', {});
      assert.equal(r.ok, true);
      const rows = new Map((r as { result: RunRow[] }).result.map((x) => [x.name, x.sweep]));
      assert.deepEqual(rows.get('f0'), { id: first.sweepId, name: 'first', createdAt: rows.get('f0')!.createdAt, index: 0, alsoIn: [] });
      const reused = rows.get('f1')!;
      assert.equal(reused.id, first.sweepId, 'listed under the sweep that trained it');
      assert.equal(reused.index, 1);
      assert.deepEqual(reused.alsoIn.map((s) => [s.id, s.name]), [[later.sweepId, 'later']]);
      assert.equal(rows.get('l1')!.id, later.sweepId);
      assert.equal(rows.get('l1')!.index, 1);
      assert.equal(rows.get('lone'), null);
      const one = await service.handle('runs.get', { runId: first.runIds[1]! });
      assert.deepEqual((one as { result: RunRow }).result.sweep, reused, 'runs.get says the same');
      const none = await service.handle('runs.get', { runId: lone });
      assert.equal((none as { result: RunRow }).result.sweep, null);
    } finally {
      await service.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
