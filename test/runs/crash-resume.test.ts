// npm test: mostly waits (on a trainer's checkpoints, its kill and the manager's restart: 7.9 s of CPU in 24 s of wall, 2026-12-08)
// kill -9 of a trainer (and of its manager) mid-run: the archive stays sound, the metrics flushed
// before the kill are there, the run is 'interrupted' after a manager restarts, and resuming it from
// its newest checkpoint ends with exactly the same metrics as the same run left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive, type Archive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { RunManager } from '../../src-main/runs/manager.ts';
import { processAlive } from '../../src-main/runs/process.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-crash-'));
const STEPS = 40;
const EVERY = 4;
const raw = {
  seed: 5,
  ...QUICK_SETUP,
  optim: { ...QUICK_SETUP.optim, epochs: 10, maxSteps: STEPS },
};
const fixture = fileURLToPath(new URL('./fixtures/manager-proc.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lossSeries(a: Archive, uuid: string) {
  return a.getMetrics(uuid, ['loss'])[0]!;
}

/** Resume is bit-exact: the same number, not a close one. */
function close(a: number | null | undefined, b: number | null | undefined, what: string) {
  assert.ok(typeof a === 'number' && typeof b === 'number', `${what}: ${a} vs ${b}`);
  assert.equal(a, b, `${what}: resumed ${a} vs uninterrupted ${b}`);
}

test('kill -9 mid-run, recover as interrupted, resume to the same final metrics', { timeout: 110_000 }, async () => {
  // The uninterrupted reference.
  const refArchive = openArchive(join(dir, 'ref.sqlite'));
  const refManager = new RunManager(refArchive, { concurrency: 1, backend: 'wasm', checkpointEvery: EVERY });
  const refUuid = refManager.submit(parseSetup(raw));
  const ref = await refManager.waitFor(refUuid);
  await refManager.close();
  assert.equal(ref.status, 'completed', ref.error ?? '');

  // The same run in a manager process of its own, killed with its trainer part-way.
  const file = join(dir, 'crash.sqlite');
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture, file, JSON.stringify(raw), String(EVERY)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let uuid = '';
  let trainerPid = 0;
  for (let i = 0; i < 1200 && !trainerPid; i++) {
    await sleep(50);
    uuid = out.trim();
    if (!uuid) continue;
    const look = openArchive(file, { readonly: true });
    const r = look.getRun(uuid);
    const ck = r && look.latestCheckpoint(uuid);
    if (r?.status === 'running' && ck && ck.step >= 3 * EVERY && (r.lastStep ?? 0) > ck.step) trainerPid = r.pid!;
    look.close();
  }
  assert.ok(trainerPid > 0, 'the run reached its third checkpoint');
  // The manager first, so no live process sees the trainer die and marks the run itself.
  process.kill(proc.pid!, 'SIGKILL');
  await exited;
  try {
    process.kill(trainerPid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; // it may already have left on losing its parent
  }
  for (let i = 0; i < 100 && processAlive(trainerPid); i++) await sleep(20);
  assert.ok(!processAlive(trainerPid));

  const archive = openArchive(file);
  assert.deepEqual(archive.integrityCheck(), ['ok']);
  const before = archive.getRun(uuid)!;
  assert.equal(before.status, 'running', 'nobody has looked at it yet');
  assert.ok(before.lastStep! < STEPS, `killed before the end (last step ${before.lastStep})`);
  // Every step up to the last flushed one is there, none missing.
  const flushed = lossSeries(archive, uuid);
  assert.deepEqual(flushed.steps, Array.from({ length: before.lastStep! }, (_, i) => i + 1));
  const ckStep = archive.latestCheckpoint(uuid)!.step;
  assert.ok(ckStep >= 3 * EVERY && ckStep <= before.lastStep!);

  const manager = new RunManager(archive, { concurrency: 1, backend: 'wasm', checkpointEvery: EVERY });
  assert.deepEqual(manager.recover(), [uuid]);
  assert.equal(archive.getRun(uuid)!.status, 'interrupted');
  manager.resume(uuid);
  const done = await manager.waitFor(uuid);
  await manager.close();
  assert.equal(done.status, 'completed', done.error ?? '');

  // Same metrics as the uninterrupted run, step by step and at the end.
  const a = lossSeries(archive, uuid);
  const b = lossSeries(refArchive, refUuid);
  assert.deepEqual(a.steps, b.steps);
  a.values.forEach((v, i) => close(v, b.values[i], `loss at step ${a.steps[i]}`));
  for (const k of ['finalLoss', 'collapseStd', 'effectiveRank', 'probeAcc', 'knnAcc'] as const) close(done.summary![k], ref.summary![k], k);
  assert.equal(done.summary!.steps, STEPS);
  const sa = archive.getSpectra(uuid);
  const sb = refArchive.getSpectra(refUuid);
  assert.deepEqual(sa.map((s) => s.step), sb.map((s) => s.step));
  sa.at(-1)!.fEig.forEach((v, j) => close(v, sb.at(-1)!.fEig[j], `s_${j} of F̂ at the last snapshot`));
  assert.deepEqual(archive.integrityCheck(), ['ok']);
  archive.close();
  refArchive.close();
});
