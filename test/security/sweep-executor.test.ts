// Issue 21 item 2, the service side: a sweep's executor (the folder and Slurm job the lab follows,
// merges from and requeues) is recorded by the lab, never taken from a client. sweeps.start refuses a
// definition carrying one, and a sweep that came in with an imported archive naming a folder is not
// followed: its member stays a placeholder although a finished shard waits in that folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LabService } from '../../src-main/service/service.ts';
import type { Results } from '../../src-main/contract/index.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { importArchive } from '../../src-main/archive/merge.ts';
import { sweepCommand } from '../../src-main/cli/sweep.ts';
import { folderPaths } from '../../src-main/runs/sweep-folder.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { clusterFixture, writeShard } from '../archive/shard-fixture.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const base = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 1, maxSteps: 4 } };

test('sweeps.start refuses a client-sent executor block naming a foreign folder; nothing is created or followed', async () => {
  const f = clusterFixture();
  writeShard(folderPaths(f.folder).shard(0), [{ uuid: f.members[0]!.uuid, setup: f.members[0]!.setup, sweep: f.sweep, idx: 0 }], { folder: f.folder, idx: 0 });
  const service = new LabService({ archivePath: join(f.dir, 'served.sqlite'), transport: 'http', concurrency: 1, followMs: 50 });
  try {
    const r = await service.handle('sweeps.start', { definition: { name: 'x', base, seeds: 1, executor: { kind: 'slurm', folder: f.folder, jobId: null } } });
    assert.equal(r.ok, false, 'the executor block was accepted');
    if (!r.ok) {
      assert.equal(r.error.code, 'invalid-args');
      assert.match(r.error.message, /definition\.executor is recorded by the lab/);
      assert.match(r.error.message, /sweep-folder/, 'the error shows what was sent');
    }
    const list = await service.handle('sweeps.list', {});
    assert.ok(list.ok);
    assert.deepEqual(list.result, []);
    const runs = await service.handle('runs.list', {});
    assert.ok(runs.ok);
    assert.deepEqual(runs.result, []);
  } finally {
    await service.close();
  }
});

test('a sweep imported from another archive is not followed: its folder is never read, its shard never merged', async () => {
  const f = clusterFixture();
  // The other archive names a folder holding a finished, otherwise legit shard of its member 0.
  writeShard(folderPaths(f.folder).shard(0), [{ uuid: f.members[0]!.uuid, setup: f.members[0]!.setup, sweep: f.sweep, idx: 0 }], { folder: f.folder, idx: 0 });
  const served = join(f.dir, 'served.sqlite');
  const service = new LabService({ archivePath: served, transport: 'http', concurrency: 1, followMs: 50 });
  try {
    const imp = await service.handle('archive.import', { path: f.labFile });
    assert.ok(imp.ok, JSON.stringify(imp));
    const get = await service.handle('sweeps.get', { sweepId: f.sweep });
    assert.ok(get.ok, JSON.stringify(get));
    assert.equal((get.result as Results['sweeps.get']).executor?.kind, 'slurm', 'the record is still shown');
    // Many follow passes' worth of time (the old loop merged the shard on its first).
    for (let i = 0; i < 10; i++) {
      await service.handle('sweeps.list', {});
      await sleep(100);
    }
  } finally {
    await service.close();
  }
  const a = openArchive(served, { readonly: true });
  try {
    const r = a.getRun(f.members[0]!.uuid)!;
    assert.equal(r.backend, null, `the member stayed a placeholder (status ${r.status}, ${r.error})`);
    assert.deepEqual(a.getMetrics(r.uuid), []);
    assert.equal((a.getSweep(f.sweep)!.definition as { executor: { imported?: unknown } }).executor.imported, true);
  } finally {
    a.close();
  }
});

test('dplab sweep cancel/status of an imported sweep touch neither its folder nor its job', async () => {
  const f = clusterFixture();
  const other = join(f.dir, 'other.sqlite');
  const a = openArchive(other);
  try {
    importArchive(a, f.labFile);
  } finally {
    a.close();
  }
  const error = console.error;
  const log = console.log;
  let err = '';
  let out = '';
  console.error = (...x: unknown[]) => void (err += `${x.join(' ')}\n`);
  console.log = (...x: unknown[]) => void (out += `${x.join(' ')}\n`);
  let cancel: number;
  let status: number;
  try {
    cancel = await sweepCommand(['cancel', f.sweep, '--archive', other]);
    status = await sweepCommand(['status', f.sweep, '--archive', other, '--json']);
  } finally {
    console.error = error;
    console.log = log;
  }
  assert.equal(cancel, 1, err);
  assert.match(err, /came from another archive; its folder .*sweep-folder and Slurm job \(none\) are not followed or cancelled from here/);
  assert.equal(existsSync(folderPaths(f.folder).cancelled), false, 'the other lab\'s folder was marked cancelled');
  assert.equal(status, 0, err);
  assert.deepEqual((JSON.parse(out) as { status: string }[]).map((m) => m.status), ['queued', 'queued'], 'the archive\'s own view');
});
