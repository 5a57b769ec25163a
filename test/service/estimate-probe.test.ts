// estimate.time on an archive with no finished run: a short probe run in a real trainer process
// measures this machine's pace (runs/probe.ts). Its figure is within a generous factor of the real
// run's measured time, a second request is answered from the kept pace without a trainer, a newer
// request or closing the service ends a probe in flight and leaves no process, the service answers
// app.info while a probe trains, and no probe is recorded as a run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabEvent, Results } from '../../src-main/contract/index.ts';
import { LabService } from '../../src-main/service/service.ts';
import { forkTrainer } from '../../src-main/runs/manager.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

// The quick network over 160 steps (10 epochs of 16 steps): long enough that the probe's 20 steps
// and its fixed part have to be told apart to land near the real time.
const TINY = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 10, maxSteps: 160 } };
/**
 * Two more shapes, over 8× TINY's multiply-adds a step and 8× apart from each other, so neither is
 * scaled from TINY's pace or its finished run (runs/estimate.ts SCALE_RANGE): each needs its own probe.
 */
const OTHER = { ...TINY, encoder: { kind: 'convnet' as const, widths: [64, 128], residual: false } };
const THIRD = { ...TINY, encoder: { kind: 'convnet' as const, widths: [256, 512], residual: false } };

let dir: string;
let service: LabService;
/** Pids of every trainer the service started (probes and runs). */
const launched: number[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-estimate-probe-'));
  service = new LabService({
    archivePath: join(dir, 'a.sqlite'),
    transport: 'ipc',
    concurrency: 1,
    backend: 'wasm',
    dataDir: join(dir, 'data'),
    launch: () => {
      const h = forkTrainer();
      launched.push(h.pid);
      return h;
    },
  });
});

after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

