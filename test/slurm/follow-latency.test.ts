// Issue 25: following a Slurm sweep never holds the service's event loop (Electron's main process in
// the app). A fake `squeue`, first on PATH, takes 5 s to answer, as a slow login node does; requests
// arriving meanwhile are answered at once. Needs no cluster: the fake stands in for Slurm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabService } from '../../src-main/service/service.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { updateManifest } from '../../src-main/runs/sweep-folder.ts';
import { clusterFixture } from '../archive/shard-fixture.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a squeue that takes 5 s does not delay app.info: the follow loop awaits Slurm off the event loop, and close() stops it', { timeout: 60_000 }, async () => {
  const f = clusterFixture();
  const a = openArchive(f.labFile);
  a.setSweepDefinition(f.sweep, { name: 'cluster', executor: { kind: 'slurm', folder: f.folder, jobId: '4242' } });
  a.close();
  updateManifest(f.folder, { jobId: '4242' });
  const bin = join(f.dir, 'bin');
  mkdirSync(bin);
  const calls = join(f.dir, 'squeue-calls');
  // Both members still in Slurm's queue, so the sweep stays unfinished and is polled again and again.
  writeFileSync(join(bin, 'squeue'), `#!/bin/sh\necho "$$ $*" >> '${calls}'\nsleep 5\necho '0|RUNNING|None'\necho '1|PENDING|Priority'\n`);
  chmodSync(join(bin, 'squeue'), 0o755);
  process.env.PATH = `${bin}:${process.env.PATH}`;

  const service = new LabService({ archivePath: f.labFile, transport: 'http', concurrency: 1, followMs: 100 });
  try {
    const start = Date.now();
    while (!existsSync(calls) || !readFileSync(calls, 'utf8').includes('\n')) {
      assert.ok(Date.now() - start < 20_000, 'the service never asked squeue about the sweep');
      await sleep(20);
    }
    assert.match(readFileSync(calls, 'utf8'), /-j 4242/);
    // Requests arrive as events of the loop (a timer here, a socket in the server) while squeue sleeps.
    const lags: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await sleep(100);
      const r = await service.handle('app.info', {});
      assert.ok(r.ok, JSON.stringify(r));
      lags.push(performance.now() - t0 - 100);
      if (lags[i]! > 1000) break; // blocked: no need to wait out more 5 s calls
    }
    // Generous for a loaded 2-core machine; a blocking squeue makes this ~5000 ms.
    assert.ok(Math.max(...lags) < 400, `app.info waited ${lags.map((l) => Math.round(l)).join(', ')} ms`);
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1, 'one squeue at a time: the follow passes never overlap');
    // Closing the lab kills the squeue in flight instead of waiting out its 5 s (or its 60 s limit).
    const pid = Number(lines[0]!.split(' ')[0]);
    await service.close();
    const closed = Date.now();
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive()) {
      assert.ok(Date.now() - closed < 2000, `squeue (pid ${pid}) still runs after close()`);
      await sleep(20);
    }
  } finally {
    await service.close();
  }
});
