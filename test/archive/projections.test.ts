/**
 * Representation pictures in the archive: stored and read back (float32 coordinates, labels, class
 * names, measurements), carried by the JSON run bundle (export → import, and a bundle without them
 * still imports), checked on import (field named), copied by an archive merge and a shard merge,
 * deleted with their run,
 * and an archive of the schema before them (version 2) opens, migrates and keeps its runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openArchive, SCHEMA_VERSION, type Archive } from '../../src-main/archive/archive.ts';
import { exportRunBundle, importRunBundle } from '../../src-main/archive/export.ts';
import { importArchive, mergeShard } from '../../src-main/archive/merge.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { clusterFixture, writeShard } from './shard-fixture.ts';
import { APPLICATION_ID, MIGRATIONS } from '../../src-main/archive/schema.ts';
import type { ProjectionEvent } from '../../src-main/common/events.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-projections-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** A picture of `n` points over 3 named classes, its coordinates not exact in float32. */
function picture(step: number, n = 30): ProjectionEvent {
  return {
    type: 'projection',
    step,
    epoch: step / 10,
    x: Array.from({ length: n }, (_, i) => Math.cos(i) * (step + 1) / 3),
    y: Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) / 7),
    labels: Array.from({ length: n }, (_, i) => i % 3),
    classNames: ['T-shirt', 'trouser', 'pull"over'],
    explained: [0.61, 0.2],
    totalVariance: 12.5,
    relativeVariance: 0.4,
  };
}

function runWithPictures(a: Archive, name: string): string {
  const r = a.createRun({ name, setup: { seed: 1 }, setupHash: `h-${name}`, seed: 1, status: 'running' });
  a.appendEvents(r.uuid, [picture(0), { type: 'eval', step: 0, epoch: 0, probeAcc: 0.3, knnAcc: 0.3, probeTrainAcc: 0.3 }, picture(40), { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: `h-${name}`, backend: 'wasm', steps: 40, epochs: 4, finalLoss: 1, collapseStd: 0.5, effectiveRank: 3, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 1, wallSec: 1 } }]);
  return r.uuid;
}

const f32 = (xs: number[]) => xs.map((v) => Math.fround(v));

test('pictures are stored by run and step and read back as float32, a repeated step replaced', () => {
  const a = openArchive(join(dir, 'store.sqlite'));
  const uuid = runWithPictures(a, 'store');
  const rows = a.getProjections(uuid);
  assert.deepEqual(rows.map((r) => r.step), [0, 40]);
  const p = picture(40);
  assert.deepEqual(rows[1], { step: 40, epoch: 4, x: f32(p.x), y: f32(p.y), labels: p.labels, classNames: p.classNames, explained: [0.61, 0.2], totalVariance: 12.5, relativeVariance: 0.4 });
  assert.deepEqual(a.getProjections(uuid, [40]).map((r) => r.step), [40]);
  assert.deepEqual(a.projectionSteps(uuid), [0, 40]);
  // A resumed run repeats its evaluation: the newer picture replaces the older one.
  a.appendEvents(uuid, [{ ...picture(40, 5), explained: [NaN, 0.1] }]);
  const again = a.getProjections(uuid, [40])[0]!;
  assert.equal(again.x.length, 5);
  assert.deepEqual(again.explained, [null, 0.1]);
  assert.throws(() => a.appendEvents(uuid, [{ ...picture(41), y: [1] }]), /projection at step 41 has 30 x, 1 y and 30 labels/);
  assert.equal(a.counts().projections, 2);
  a.deleteRun(uuid);
  assert.equal(a.counts().projections, 0, 'deleted with the run');
  a.close();
});