async function estimate(args: unknown): Promise<Results['estimate.time']> {
  const r = await service.handle('estimate.time', args);
  if (!r.ok) throw new Error(r.error.message);
  return r.result as Results['estimate.time'];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` every 20 ms until it holds (a hang guard of `ms`). */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function runCount(): Promise<number> {
  const r = await service.handle('runs.list', {});
  assert.ok(r.ok);
  return (r.result as Results['runs.list']).length;
}

test('an empty archive: a probe measures the pace, near the real run\'s time; asked again, the kept pace answers', { timeout: 600_000 }, async () => {
  const first = await estimate({ setups: [TINY] });
  assert.equal(first.basis, 'none');
  assert.equal(first.wallSec, null);
  assert.deepEqual(first.probe, { status: 'needed' });
  assert.equal(launched.length, 0, 'no probe without `probe`');

  const probed = await estimate({ setups: [TINY], probe: true });
  assert.equal(probed.basis, 'probe', JSON.stringify(probed));
  assert.equal(probed.probe?.status, 'measured');
  // 20 steps, fewer where a loaded machine makes them pass the probe's stepping cap (20 s).
  assert.ok(probed.probe!.steps! >= 3 && probed.probe!.steps! <= 20, `${probed.probe!.steps} steps`);
  assert.equal(probed.probed, 1);
  assert.ok(probed.probe!.perStepSec! > 0 && probed.probe!.fixedSec! > 0, JSON.stringify(probed.probe));
  assert.ok(Math.abs(probed.wallSec! - (probed.probe!.perStepSec! * 160 + probed.probe!.fixedSec!)) < 1e-6);
  assert.equal(launched.length, 1);
  assert.equal(await runCount(), 0, 'a probe is not recorded as a run');

  // Another seed and learning rate of the same shape: the kept pace, no trainer started.
  const again = await estimate({ setups: [{ ...TINY, seed: 4, optim: { ...TINY.optim, lr: 0.02 } }] });
  assert.equal(again.basis, 'probe');
  assert.equal(again.probe?.status, 'cached');
  assert.equal(again.wallSec, probed.wallSec);
  assert.equal(launched.length, 1, 'the second estimate started no probe');

  // The real run, queued to done, as the estimate claims to predict it.
  const t0 = performance.now();
  const start = await service.handle('runs.start', { setup: TINY });
  assert.ok(start.ok);
  const runId = (start.result as Results['runs.start']).runId;
  const done = new Promise<string>((resolve) => {
    const off = service.onEvent((e: LabEvent) => {
      if (e.type === 'run.status' && e.runId === runId && e.status !== 'queued' && e.status !== 'running') off(), resolve(e.status);
    });
  });
  assert.equal(await done, 'completed');
  const realSec = (performance.now() - t0) / 1000;
  const ratio = probed.wallSec! / realSec;
  console.log(`probe estimate ${probed.wallSec!.toFixed(1)} s (${JSON.stringify(probed.probe)}), real run ${realSec.toFixed(1)} s, ratio ${ratio.toFixed(2)}`);
  // Generous: the probe and the run are timed minutes apart on a machine other test files load.
  assert.ok(ratio > 0.25 && ratio < 4, `estimate ${probed.wallSec} s against ${realSec} s measured`);
});

test('a probe in flight: the service answers meanwhile; a newer request, or closing, ends it and leaves no process', { timeout: 600_000 }, async () => {
  const before = launched.length;
  let settled = false;
  const pending = estimate({ setups: [OTHER], probe: true }).finally(() => (settled = true));
  await until(() => launched.length > before && alive(launched[before]!), 120_000, 'the probe\'s trainer');
  const pid = launched[before]!;
  // The loop is free while the probe trains in its own process.
  const t0 = performance.now();
  const info = await service.handle('app.info', {});
  const ms = performance.now() - t0;
  assert.ok(info.ok);
  assert.equal(settled, false, 'the probe was still running when app.info answered');
  assert.ok(ms < 3000, `app.info took ${ms.toFixed(0)} ms during a probe`);

  // A newer estimate of another shape supersedes it: its trainer is gone by the time it answers.
  const newer = await estimate({ setups: [THIRD] });
  assert.equal(newer.probe?.status, 'needed');
  const old = await pending;
  assert.equal(old.probe?.status, 'superseded');
  assert.equal(old.wallSec, null);
  assert.equal(alive(pid), false, `probe trainer ${pid} still runs`);

  // Closing the service ends the next one the same way.
  const mid = launched.length;
  const closing = estimate({ setups: [THIRD], probe: true });
  await until(() => launched.length > mid && alive(launched[mid]!), 120_000, 'the second probe\'s trainer');
  await service.close();
  assert.equal((await closing).probe?.status, 'superseded');
  assert.equal(alive(launched[mid]!), false, 'the probe outlived the service');
  assert.equal(launched.length, mid + 1);
});

test('a lab with probes off (dplab serve --no-estimate-probes): the estimate says so and starts no trainer', async () => {
  const offDir = mkdtempSync(join(tmpdir(), 'dplab-estimate-off-'));
  const started: number[] = [];
  const off = new LabService({
    archivePath: join(offDir, 'a.sqlite'),
    transport: 'ipc',
    backend: 'wasm',
    dataDir: join(offDir, 'data'),
    estimateProbes: false,
    launch: () => {
      const h = forkTrainer();
      started.push(h.pid);
      return h;
    },
  });
  try {
    const r = await off.handle('estimate.time', { setups: [THIRD], probe: true });
    assert.ok(r.ok, JSON.stringify(r));
    const e = r.result as Results['estimate.time'];
    assert.equal(e.basis, 'none');
    assert.equal(e.wallSec, null);
    assert.equal(e.probe?.status, 'off');
    assert.match(e.probe?.message ?? '', /--no-estimate-probes/);
    assert.equal(started.length, 0, 'no probe trainer');
  } finally {
    await off.close();
    rmSync(offDir, { recursive: true, force: true });
  }
});
