/**
 * The archive's queue is bounded and reproductions are merged (issue 21, item 6): runs.start,
 * sweeps.start, runs.resume and reproduce.run are refused with the count once the archive holds
 * `maxQueued` queued-or-running runs; a sweep that would pass the bound is refused whole before any
 * run is recorded; two clients asking for the same reproduction at once queue each run once (runs
 * queued or running count as present, matched by setup hash). Real LabService and archive; the
 * trainers are silent stand-ins (a run stays 'running' until cancelled), so nothing trains.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { silentTrainer } from '../runs/fixtures/silent-trainer.ts';
import { TINY_SETUP } from '../server/helpers.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-queue-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));


let n = 0;
function open(maxQueued?: number): LabService {
  return new LabService({
    archivePath: join(dir, `a-${++n}.sqlite`),
    transport: 'http',
    backend: 'wasm',
    concurrency: 1,
    dataDir: join(dir, 'data'),
    launch: silentTrainer,
    ...(maxQueued !== undefined ? { maxQueued } : {}),
  });
}

function ok<T>(r: ServiceReply): T {
  assert.equal(r.ok, true, JSON.stringify(r).slice(0, 400));
  return (r as { result: T }).result;
}
function errorOf(r: ServiceReply): { code: string; message: string } {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 300)}`);
  return (r as { error: { code: string; message: string } }).error;
}
async function count(s: LabService): Promise<{ runs: number; active: number; sweeps: number }> {
  const runs = ok<{ status: string }[]>(await s.handle('runs.list', {}));
  const sweeps = ok<unknown[]>(await s.handle('sweeps.list', {}));
  return { runs: runs.length, active: runs.filter((r) => r.status === 'queued' || r.status === 'running').length, sweeps: sweeps.length };
}

test('runs.start, sweeps.start and runs.resume stop at the bound, naming the count; a sweep is all or nothing', async () => {
  const s = open(5);
  try {
    // A sweep larger than the bound records nothing at all.
    const big = errorOf(await s.handle('sweeps.start', { definition: { name: 'big', base: TINY_SETUP, axes: { 'optim.lr': [0.01, 0.02, 0.03] }, seeds: 2 } }));
    assert.match(big.message, /6 more runs would pass the limit of 5 queued or running runs in the archive .*\(it has 0\); nothing was queued/);
    assert.deepEqual(await count(s), { runs: 0, active: 0, sweeps: 0 });
    // Three from a sweep and two single runs fill it.
    const sw = ok<{ runIds: string[] }>(await s.handle('sweeps.start', { definition: { name: 'three', base: TINY_SETUP, axes: { 'optim.lr': [0.01, 0.02, 0.03] } } }));
    assert.equal(sw.runIds.length, 3);
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push(ok<{ runId: string }>(await s.handle('runs.start', { setup: TINY_SETUP })).runId);
    // One more run, or a sweep of two, is refused with the number; nothing is recorded.
    const one = errorOf(await s.handle('runs.start', { setup: TINY_SETUP }));
    assert.match(one.message, /the archive .* already has 5 queued or running runs \(limit 5\); wait for some to finish or cancel some/);
    const two = errorOf(await s.handle('sweeps.start', { definition: { name: 'two', base: TINY_SETUP, axes: { 'optim.lr': [0.04, 0.05] } } }));
    assert.match(two.message, /already has 5 queued or running runs \(limit 5\)/);
    assert.deepEqual(await count(s), { runs: 5, active: 5, sweeps: 1 });
    // A queued run cancelled makes room for exactly one.
    assert.equal(ok<{ ok: boolean }>(await s.handle('runs.cancel', { runId: ids[1]! })).ok, true);
    ok(await s.handle('runs.start', { setup: TINY_SETUP }));
    errorOf(await s.handle('runs.start', { setup: TINY_SETUP }));
    // Resuming the cancelled run would be a sixth: refused, and the run stays cancelled.
    const res = errorOf(await s.handle('runs.resume', { runId: ids[1]! }));
    assert.match(res.message, /already has 5 queued or running runs \(limit 5\)/);
    const back = ok<{ status: string }>(await s.handle('runs.get', { runId: ids[1]! }));
    assert.equal(back.status, 'cancelled');
    assert.deepEqual(await count(s), { runs: 6, active: 5, sweeps: 1 });
  } finally {
    await s.close();
  }
});

test('the default bound is 500: a sweep of 501 members is refused before any run is recorded', async () => {
  const s = open();
  try {
    const values = Array.from({ length: 167 }, (_, i) => 0.001 * (i + 1));
    const e = errorOf(await s.handle('sweeps.start', { definition: { name: 'huge', base: TINY_SETUP, axes: { 'optim.lr': values }, seeds: 3 } }));
    assert.match(e.message, /501 more runs would pass the limit of 500 queued or running runs/);
    assert.deepEqual(await count(s), { runs: 0, active: 0, sweeps: 0 });
  } finally {
    await s.close();
  }
});

test('two clients asking for the same reproduction at once queue each run once; the bound applies to it too', async () => {
  const s = open(6);
  try {
    const ask = () => s.handle('reproduce.run', { claims: ['no-stop-gradient-collapses'], seeds: 2 });
    const [a, b] = (await Promise.all([ask(), ask()])).map((r) => ok<{ sweepId: string | null; queued: number; reused: number }>(r));
    // 2 arms × 2 seeds: one client queues the 4, the other finds them queued or running and reuses them.
    assert.deepEqual([a!.queued + b!.queued, a!.reused + b!.reused].sort(), [4, 4]);
    assert.ok((a!.queued === 4 && b!.sweepId === null) || (b!.queued === 4 && a!.sweepId === null), JSON.stringify([a, b]));
    assert.deepEqual(await count(s), { runs: 4, active: 4, sweeps: 1 });
    // A third request later, while they still train, queues nothing either.
    const c = ok<{ queued: number; reused: number }>(await ask());
    assert.deepEqual(c, { sweepId: null, queued: 0, reused: 4 });
    // 4 queued + 4 more seeds' worth (seeds 2..3 → 4 new runs) passes 6: refused whole.
    const e = errorOf(await s.handle('reproduce.run', { claims: ['no-stop-gradient-collapses'], seeds: 4 }));
    assert.match(e.message, /4 more runs would pass the limit of 6 queued or running runs .*\(it has 4\)/);
    assert.deepEqual(await count(s), { runs: 4, active: 4, sweeps: 1 });
  } finally {
    await s.close();
  }
});
