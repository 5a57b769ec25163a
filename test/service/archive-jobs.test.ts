/**
 * archive.import and archive.info's full integrity check leave the service loop (issue 25): they
 * run in the job pool's worker threads, so requests keep being answered while a 10,000-run archive
 * is checked or imported (before, each ran inside the request and not one other request was
 * answered until it ended); an import can be cancelled and timed out like the pool's other jobs,
 * and then keeps whole runs only, the archive stays writable, and importing again adds the rest.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { fillManyRuns } from '../server/many-runs.ts';

const RUNS = 10_000;
const STEPS = 20;
/** The longest a ping may wait, in ms: generous for a loaded 2-core machine (see test/server/export-responsive.test.ts). */
const PING_BOUND_MS = 1000;

let dir: string;
let source: string;
let uuids: string[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-archive-jobs-'));
  source = join(dir, 'source.sqlite');
  uuids = fillManyRuns(source, RUNS, STEPS);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Sends app.info every 10 ms while `job` runs. `during`: how many were answered while it was still
 * running; `cycles`: each ping-and-sleep cycle begun while it ran, in ms (answer plus the 10 ms
 * timer: a job on the service loop makes the cycle it falls into last as long as the job).
 */
async function pingDuring(service: LabService, job: Promise<ServiceReply>): Promise<{ reply: ServiceReply; during: number; cycles: number[] }> {
  let done = false;
  const settled = job.finally(() => (done = true));
  let during = 0;
  const cycles: number[] = [];
  while (!done) {
    const t0 = performance.now();
    const r = await service.handle('app.info', {});
    assert.equal(r.ok, true);
    if (!done) during++;
    await new Promise((ok) => setTimeout(ok, 10));
    cycles.push(performance.now() - t0);
  }
  return { reply: await settled, during, cycles };
}

const stats = (during: number, cycles: number[]) => `${during} pings answered during the job, longest ping cycle ${Math.max(0, ...cycles).toFixed(1)} ms`;

test('archive.info {check: true} runs in a worker: the service answers while the check runs', async (t) => {
  const service = new LabService({ archivePath: source, transport: 'ipc', concurrency: 1 });
  try {
    await service.handle('app.info', {});
    const { reply, during, cycles } = await pingDuring(service, service.handle('archive.info', { check: true }));
    t.diagnostic(`integrity check: ${stats(during, cycles)}`);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    const info = (reply as { result: { integrity: string[]; runs: number } }).result;
    assert.deepEqual(info.integrity, ['ok']);
    assert.equal(info.runs, RUNS);
    assert.ok(Math.max(...cycles) < PING_BOUND_MS, `a ping cycle took ${Math.max(...cycles).toFixed(0)} ms during the check`);
    assert.ok(during >= 5, `the service answered only ${during} requests while the check ran (it ran on the service loop?)`);
    // Without check: no job, no integrity.
    const plain = await service.handle('archive.info', {});
    assert.equal((plain as { result: { integrity: null } }).result.integrity, null);
  } finally {
    await service.close();
  }
});

test('archive.import runs in a worker: the service answers during it, and every run arrives whole', async (t) => {
  const target = join(dir, 'target.sqlite');
  const service = new LabService({ archivePath: target, transport: 'ipc', concurrency: 1 });
  try {
    await service.handle('app.info', {});
    const { reply, during, cycles } = await pingDuring(service, service.handle('archive.import', { path: source }));
    t.diagnostic(`import: ${stats(during, cycles)}`);
    assert.equal(reply.ok, true, JSON.stringify(reply));
    assert.deepEqual((reply as { result: unknown }).result, { added: RUNS, skipped: 0 });
    assert.ok(Math.max(...cycles) < PING_BOUND_MS, `a ping cycle took ${Math.max(...cycles).toFixed(0)} ms during the import`);
    assert.ok(during >= 5, `the service answered only ${during} requests while the import ran (it ran on the service loop?)`);
    // The service's own connection sees the worker's writes, and the archive holds every row.
    const runs = await service.handle('runs.list', {});
    assert.equal((runs as { result: unknown[] }).result.length, RUNS);
    const m = await service.handle('runs.metrics', { runId: uuids[4321]!, names: ['loss'] });
    assert.equal((m as { result: { steps: number[] }[] }).result[0]!.steps.length, STEPS);
    const again = await service.handle('archive.import', { path: source });
    assert.deepEqual((again as { result: unknown }).result, { added: 0, skipped: RUNS });
  } finally {
    await service.close();
  }
});

test('a cancelled or timed-out import keeps whole runs only; the archive stays writable and a new import adds the rest', async () => {
  const target = join(dir, 'cancelled.sqlite');
  const service = new LabService({ archivePath: target, transport: 'ipc', concurrency: 1 });
  const timed = new LabService({ archivePath: join(dir, 'timed.sqlite'), transport: 'ipc', concurrency: 1, jobs: { archiveTimeoutMs: 800 } });
  try {
    const job = service.handle('archive.import', { path: source, jobId: 'imp-1' });
    // Cancel once some runs have arrived (read through a connection of our own).
    const probe = openArchive(target, { readonly: true });
    const deadline = Date.now() + 60_000;
    while (probe.counts().runs === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
    probe.close();
    assert.deepEqual((await service.handle('jobs.cancel', { jobId: 'imp-1' })) as unknown, { ok: true, result: { ok: true } });
    const r = await job;
    assert.equal(r.ok, false);
    assert.match((r as { error: { message: string } }).error.message, /^archive\.import: job imp-1 was cancelled$/);

    const check = openArchive(target, { readonly: true });
    const partial = check.counts();
    check.close();
    assert.ok(partial.runs! > 0 && partial.runs! < RUNS, `a part of the runs arrived before the cancel (${partial.runs})`);
    assert.equal(partial.metrics, partial.runs! * STEPS * 2, 'every run that arrived has all its metric rows');
    assert.equal(partial.tags, partial.runs, 'and its tag');

    // Writable at once (the terminated worker held no lock), and the next import completes it.
    const someone = (await service.handle('runs.list', { limit: 1 })) as { result: { id: string }[] };
    const tagged = await service.handle('runs.tag', { runId: someone.result[0]!.id, add: ['after-cancel'], remove: [] });
    assert.equal(tagged.ok, true, JSON.stringify(tagged));
    const rest = await service.handle('archive.import', { path: source });
    assert.deepEqual((rest as { result: unknown }).result, { added: RUNS - partial.runs!, skipped: partial.runs });

    // A timeout ends the job the same way, naming the limit.
    const late = await timed.handle('archive.import', { path: source });
    assert.equal(late.ok, false);
    assert.match((late as { error: { message: string } }).error.message, /^archive\.import: the job ran longer than 1 s and was stopped$/);
  } finally {
    await service.close();
    await timed.close();
  }
});
