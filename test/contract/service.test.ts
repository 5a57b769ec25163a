/**
 * The LabService behind both transports, request by request, on a real archive with real trainer
 * processes: setup validation, runs (start, events, tags, notes, export, delete, cancel, resume),
 * a 2-run sweep with its progress events and grouped results, theory in a worker, datasets, and
 * archive info / open / import (a foreign file refused without changes).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabEvent, RequestArgs, RequestName, Results } from '../../src-main/contract/index.ts';
import { LabService } from '../../src-main/service/service.ts';
import { TINY_SETUP as SERVER_TINY_SETUP } from '../server/helpers.ts';

/** The server tests' 8-step setup with the smallest data, widths and evaluation that still run every part: a run's time is then mostly its process start. */
const TINY_SETUP = {
  ...SERVER_TINY_SETUP,
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1 as const, classes: 4, train: 64, test: 32 } },
  encoder: { kind: 'convnet' as const, widths: [4], residual: false },
  projector: { hidden: 8, out: 8 },
  optim: { ...SERVER_TINY_SETUP.optim, batchSize: 16, epochs: 2 },
  eval: { probeEpochs: 1, probeTrain: 32, probeTest: 32, spectraEvery: 4, statsImages: 16 },
};
import { writeIdx } from '../data/fixtures.ts';

let dir: string;
let service: LabService;
const events: LabEvent[] = [];

async function call<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<Results[N]> {
  const r = await service.handle(name, args);
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  return r.result as Results[N];
}

async function fails(name: RequestName, args: unknown): Promise<{ code: string; message: string }> {
  const r = await service.handle(name, args);
  assert.equal(r.ok, false, `${name} ${JSON.stringify(args)} should fail`);
  return (r as { error: { code: string; message: string } }).error;
}

function until(pred: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (pred()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(t);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 50);
  });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-service-'));
  service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'ipc', concurrency: 1, dataDir: join(dir, 'data'), checkpointEvery: 4 });
  service.onEvent((e) => events.push(e));
});

after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

test('app.info, setup.defaults, setup.validate and presets', async () => {
  const info = await call('app.info', {});
  assert.equal(info.transport, 'ipc');
  assert.equal(info.archive, join(dir, 'a.sqlite'));
  assert.deepEqual(info.queue, { running: 0, queued: 0, concurrency: 1 });
  const d = await call('setup.defaults', {});
  assert.equal(typeof d.seed, 'number');
  const ok = await call('setup.validate', { setup: TINY_SETUP });
  assert.equal(ok.ok, true);
  const bad = await call('setup.validate', { setup: { optim: { lr: -1 } } });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.issues.some((i) => i.path.includes('optim.lr')));
  const presets = await call('presets.list', {});
  assert.ok(presets.length > 0 && presets.every((p) => p.id && p.label));
  const e = await fails('runs.start', { setup: { optim: { lr: -1 } } });
  assert.equal(e.code, 'invalid-args');
  assert.match(e.message, /optim\.lr/);
  assert.deepEqual(await call('runs.list', {}), [], 'an invalid setup starts nothing');
});

