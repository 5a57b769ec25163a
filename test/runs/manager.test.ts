import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup, type SetupInput } from '../../src-main/common/setup.ts';
import { RunManager } from '../../src-main/runs/manager.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { processAlive } from '../../src-main/runs/process.ts';
import { runWithArchive } from '../../src-main/runs/record.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { threadShare } from '../../src-main/common/backends.ts';
import { availableParallelism } from 'node:os';

// This file checks the default share of the machine's cores: the test runner's one-core hint
// (DPLAB_CORES=1, scripts/test.mjs) would hide it.
delete process.env.DPLAB_CORES;

const dir = mkdtempSync(join(tmpdir(), 'dplab-manager-'));
const tiny = (steps: number, extra: Partial<SetupInput> = {}) =>
  parseSetup({
    ...QUICK_SETUP,
    optim: { ...QUICK_SETUP.optim, epochs: 1000, maxSteps: steps },
    // Spectra every 2 steps whatever the quick preset says, so a 4-step run logs at least two.
    eval: { ...QUICK_SETUP.eval, spectraEvery: 2 },
    ...extra,
  });

test('the concurrency limit holds: never more than N trainers, and all runs complete', { timeout: 100_000 }, async () => {
  const archive = openArchive(join(dir, 'conc.sqlite'));
  const m = new RunManager(archive, { concurrency: 2, backend: 'wasm' });
  let now = 0;
  let peak = 0;
  const order: string[] = [];
  m.on('status', (uuid: string, s: string) => {
    if (s === 'running') {
      now++;
      order.push(`start ${uuid}`);
    } else if (!['queued'].includes(s)) {
      now--;
      order.push(`end ${uuid}`);
    }
    peak = Math.max(peak, now);
    assert.ok(m.running.length <= 2);
  });
  const uuids = [1, 2, 3].map((i) => m.submit(tiny(4, { seed: i })));
  assert.equal(m.running.length, 2);
  assert.deepEqual(m.queued, [uuids[2]]);
  await m.idle();
  await m.close();
  assert.equal(peak, 2);
  // The third run started only after one of the first two ended.
  const third = order.indexOf(`start ${uuids[2]}`);
  assert.ok(order.slice(0, third).some((e) => e.startsWith('end ')), order.join(', '));
  for (const u of uuids) {
    const r = archive.getRun(u)!;
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(r.lastStep, 4);
    assert.equal(r.backend, 'wasm');
    assert.equal(r.pid, null);
    assert.equal(archive.getMetrics(u, ['loss'])[0]!.steps.length, 4);
    assert.ok(archive.getSpectra(u).length >= 2);
    assert.equal(archive.getEvals(u).length >= 1, true);
  }
  // Threads: the first run started alone and took every core; the second shared them with it.
  const threadsOf = (u: string) => archive.getRun(u)!.versions?.['wasm-threads'];
  assert.equal(threadsOf(uuids[0]!), String(threadShare(availableParallelism(), 1)));
  assert.equal(threadsOf(uuids[1]!), String(threadShare(availableParallelism(), 2)));
  archive.close();
});

test('cancel stops a running run and marks it; a queued run is cancelled without starting', { timeout: 100_000 }, async () => {
  const archive = openArchive(join(dir, 'cancel.sqlite'));
  const m = new RunManager(archive, { concurrency: 1, backend: 'wasm' });
  const long = m.submit(tiny(5000));
  const waiting = m.submit(tiny(4, { seed: 9 }));
  assert.ok(m.cancel(waiting));
  assert.equal(archive.getRun(waiting)!.status, 'cancelled');
  assert.equal(archive.getRun(waiting)!.startedAt, null);
  const pid = archive.getRun(long)!.pid!;
  await new Promise<void>((resolve) =>
    m.on('event', (u: string, e: { type: string; step?: number }) => {
      if (u === long && e.type === 'progress' && e.step! >= 3) resolve();
    }),
  );
  assert.ok(m.cancel(long));
  const r = await m.waitFor(long);
  assert.equal(r.status, 'cancelled');
  assert.ok(r.lastStep! >= 3 && r.lastStep! < 5000);
  assert.equal(r.summary?.outcome, 'cancelled');
  for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((res) => setTimeout(res, 20));
  assert.ok(!processAlive(pid), 'the trainer process has exited');
  await m.close();
  archive.close();
});

