// Issue 23: a sweep reuses the finished runs of the same setup hash (as the claims do), a failed
// start discards only the runs it created, and a round of added seeds extends the same sweep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArchive } from '../../src-main/archive/archive.ts';
import { expandSweep, type SweepDefinition } from '../../src-main/common/sweep.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { createSweepRuns, extendSweepRuns, withSeeds } from '../../src-main/runs/sweep.ts';

const def: SweepDefinition = { name: 'r', base: QUICK_SETUP as Record<string, unknown>, axes: { 'predictor.kind': ['none', 'linear'] }, seeds: 2 };

test('withSeeds grows a count, or a list by the next unused seeds', () => {
  assert.equal(withSeeds(def, 5).seeds, 5);
  assert.deepEqual(withSeeds({ ...def, seeds: [4, 2] }, 4).seeds, [4, 2, 5, 6]);
  assert.equal(withSeeds(def, 1), def, 'never shrinks');
});

test('a second sweep of the same grid links the completed runs; a failed start keeps them; a round extends the sweep', () => {
  const a = openArchive(join(mkdtempSync(join(tmpdir(), 'dplab-reuse-')), 'lab.sqlite'));
  try {
    const { members } = expandSweep(def);
    const first = createSweepRuns(a, def, members);
    assert.deepEqual([first.newRunIds.length, first.reused], [4, 0]);
    // Three of the four finish; the fourth stays queued (not reusable).
    first.runIds.slice(0, 3).forEach((u, i) =>
      a.appendEvents(u, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: setupHash(members[i]!.setup), backend: 'wasm', steps: 1, epochs: 1, finalLoss: 1, collapseStd: 1, effectiveRank: 1, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 1, wallSec: 1 } }]),
    );
    const second = createSweepRuns(a, def, members);
    assert.equal(second.reused, 3);
    assert.deepEqual(second.runIds.slice(0, 3), first.runIds.slice(0, 3), 'the same runs, linked');
    assert.equal(second.newRunIds.length, 1);
    assert.notEqual(second.runIds[3], first.runIds[3], 'a queued run is not reused');
    assert.equal(a.listRuns({}).length, 5);
    // The executor refused the second sweep: only its own new run goes.
    a.discardSweep(second.sweepId);
    assert.equal(a.listRuns({}).length, 4);
    assert.deepEqual(first.runIds.map((u) => a.getRun(u)?.status), ['completed', 'completed', 'completed', 'queued']);

    const more = withSeeds(def, 3);
    const round = extendSweepRuns(a, first.sweepId, more, expandSweep(more).members);
    assert.equal(round.newRunIds.length, 2, 'seed 2 of each kind');
    const s = a.getSweep(first.sweepId)!;
    assert.equal(s.members.length, 6);
    assert.deepEqual(s.members.map((m) => m.idx), [0, 1, 2, 3, 4, 5], 'new members indexed after the old');
    assert.deepEqual(s.members.slice(4).map((m) => m.combo.seed), [2, 2]);
    assert.equal((s.definition as SweepDefinition).seeds, 3, 'the stored definition says 3 seeds');
  } finally {
    a.close();
  }
});
