/**
 * Claim runs trained at once (the default: one per core, one thread each) give bit for bit the
 * results each gives trained alone, and a run trained twice gives the same results: real trainer
 * processes, real SQLite archives. Before claim runs were pinned to one thread, a run alone took
 * both cores' threads and its numbers moved with float reassociation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive, type RunRecord } from '../../src-main/archive/archive.ts';
import { claimById } from '../../src-main/reproduce/claims.ts';
import { planRuns, trainMissing, type PlannedRun } from '../../src-main/runs/reproduce.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

// This file checks the default share of the machine's cores: the test runner's one-core hint
// (DPLAB_CORES=1, scripts/test.mjs) would hide it.
delete process.env.DPLAB_CORES;

const TINY = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 12 }, eval: { ...QUICK_SETUP.eval, probeEpochs: 2, spectraEvery: 4 } };

/** Trains `plan` into a fresh archive (`alone`: one planned run per call, at concurrency 1); returns the runs by setup hash. */
async function trainInto(file: string, plan: PlannedRun[], alone: boolean): Promise<Map<string, RunRecord>> {
  const archive = openArchive(file);
  try {
    if (alone) for (const p of plan) await trainMissing(archive, [p], { backend: 'wasm', concurrency: 1 });
    else await trainMissing(archive, plan, { backend: 'wasm' });
    return new Map(archive.listRuns({ tag: 'reproduce' }).map((r) => [r.setupHash, r]));
  } finally {
    archive.close();
  }
}

/** The numbers of a run's summary that must not depend on how it was scheduled. */
function results(r: RunRecord) {
  const s = r.summary!;
  return { outcome: s.outcome, steps: s.steps, finalLoss: s.finalLoss, collapseStd: s.collapseStd, effectiveRank: s.effectiveRank, probeAcc: s.probeAcc, knnAcc: s.knnAcc, baseline: s.baseline };
}

test('claim runs at once equal the same runs alone, bit for bit, each on one thread', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-concurrent-'));
  try {
    const plan = planRuns([claimById('no-stop-gradient-collapses')!], [0, 1], TINY);
    assert.equal(plan.length, 4);
    const together = await trainInto(join(dir, 'together.sqlite'), plan, false);
    const alone = await trainInto(join(dir, 'alone.sqlite'), plan, true);
    const again = await trainInto(join(dir, 'again.sqlite'), plan.slice(0, 1), true);
    for (const p of plan) {
      const t = together.get(p.hash)!;
      const a = alone.get(p.hash)!;
      assert.equal(t.status, 'completed', `${p.arm}/${p.seed}: ${t.summary?.error}`);
      assert.equal(a.status, 'completed', `${p.arm}/${p.seed}: ${a.summary?.error}`);
      assert.equal(t.summary!.threads, 1, 'a claim run trains on one thread');
      assert.equal(a.summary!.threads, 1, 'a claim run trains on one thread');
      assert.ok(typeof t.summary!.finalLoss === 'number' && Number.isFinite(t.summary!.finalLoss));
      assert.deepEqual(results(t), results(a), `${p.arm}/seed ${p.seed}: at once vs alone`);
    }
    assert.deepEqual(results(again.get(plan[0]!.hash)!), results(alone.get(plan[0]!.hash)!), 'the same run twice');
    if (availableParallelism() >= 2) {
      // The default trained runs side by side: some two overlapped in time.
      const runs = [...together.values()];
      const overlap = runs.some((x) => runs.some((y) => x !== y && x.startedAt! < y.endedAt! && y.startedAt! < x.endedAt!));
      assert.ok(overlap, 'no two runs overlapped: the default did not train them at once');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
