// estimate.time through the LabService on a real SQLite archive: finished quick runs recorded with
// known wall times give the figure for one setup and for a sweep's grid (spread over the queue's
// concurrency), runs the archive holds by setup hash count as reused, a setup that does not validate
// is counted, not estimated, a request with neither setups nor a definition is refused by name, and
// `dplab run --estimate` gives the same figure (a probe run's without an archive).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { machineCores } from '../../src-main/common/backends.ts';
import type { Results } from '../../src-main/contract/index.ts';
import { LabService } from '../../src-main/service/service.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

let dir: string;
let service: LabService;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-estimate-'));
  const file = join(dir, 'a.sqlite');
  const a = openArchive(file);
  try {
    // Two finished quick runs on wasm (seeds 0 and 1): 48 steps at 320 images/s (0.1 s a step) + 5 s fixed.
    for (const seed of [0, 1]) {
      const setup = parseSetup({ ...QUICK_SETUP, seed });
      const run = a.createRun({ name: `quick ${seed}`, setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed });
      a.appendEvents(run.uuid, [
        { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: setupHash(setup), backend: 'wasm', steps: 48, epochs: 3, finalLoss: 1, collapseStd: 0.5, effectiveRank: 4, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 320, wallSec: 9.8 } },
      ]);
    }
  } finally {
    a.close();
  }
  service = new LabService({ archivePath: file, transport: 'ipc', concurrency: 2, backend: 'wasm', dataDir: join(dir, 'data') });
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

test('estimate.time: one setup of a recorded shape, and a grid over the queue', async () => {
  const one = await estimate({ setups: [{ ...QUICK_SETUP, seed: 7 }] });
  assert.equal(one.basis, 'recorded');
  assert.equal(one.backend, 'wasm');
  assert.equal(one.basisRuns, 2);
  assert.ok(Math.abs(one.wallSec! - 9.8) < 1e-6, `${one.wallSec}`);
  // 3 step counts × 2 seeds (100 epochs, so maxSteps decides): 48, 96 and 480 steps at 0.1 s + 5 s each.
  const grid = await estimate({ definition: { name: 'g', base: { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 100 } }, axes: { 'optim.maxSteps': [48, 96, 480] }, seeds: 2 } });
  assert.equal(grid.runs, 6);
  const parallel = Math.min(2, machineCores(process.env, availableParallelism()));
  assert.equal(grid.parallel, parallel);
  const total = 2 * (9.8 + 14.6 + 53);
  assert.ok(Math.abs(grid.totalSec - total) < 1e-6, `${grid.totalSec}`);
  assert.ok(Math.abs(grid.wallSec! - Math.max(53, total / parallel)) < 1e-6, `${grid.wallSec}`);
});

test('estimate.time: reused runs, invalid setups, an unknown backend shape, bad requests', async () => {
  const r = await estimate({ setups: [{ ...QUICK_SETUP, seed: 0 }, { ...QUICK_SETUP, seed: 1 }, { ...QUICK_SETUP, seed: 2 }], reuse: true });
  assert.equal(r.reused, 2);
  assert.ok(Math.abs(r.wallSec! - 9.8) < 1e-6);
  const bad = await estimate({ setups: [{ optim: { batchSize: -1 } }, { ...QUICK_SETUP }] });
  assert.equal(bad.invalid, 1);
  assert.equal(bad.runs, 1);
  // Another shape on the same backend: scaled from the recorded runs, and marked so.
  const wide = await estimate({ setups: [{ ...QUICK_SETUP, encoder: { kind: 'convnet', widths: [16, 16], residual: false } }] });
  assert.equal(wide.basis, 'scaled');
  assert.ok(wide.wallSec! > 4.8, `${wide.wallSec}`);
  const neither = await service.handle('estimate.time', {});
  assert.equal(neither.ok, false);
  assert.match((neither as { error: { message: string } }).error.message, /setups or definition/);
  const proto = await service.handle('estimate.time', JSON.parse('{"setups":[{"__proto__":{"x":1}}]}'));
  assert.equal(proto.ok, false);
});

test('dplab run --estimate: the same figure from the archive, else from a probe run; nothing recorded', { timeout: 120_000 }, async () => {
  const runs = async () => {
    const r = await service.handle('runs.list', {});
    assert.ok(r.ok);
    return (r.result as Results['runs.list']).length;
  };
  const before = await runs();
  const file = join(dir, 'quick.json');
  writeFileSync(file, JSON.stringify({ ...QUICK_SETUP, seed: 5 }));
  const archive = join(dir, 'a.sqlite');
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'run', file, '--estimate', '--backend', 'wasm', '--archive', archive], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const e = JSON.parse(r.stdout) as Results['estimate.time'];
  assert.equal(e.basis, 'recorded');
  assert.ok(Math.abs(e.wallSec! - 9.8) < 1e-6, r.stdout);
  assert.match(r.stderr, /about 10s on wasm \(from 2 finished runs in /);
  assert.equal(await runs(), before, 'no run recorded');
  // Without an archive: a short probe run measures the pace (the service's code), nothing recorded.
  const missing = join(dir, 'missing.sqlite');
  const probed = spawnSync(process.execPath, ['bin/dplab.mjs', 'run', file, '--estimate', '--backend', 'wasm', '--archive', missing], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8' });
  assert.equal(probed.status, 0, probed.stderr);
  const p = JSON.parse(probed.stdout) as Results['estimate.time'];
  assert.equal(p.basis, 'probe', probed.stdout);
  assert.equal(p.probe?.status, 'measured');
  assert.ok(p.wallSec! > 0);
  assert.match(probed.stderr, /measuring this machine's pace with a short probe run/);
  // 20 steps, fewer where a loaded machine makes them pass the probe's stepping cap.
  assert.match(probed.stderr, /about .+ on wasm \(measured by a \d+-step probe: [\d.]+ s a step \+ \d+ s of start-up, data and evaluation\)/);
  assert.equal(existsSync(missing), false, 'no archive made by the probe');
});
