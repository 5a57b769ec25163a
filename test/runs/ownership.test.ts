// Run ownership (issue 15 item 2): a run that is running in a live process is never marked
// interrupted by another process's recover(), and delete/resume refuse it; an archive write that
// fails inside a trainer's exit handler is recorded instead of crashing the process; queued runs of
// a closed or killed owner are not stranded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { RunManager } from '../../src-main/runs/manager.ts';
import { processAlive, processStartTime, thisProcess } from '../../src-main/runs/process.ts';
import { LabService } from '../../src-main/service/service.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { completes, scriptedTrainer } from './fixtures/scripted.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-owner-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const setup = (steps: number, seed = 1) => parseSetup({ ...QUICK_SETUP, seed, optim: { ...QUICK_SETUP.optim, epochs: 1000, maxSteps: steps } });

/** `dplab …` in another process, on `archive`. */
function dplab(archive: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args, '--archive', archive], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('process identity: start times tell a live owner from a reused pid', () => {
  const me = thisProcess();
  assert.equal(me.pid, process.pid);
  if (process.platform === 'linux') {
    assert.ok(Number.isInteger(me.start) && me.start! > 0);
    assert.equal(processStartTime(process.pid), me.start);
  }
  assert.ok(processAlive(process.pid));
  assert.ok(!processAlive(0) && !processAlive(null));
});

test('race: a run started over the API stays running while another process lists, deletes and resumes; then completes', { timeout: 100_000 }, async () => {
  const file = join(dir, 'race.sqlite');
  const trainers: ReturnType<typeof scriptedTrainer>[] = [];
  const service = new LabService({
    archivePath: file,
    transport: 'http',
    concurrency: 1,
    dataDir: join(dir, 'data'),
    launch: () => {
      const t = scriptedTrainer();
      trainers.push(t);
      return t.handle;
    },
  });
  try {
    const started = await service.handle('runs.start', { setup: { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 5 } } });
    assert.ok(started.ok, JSON.stringify(started));
    const uuid = (started.result as { runId: string }).runId;
    // The trainer has not said a word (no heartbeat yet), exactly the window of the report.
    const listed = dplab(file, 'runs', 'list', '--json');
    assert.equal(listed.code, 0, listed.err);
    const row = (JSON.parse(listed.out) as { uuid: string; status: string }[]).find((r) => r.uuid === uuid)!;
    assert.equal(row.status, 'running', 'another process listing the runs left the live run alone');
    const rm = dplab(file, 'runs', 'rm', uuid);
    assert.equal(rm.code, 1);
    assert.match(rm.err, /is running .*cancel it first/);
    const resumed = dplab(file, 'runs', 'resume', uuid);
    assert.equal(resumed.code, 1);
    assert.match(resumed.err, /running in process \d+, which is alive/);
    const del = await service.handle('runs.delete', { runId: uuid });
    assert.equal(del.ok, false);
    assert.equal(trainers.length, 1, 'no second trainer was started');
    // The run completes normally, every step recorded.
    for (const m of completes(5)) trainers[0]!.say(m);
    trainers[0]!.exit(0);
    const a = openArchive(file, { readonly: true });
    const r = a.getRun(uuid)!;
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(r.lastStep, 5);
    assert.equal(r.ownerPid, null);
    assert.deepEqual(a.getMetrics(uuid, ['loss'])[0]!.steps, [1, 2, 3, 4, 5]);
    a.close();
    // Now it can go.
    const gone = await service.handle('runs.delete', { runId: uuid });
    assert.deepEqual(gone, { ok: true, result: { ok: true } });
  } finally {
    await service.close();
  }
});

test('a failing archive write in a trainer exit handler is recorded; the process lives on', { timeout: 30_000 }, async () => {
  const file = join(dir, 'exit.sqlite');
  const archive = openArchive(file);
  const t = scriptedTrainer();
  const m = new RunManager(archive, { concurrency: 1, launch: () => t.handle });
  const failures: string[] = [];
  m.on('failure', (f: { message: string }) => failures.push(f.message));
  const uuid = m.submit(setup(5));
  const done = m.waitFor(uuid);
  // The run vanishes under the manager (as an older lab's delete could do) …
  const raw = new Database(file);
  raw.prepare('DELETE FROM runs WHERE uuid = ?').run(uuid);
  raw.close();
  // … and its trainer then dies: recording that fails, and must not throw out of the exit handler.
  t.exit(1);
  await assert.rejects(done, /cannot be read back/);
  assert.equal(failures.length, 1);
  assert.match(failures[0]!, /no run/);
  assert.deepEqual(m.running, []);
  // The manager still works.
  const t2 = scriptedTrainer();
  (m as unknown as { opts: { launch: () => unknown } }).opts.launch = () => t2.handle;
  const next = m.submit(setup(3, 2));
  for (const msg of completes(3)) t2.say(msg);
  t2.exit(0);
  assert.equal((await m.waitFor(next)).status, 'completed');
  await m.close();
  archive.close();
});

test('closing a manager mid-sweep: the queued members are interrupted (resumable) and a new manager finishes them', { timeout: 30_000 }, async () => {
  const file = join(dir, 'close.sqlite');
  const archive = openArchive(file);
  const first = new RunManager(archive, { concurrency: 1, launch: () => scriptedTrainer().handle });
  const members = [1, 2, 3].map((seed, idx) => ({ name: `m${idx}`, setup: setup(3, seed), idx, combo: { seed } }));
  const { sweepId, runIds } = first.submitSweep({ name: 'sw' }, members);
  assert.deepEqual(first.running, [runIds[0]]);
  await first.close();
  for (const u of runIds) assert.equal(archive.getRun(u)!.status, 'interrupted', `run ${u}`);
  assert.match(archive.getRun(runIds[1]!)!.error!, /before it started/);
  const second = new RunManager(archive, { concurrency: 1, launch: () => {
    const t = scriptedTrainer();
    setImmediate(() => {
      for (const msg of completes(3)) t.say(msg);
      t.exit(0);
    });
    return t.handle;
  } });
  second.recover();
  for (const u of runIds) second.resume(u);
  await second.idle();
  assert.deepEqual(archive.listRuns({ sweep: sweepId }).map((r) => r.status), ['completed', 'completed', 'completed']);
  await second.close();
  archive.close();
});

test('an owner killed mid-sweep: the next start marks its running and queued runs interrupted; they resume to completion', { timeout: 110_000 }, async () => {
  const file = join(dir, 'killed.sqlite');
  const fixture = fileURLToPath(new URL('./fixtures/sweep-proc.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture, file, JSON.stringify({ ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 2 } })], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  for (let i = 0; i < 600 && !out.includes('\n'); i++) await sleep(50);
  const runIds = out.trim().split(',');
  assert.equal(runIds.length, 3, out);
  process.kill(proc.pid!, 'SIGKILL');
  await exited;
  const archive = openArchive(file);
  const before = runIds.map((u) => archive.getRun(u)!.status);
  assert.ok(before.filter((s) => s === 'queued').length >= 2, before.join(','));
  const m = new RunManager(archive, { concurrency: 1, backend: 'wasm' });
  assert.deepEqual(new Set(m.recover()), new Set(runIds.filter((_, i) => before[i] !== 'completed')));
  for (const u of runIds) if (archive.getRun(u)!.status === 'interrupted') m.resume(u);
  await m.idle();
  await m.close();
  for (const u of runIds) {
    const r = archive.getRun(u)!;
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(r.lastStep, 2);
  }
  archive.close();
});