test('a run: start, status and progress events, series, tags, note, export, delete', async () => {
  events.length = 0;
  const { runId } = await call('runs.start', { setup: TINY_SETUP, name: 'svc' });
  await until(() => events.some((e) => e.type === 'run.status' && e.runId === runId && e.status === 'completed'), 'completion');
  const statuses = events.filter((e) => e.type === 'run.status' && e.runId === runId).map((e) => (e as { status: string }).status);
  assert.deepEqual(statuses, ['queued', 'running', 'completed']);
  assert.ok(events.some((e) => e.type === 'run.progress' && e.runId === runId && e.step === 8));
  const batches = events.filter((e): e is Extract<LabEvent, { type: 'run.metrics' }> => e.type === 'run.metrics');
  const steps = batches.flatMap((b) => b.events.filter((x) => x.type === 'scalars').map((x) => x.step));
  assert.deepEqual(steps, [...steps].sort((a, b) => a - b), 'metric batches in step order');
  assert.ok(events.some((e) => e.type === 'queue'));

  const row = await call('runs.get', { runId });
  assert.equal(row.status, 'completed');
  assert.equal(row.name, 'svc');
  assert.equal(row.lastStep, 8);
  assert.ok(row.checkpoints >= 1);
  assert.ok(row.summary && typeof row.summary.finalLoss === 'number');
  const loss = await call('runs.metrics', { runId, names: ['loss'] });
  assert.equal(loss.length, 1);
  assert.ok(loss[0]!.steps.length > 0);
  assert.ok((await call('runs.spectra', { runId })).length >= 1);
  assert.ok((await call('runs.evals', { runId })).length >= 1);
  // The representation pictures (random init, the step-4 checkpoint, the end): announced live as
  // run.projection events, read back at the ends or at a step.
  assert.deepEqual(events.filter((e) => e.type === 'run.projection' && e.runId === runId).map((e) => (e as { step: number }).step), [0, 4, 8]);
  const pics = await call('runs.projections', { runId, ends: true });
  assert.deepEqual(pics.steps, [0, 4, 8]);
  assert.deepEqual(pics.projections.map((p) => p.step), [0, 8]);
  assert.ok(pics.projections.every((p) => p.x.length > 0 && p.x.length === p.labels.length));
  assert.deepEqual((await call('runs.projections', { runId, steps: [8] })).projections.map((p) => p.step), [8]);
  assert.equal((await fails('runs.projections', { runId: 'no-such-run' })).code, 'not-found');

  assert.deepEqual((await call('runs.tag', { runId, add: ['b', 'a'] })).tags.sort(), ['a', 'b']);
  assert.deepEqual((await call('runs.tag', { runId, remove: ['a'] })).tags, ['b']);
  assert.equal((await call('runs.list', { tag: 'b' })).length, 1);
  await call('runs.note', { runId, markdown: '# seen\nfine' });
  assert.equal((await call('runs.get', { runId })).note, '# seen\nfine');

  const csv = await call('runs.export', { runIds: [runId], format: 'csv', what: 'metrics' });
  assert.equal(csv.mime, 'text/csv');
  assert.match(csv.content.split('\n')[0]!, /step/);
  const json = await call('runs.export', { runIds: [runId], format: 'json' });
  assert.equal((JSON.parse(json.content) as { format: string }).format, 'dplab-run');
  assert.equal((await fails('runs.export', { runIds: [runId, runId], format: 'csv', what: 'metrics' })).code, 'invalid-args');

  assert.equal((await fails('runs.resume', { runId })).code, 'failed', 'a completed run is not resumed');
  assert.equal((await fails('runs.get', { runId: 'no-such-run' })).code, 'not-found');
  assert.equal((await call('runs.delete', { runId })).ok, true);
  assert.equal((await fails('runs.get', { runId })).code, 'not-found');
});

test('cancel a queued run, then resume it to completion', async () => {
  // Concurrency 1: the second run waits in the queue behind the first.
  const first = await call('runs.start', { setup: { ...TINY_SETUP, optim: { ...TINY_SETUP.optim, maxSteps: 6 } } });
  const second = await call('runs.start', { setup: TINY_SETUP });
  assert.equal((await call('runs.cancel', { runId: second.runId })).ok, true);
  assert.equal((await call('runs.get', { runId: second.runId })).status, 'cancelled');
  // Never started, so no checkpoint: the answer says it starts over from step 0.
  assert.deepEqual(await call('runs.resume', { runId: second.runId }), { ok: true, fromStep: 0, lastStep: null });
  await until(() => events.some((e) => e.type === 'run.status' && e.runId === second.runId && e.status === 'completed'), 'resumed run');
  assert.equal((await call('runs.get', { runId: first.runId })).status, 'completed');
});

test('sweeps: preview refuses bad combinations; a 2-run sweep runs, reports progress and groups results', async () => {
  const badPreview = await call('sweeps.preview', { definition: { base: TINY_SETUP, axes: { 'optim.lr': [0.05, -1] } } });
  assert.equal(badPreview.count, 2, 'the grid size, bad combinations included');
  assert.ok(badPreview.issues.some((i) => i.path === 'optim.lr'));
  assert.equal((await fails('sweeps.start', { definition: { base: TINY_SETUP, axes: { 'optim.lr': [-1] } } })).code, 'invalid-args');
  const def = { name: 'pk', base: { ...TINY_SETUP, optim: { ...TINY_SETUP.optim, maxSteps: 4 } }, axes: { 'predictor.kind': ['linear', 'directpred'] }, concurrency: 2 };
  const preview = await call('sweeps.preview', { definition: def });
  assert.equal(preview.count, 2);
  assert.deepEqual(preview.issues, []);
  events.length = 0;
  const { sweepId, runIds } = await call('sweeps.start', { definition: def });
  assert.equal(runIds.length, 2);
  assert.equal((await call('app.info', {})).queue.concurrency, 2, 'the sweep sets how many runs train at once');
  await until(() => events.some((e) => e.type === 'sweep.progress' && e.sweepId === sweepId && e.done === 2), 'sweep progress 2/2');
  const progress = events.filter((e) => e.type === 'sweep.progress').map((e) => (e as { done: number; total: number }).done);
  // Snapshots of the archive: they start at 0, only move forward and end at 2 (two runs ending together may show as one step).
  assert.equal(progress[0], 0);
  assert.equal(progress.at(-1), 2);
  assert.ok(progress.every((d, i) => i === 0 || d > progress[i - 1]!), `progress ${JSON.stringify(progress)} moves forward`);
  const list = await call('sweeps.list', {});
  assert.equal(list.find((s) => s.id === sweepId)?.runs, 2);
  const got = await call('sweeps.get', { sweepId });
  assert.equal(got.name, 'pk');
  assert.equal(got.runs.length, 2);
  assert.deepEqual(got.groups.map((g) => g.key['predictor.kind']).sort(), ['directpred', 'linear']);
  assert.ok(got.groups.every((g) => g.n === 1 && typeof g.metrics.finalLoss?.mean === 'number'));
  assert.equal((await call('runs.list', { sweepId })).length, 2);
  assert.equal((await fails('sweeps.get', { sweepId: 'nope' })).code, 'not-found');
  // Issue 23: started again, the grid reuses both finished runs (same setup hash) and trains none;
  // a round of seeds grows the same sweep, training only the new seed's runs.
  const again = await call('sweeps.start', { definition: def });
  assert.equal(again.reused, 2);
  assert.deepEqual([...again.runIds].sort(), [...runIds].sort());
  // The sweep record keeps it: the list says so after the fact, the first sweep reused none.
  const listed = await call('sweeps.list', {});
  assert.deepEqual([listed.find((s) => s.id === again.sweepId)?.reused, listed.find((s) => s.id === sweepId)?.reused], [2, 0]);
  const round = await call('sweeps.addSeeds', { sweepId, seeds: 2 });
  assert.deepEqual([round.added, round.reused, round.runIds.length], [2, 0, 2]);
  await until(() => events.some((e) => e.type === 'sweep.progress' && e.sweepId === sweepId && e.done === 4 && e.total === 4), 'sweep progress 4/4 after the round');
  const grown = await call('sweeps.get', { sweepId });
  assert.deepEqual(grown.runs.map((r) => r.setup.seed).sort(), [0, 0, 1, 1]);
  assert.equal((await fails('sweeps.addSeeds', { sweepId: 'nope', seeds: 3 })).code, 'not-found');
});