test('a cancel requested from another process (archive flag) reaches the owning manager', { timeout: 100_000 }, async () => {
  const file = join(dir, 'flag.sqlite');
  const archive = openArchive(file);
  const m = new RunManager(archive, { concurrency: 1, backend: 'wasm', heartbeatMs: 100 });
  const u = m.submit(tiny(5000));
  await new Promise<void>((resolve) => m.on('event', (_u: string, e: { type: string }) => e.type === 'progress' && resolve()));
  const other = openArchive(file); // a second connection, as `dplab runs cancel` would open
  other.requestCancel(u);
  other.close();
  const r = await m.waitFor(u);
  assert.equal(r.status, 'cancelled');
  await m.close();
  archive.close();
});

test('a diverging run is marked diverged', { timeout: 100_000 }, async () => {
  const archive = openArchive(join(dir, 'div.sqlite'));
  const m = new RunManager(archive, { concurrency: 1, backend: 'wasm' });
  const u = m.submit(tiny(200, { loss: 'mse', optim: { batchSize: 32, epochs: 1000, maxSteps: 200, lr: 10 } }));
  const r = await m.waitFor(u);
  await m.close();
  assert.equal(r.status, 'diverged');
  assert.ok(r.summary!.divergedAtStep! < 200);
  assert.match(r.error ?? '', /step/);
  // Resuming a diverged run is refused (it would diverge again).
  assert.throws(() => new RunManager(archive).resume(u), /only interrupted, cancelled or failed/);
  archive.close();
});

test('an archived SimSiam run with targetInit "random" (accepted before the rule refusing it) still resumes to completion', { timeout: 100_000 }, async () => {
  const archive = openArchive(join(dir, 'stored-rule.sqlite'));
  const setup = { ...tiny(4, { method: 'simsiam', predictor: { kind: 'linear' } }), targetInit: 'random' as const };
  assert.throws(() => parseSetup(setup), /targetInit/); // new input is refused …
  const uuid = archive.createRun({ name: 'old simsiam', setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed, status: 'interrupted' }).uuid;
  const m = new RunManager(archive, { concurrency: 1, backend: 'wasm' });
  m.resume(uuid); // … the stored run is not
  const r = await m.waitFor(uuid);
  await m.close();
  assert.equal(r.status, 'completed', r.error ?? '');
  assert.equal(r.lastStep, 4);
  assert.equal((r.setup as { targetInit: string }).targetInit, 'random');
  archive.close();
});

test('runWithArchive records an in-process run (what dplab run uses)', { timeout: 100_000 }, async () => {
  const file = join(dir, 'inline.sqlite');
  const seen: string[] = [];
  const { uuid, summary } = await runWithArchive(tiny(6), { archive: file, backend: 'wasm', checkpointEvery: 2, onEvent: (e) => seen.push(e.type) });
  assert.equal(summary.outcome, 'completed');
  assert.ok(seen.includes('finished'));
  const a = openArchive(file);
  const r = a.getRun(uuid)!;
  assert.equal(r.status, 'completed');
  assert.equal(r.summary?.finalLoss, summary.finalLoss);
  assert.equal(r.ownerPid, null);
  assert.deepEqual(a.getMetrics(uuid, ['loss'])[0]!.steps, [1, 2, 3, 4, 5, 6]);
  // Every 2 steps; the trainer takes none at the last step (the run is complete there).
  assert.deepEqual(a.listCheckpoints(uuid).map((c) => c.step), [2, 4]);
  a.close();
});