test('the JSON run bundle carries the pictures through export and import; a bundle without them imports', () => {
  const a = openArchive(join(dir, 'from.sqlite'));
  const uuid = runWithPictures(a, 'bundle');
  const bundle = JSON.parse(JSON.stringify(exportRunBundle(a, uuid)));
  assert.equal(bundle.projections.length, 2);
  const b = openArchive(join(dir, 'to.sqlite'));
  assert.equal(importRunBundle(b, bundle), true);
  assert.deepEqual(b.getProjections(uuid), a.getProjections(uuid));
  // A bundle of a lab before pictures: no field, the run imports without them.
  const old = structuredClone(bundle);
  delete old.projections;
  old.run.uuid = 'older-bundle';
  assert.equal(importRunBundle(b, old), true);
  assert.deepEqual(b.getProjections('older-bundle'), []);
  // Hostile or broken pictures are refused, naming the field.
  const bad = (mutate: (p: Record<string, unknown>) => void, why: RegExp) => {
    const x = structuredClone(bundle);
    x.run.uuid = `bad-${Math.random().toString(36).slice(2)}`;
    mutate(x.projections[1]);
    assert.throws(() => importRunBundle(b, x), why);
    assert.equal(b.getRun(x.run.uuid), undefined, 'nothing of a refused bundle is stored');
  };
  bad((p) => (p.labels = (p.labels as number[]).slice(1)), /run bundle field projections\.1\.labels: 30 x, 30 y and 29 labels/);
  bad((p) => ((p.labels as number[])[4] = 3), /run bundle field projections\.1\.labels\.4: class 3 is not one of the 3 classNames/);
  bad((p) => ((p.labels as number[])[2] = -1), /run bundle field projections\.1\.labels\.2/);
  bad((p) => (p.x = new Array(20_001).fill(0)), /run bundle field projections\.1\.x/);
  a.close();
  b.close();
});

test('an archive merge copies the pictures with their runs', () => {
  const src = openArchive(join(dir, 'merge-src.sqlite'));
  const uuid = runWithPictures(src, 'merged');
  src.close();
  const dst = openArchive(join(dir, 'merge-dst.sqlite'));
  assert.equal(importArchive(dst, join(dir, 'merge-src.sqlite')).runsAdded, 1);
  assert.deepEqual(dst.getProjections(uuid).map((p) => [p.step, p.x.length]), [[0, 30], [40, 30]]);
  dst.close();
});

test("a cluster sweep's shard brings its member run's pictures with it", () => {
  const fx = clusterFixture();
  try {
    const m = fx.members[0]!;
    const shard = join(fx.dir, 'shard-0.sqlite');
    writeShard(shard, [{ uuid: m.uuid, setup: m.setup, sweep: fx.sweep, idx: 0 }]);
    const s = openArchive(shard);
    s.appendEvents(m.uuid, [picture(0), picture(4)]);
    s.close();
    const lab = openArchive(fx.labFile);
    const member = { sweepUuid: fx.sweep, idx: 0, runUuid: m.uuid, setupHash: setupHash(m.setup), combo: { seed: m.setup.seed }, sweep: { name: 'cluster', definition: {}, createdAt: 0 } };
    assert.equal(mergeShard(lab, shard, member).result, 'added');
    assert.deepEqual(lab.getProjections(m.uuid).map((p) => [p.step, p.x.length]), [[0, 30], [4, 30]]);
    lab.close();
  } finally {
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

test('an archive of schema version 2 (before pictures) opens, migrates and keeps its runs', () => {
  const f = join(dir, 'v2.sqlite');
  const db = new Database(f);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  for (const m of MIGRATIONS.slice(0, 2)) db.exec(m.sql);
  db.pragma('user_version = 2');
  db.prepare("INSERT INTO runs (uuid, name, setup_json, setup_hash, status, created_at, seed) VALUES ('old-run', 'old', '{}', 'h', 'completed', 1, 0)").run();
  db.close();
  const a = openArchive(f);
  assert.equal(a.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual(a.schemaProblems(), []);
  assert.equal(a.getRun('old-run')?.name, 'old');
  assert.deepEqual(a.getProjections('old-run'), []);
  a.appendEvents('old-run', [picture(0)]);
  assert.equal(a.getProjections('old-run').length, 1);
  a.close();
});