test('theory: presets listed; a preset and a {kind, params} document run in a worker; bad params are invalid-args', async () => {
  const presets = await call('theory.presets', {});
  assert.ok(presets.length >= 5 && presets.every((p) => p.name && p.description));
  const r = (await call('theory.run', { preset: 'fig4a' })) as { name: string; runs: { output: { kind: string } }[] };
  assert.equal(r.name, 'fig4a');
  assert.ok(r.runs.length >= 1);
  const e = await fails('theory.run', { preset: 'no-such-preset' });
  assert.equal(e.code, 'invalid-args');
  assert.match(e.message, /fig4a/, 'names the known presets');
  assert.equal((await fails('theory.run', { params: { kind: 'nope' } })).code, 'invalid-args');
  assert.equal((await fails('theory.run', {})).code, 'invalid-args');
});

test('datasets: import (in a worker) of generated IDX files, then listed; a missing path fails with its name', async () => {
  assert.deepEqual(await call('datasets.list', {}), []);
  const e = await fails('datasets.import', { path: join(dir, 'missing.bin') });
  assert.equal(e.code, 'invalid-args', 'a path that names nothing is bad input, refused before any job starts');
  assert.match(e.message, /missing\.bin/);
  const src = join(dir, 'idx');
  writeIdx(src, { n: 40, m: 10, h: 28, w: 28 });
  const r = await call('datasets.import', { path: src, name: 'tiny-idx' });
  assert.equal(r.name, 'tiny-idx');
  assert.match(r.hash, /^[0-9a-f]{16,}$/);
  const list = await call('datasets.list', {});
  assert.equal(list.length, 1);
  assert.equal(list[0]!.name, 'tiny-idx');
  assert.equal(list[0]!.height, 28);
  assert.equal(list[0]!.hash, r.hash);
});

test('archive: info with integrity check; a foreign file is refused unchanged; open and import another archive', async () => {
  const info = await call('archive.info', { check: true });
  assert.equal(info.path, join(dir, 'a.sqlite'));
  assert.deepEqual(info.integrity, ['ok']);
  assert.ok(info.runs >= 3 && info.sizeBytes > 0);
  const foreign = join(dir, 'notes.txt');
  writeFileSync(foreign, 'not a database');
  assert.match((await fails('archive.open', { path: foreign })).message, /not an SQLite database/);
  assert.equal(readFileSync(foreign, 'utf8'), 'not a database');
  assert.equal((await fails('archive.import', { path: foreign })).code, 'failed');
  const before = (await call('runs.list', {})).length;
  events.length = 0;
  const other = join(dir, 'b.sqlite');
  assert.equal((await call('archive.open', { path: other })).path, other);
  assert.ok(events.some((e) => e.type === 'archive.changed' && e.path === other));
  assert.deepEqual(await call('runs.list', {}), []);
  const merged = await call('archive.import', { path: join(dir, 'a.sqlite') });
  assert.equal(merged.added, before);
  assert.equal((await call('archive.import', { path: join(dir, 'a.sqlite') })).added, 0, 'importing twice adds nothing');
  assert.equal((await call('runs.list', {})).length, before);
});
