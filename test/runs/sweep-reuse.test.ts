// Issue 23: a sweep reuses the finished runs of the same setup hash (as the claims do), a failed
// start discards only the runs it created, and a round of added seeds extends the same sweep. The
// sweep record marks the members it reused (schema version 4; older archives migrate to 'none').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openArchive, SCHEMA_VERSION } from '../../src-main/archive/archive.ts';
import { APPLICATION_ID, MIGRATIONS } from '../../src-main/archive/schema.ts';
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
    // The sweep record says which members were reused, after the fact (dplab sweep status, watch, the follow loop).
    assert.deepEqual(a.getSweep(second.sweepId)!.members.map((m) => m.reused), [true, true, true, false]);
    assert.deepEqual(a.getSweep(first.sweepId)!.members.map((m) => m.reused), [false, false, false, false]);
    assert.deepEqual(a.listSweeps().map((s) => [s.uuid, s.reused]).sort(), [[first.sweepId, 0], [second.sweepId, 3]].sort());
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
    // A round that reuses: 'none' at seed 3 was trained by hand before the round asks for it.
    const seed3 = expandSweep(withSeeds(def, 4)).members.filter((m) => m.combo.seed === 3);
    const lone = a.createRun({ name: 'by hand', setup: seed3[0]!.setup as unknown as Record<string, unknown>, setupHash: setupHash(seed3[0]!.setup), seed: 3, status: 'running' });
    a.appendEvents(lone.uuid, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: setupHash(seed3[0]!.setup), backend: 'wasm', steps: 1, epochs: 1, finalLoss: 1, collapseStd: 1, effectiveRank: 1, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 1, wallSec: 1 } }]);
    const round2 = extendSweepRuns(a, first.sweepId, withSeeds(def, 4), seed3);
    assert.equal(round2.reused, 1);
    assert.deepEqual(a.getSweep(first.sweepId)!.members.slice(6).map((m) => [m.runUuid === lone.uuid, m.reused]), [[true, true], [false, false]]);
  } finally {
    a.close();
  }
});

test('an archive written by the schema before reuse was recorded (version 3) opens, migrates, and its sweeps read as reusing nothing', () => {
  const f = join(mkdtempSync(join(tmpdir(), 'dplab-reuse-v3-')), 'v3.sqlite');
  const db = new Database(f);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  for (const m of MIGRATIONS.slice(0, 3)) db.exec(m.sql);
  db.pragma('user_version = 3');
  db.prepare("INSERT INTO runs (uuid, name, setup_json, setup_hash, status, created_at, seed) VALUES ('old-run', 'old', '{}', 'h', 'completed', 1, 0)").run();
  db.prepare("INSERT INTO sweeps (uuid, name, definition_json, created_at) VALUES ('old-sweep', 'old', ?, 2)").run(JSON.stringify({ ...def, baseline: { path: 'predictor.kind', value: 'none', margin: 0.02 } }));
  db.prepare("INSERT INTO sweep_runs (sweep_id, run_id, idx, combo_json) VALUES (1, 1, 0, '{\"seed\":0}')").run();
  db.close();
  const a = openArchive(f);
  try {
    assert.equal(a.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(a.schemaProblems(), []);
    const s = a.getSweep('old-sweep')!;
    assert.deepEqual(s.members, [{ runUuid: 'old-run', idx: 0, combo: { seed: 0 }, reused: false }]);
    assert.deepEqual((s.definition as SweepDefinition).baseline, { path: 'predictor.kind', value: 'none', margin: 0.02 }, 'the stored baseline comes through the migration');
    assert.deepEqual(a.listSweeps().map((x) => x.reused), [0]);
    // The migrated archive records reuse from now on.
    const { members } = expandSweep(def);
    const fresh = createSweepRuns(a, def, members);
    assert.deepEqual(a.getSweep(fresh.sweepId)!.members.map((m) => m.reused), [false, false, false, false]);
  } finally {
    a.close();
  }
});
