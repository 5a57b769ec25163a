import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, openSync, writeSync, closeSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { ArchiveError, openArchive, SCHEMA_VERSION } from '../../src-main/archive/archive.ts';
import { APPLICATION_ID } from '../../src-main/archive/schema.ts';
import { resolveArchivePath, userDataDir } from '../../src-main/archive/paths.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-archive-'));
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function fillRun(file: string, steps = 200) {
  const a = openArchive(file);
  const r = a.createRun({ name: 'r', setup: { seed: 3, optim: { lr: 0.1 } }, setupHash: 'h', seed: 3 });
  const events: TrainerEvent[] = [];
  for (let s = 1; s <= steps; s++) events.push({ type: 'scalars', step: s, epoch: Math.floor(s / 50), values: { loss: 2 / s, imagesPerSec: 100 + s } });
  a.appendEvents(r.uuid, events);
  a.close();
  return r.uuid;
}

test('a new archive is created in WAL mode at the current schema version, marked as ours', () => {
  const f = join(dir, 'new', 'sub', 'a.sqlite');
  const a = openArchive(f);
  assert.equal(a.schemaVersion, SCHEMA_VERSION);
  a.close();
  // The file itself says so (both are kept in its header), read on a connection of the test's own.
  const raw = new Database(f, { readonly: true });
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(raw.pragma('application_id', { simple: true }), APPLICATION_ID);
  raw.close();
  const again = openArchive(f);
  assert.equal(again.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual(again.integrityCheck(), ['ok']);
  again.close();
});

test('runs, events, spectra, evals, tags, notes, checkpoints and cascade delete', () => {
  const a = openArchive(join(dir, 'b.sqlite'));
  const r = a.createRun({ name: 'first', setup: { seed: 7 }, setupHash: 'abc', seed: 7 });
  assert.equal(r.status, 'queued');
  assert.equal(a.resolveRun(r.uuid.slice(0, 8)).uuid, r.uuid);
  a.setStatus(r.uuid, 'running', { startedAt: 1000, pid: 42 });
  const fEig = [3.25, 1.5, 0.125, 1e-9];
  a.appendEvents(r.uuid, [
    {
      type: 'started', setupHash: 'abc', totalSteps: 10, stepsPerEpoch: 5, startStep: 0,
      env: { backend: 'wasm', versions: { tfjs: '4.22.0' }, appVersion: '0.1.0', host: { platform: 'linux', arch: 'x64', cpus: 2, node: 'v20' } },
      dataset: { name: 'synthetic', hash: 'dsh', source: 'generated', pretrainCount: 256 },
    },
    { type: 'scalars', step: 1, epoch: 0, values: { loss: 1.25, lr: 0.03 } },
    { type: 'scalars', step: 2, epoch: 0, values: { loss: NaN, lr: 0.03 } },
    { type: 'spectra', step: 2, epoch: 0, fEig, wpEig: [0.5, 0.25], alignment: [0.9, -0.1], asymmetry: 0.01 },
    { type: 'eval', step: 2, epoch: 0, probeAcc: 0.5, knnAcc: 0.25, probeTrainAcc: 0.75 },
  ]);
  const got = a.getRun(r.uuid)!;
  assert.equal(got.status, 'running');
  assert.equal(got.backend, 'wasm');
  assert.equal(got.dataset?.hash, 'dsh');
  assert.equal(got.dataset?.pretrainCount, 256);
  assert.equal(got.lastStep, 2);
  assert.equal(got.totalSteps, 10);
  const m = a.getMetrics(r.uuid);
  assert.deepEqual(m.map((s) => s.name), ['loss', 'lr']);
  assert.deepEqual(m[0]!.values, [1.25, null]);
  assert.deepEqual(a.getMetrics(r.uuid, ['lr'])[0]!.steps, [1, 2]);
  const sp = a.getSpectra(r.uuid);
  assert.equal(sp.length, 1);
  sp[0]!.fEig.forEach((v, i) => assert.ok(Math.abs(v - fEig[i]!) <= 1e-7 * Math.abs(fEig[i]!)));
  assert.ok(Math.abs(sp[0]!.alignment[0]! - 0.9) < 1e-7);
  assert.deepEqual(a.getEvals(r.uuid), [{ step: 2, epoch: 0, probeAcc: 0.5, knnAcc: 0.25, probeTrainAcc: 0.75 }]);

  // A resumed run repeats steps after its checkpoint: the repeat replaces, never duplicates.
  a.appendEvents(r.uuid, [{ type: 'scalars', step: 2, epoch: 0, values: { loss: 1.0 } }]);
  assert.deepEqual(a.getMetrics(r.uuid, ['loss'])[0]!.values, [1.25, 1.0]);

  a.addTags(r.uuid, ['baseline', 'keep', 'baseline']);
  a.removeTags(r.uuid, ['keep']);
  assert.deepEqual(a.getRun(r.uuid)!.tags, ['baseline']);
  assert.equal(a.listRuns({ tag: 'baseline' }).length, 1);
  assert.equal(a.listRuns({ tag: 'other' }).length, 0);
  a.setNote(r.uuid, '# Note\nwith *markdown*');
  assert.equal(a.getNote(r.uuid), '# Note\nwith *markdown*');

  for (let s = 1; s <= 5; s++) a.putCheckpoint(r.uuid, s * 10, new Uint8Array([s, s, s]), 3);
  assert.deepEqual(a.listCheckpoints(r.uuid).map((c) => c.step), [30, 40, 50]);
  assert.deepEqual([...a.latestCheckpoint(r.uuid)!.data], [5, 5, 5]);

  a.appendEvents(r.uuid, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: 'abc', backend: 'wasm', steps: 2, epochs: 1, finalLoss: 1, collapseStd: 0.9, effectiveRank: 3, probeAcc: 0.5, knnAcc: 0.25, imagesPerSec: 10, wallSec: 1 } }]);
  const done = a.getRun(r.uuid)!;
  assert.equal(done.status, 'completed');
  assert.equal(done.summary?.collapseStd, 0.9);
  assert.equal(done.pid, null);

  const r2 = a.createRun({ setup: {}, setupHash: 'def', seed: 0, createdAt: Date.now() + 10 });
  assert.deepEqual(a.listRuns().map((x) => x.uuid), [r2.uuid, r.uuid]);
  assert.deepEqual(a.listRuns({ order: 'oldest' }).map((x) => x.uuid), [r.uuid, r2.uuid]);
  assert.deepEqual(a.listRuns({ status: 'queued' }).map((x) => x.uuid), [r2.uuid]);

  const sweep = a.createSweep({ name: 's', definition: { axes: {} }, members: [{ runUuid: r.uuid, idx: 0, combo: { seed: 7 } }, { runUuid: r2.uuid, idx: 1, combo: { seed: 0 } }] });
  assert.deepEqual(a.getSweep(sweep)!.members.map((x) => x.runUuid), [r.uuid, r2.uuid]);
  assert.equal(a.listRuns({ sweep }).length, 2);

  assert.ok(a.deleteRun(r.uuid));
  const c = a.counts();
  assert.equal(c.runs, 1);
  assert.equal(c.metrics, 0);
  assert.equal(c.spectra + c.evals + c.checkpoints + c.tags + c.notes, 0);
  assert.equal(a.getSweep(sweep)!.members.length, 1);
  a.close();
});

function assertRefused(file: string, kind: ArchiveError['kind'], pattern: RegExp) {
  const before = sha(file);
  const size = statSync(file).size;
  assert.throws(
    () => openArchive(file),
    (e: unknown) => e instanceof ArchiveError && e.kind === kind && pattern.test(e.message) && e.message.includes(file),
  );
  assert.equal(sha(file), before, 'the refused file must be unchanged');
  assert.equal(statSync(file).size, size);
}

test('a file that is not SQLite is refused and left untouched', () => {
  const f = join(dir, 'notes.txt');
  writeFileSync(f, 'These are my notes, not a database.\n'.repeat(10));
  assertRefused(f, 'foreign', /not an SQLite database/);
  const empty = join(dir, 'empty.sqlite');
  writeFileSync(empty, '');
  assertRefused(empty, 'foreign', /empty file/);
});

test("another program's SQLite database is refused and left untouched", () => {
  const f = join(dir, 'other.sqlite');
  const db = new Database(f);
  db.exec("CREATE TABLE runs (id INTEGER PRIMARY KEY, x TEXT); INSERT INTO runs(x) VALUES ('theirs')");
  db.close();
  assertRefused(f, 'foreign', /another program/);
  assert.ok(!existsSync(f + '-wal'));
});

test('an archive from a newer schema is refused and left untouched', () => {
  const f = join(dir, 'newer.sqlite');
  fillRun(f, 10);
  const db = new Database(f);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.pragma('journal_mode = DELETE');
  db.close();
  assertRefused(f, 'newer', new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer`));
});

test('a damaged archive gives an error and is not repaired', () => {
  const f = join(dir, 'damaged.sqlite');
  fillRun(f, 3000);
  // Leave WAL mode so every page is in the main file, then overwrite a b-tree page in the middle.
  const db = new Database(f);
  db.pragma('journal_mode = DELETE');
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.close();
  assert.ok(pages > 8, `expected a multi-page file, got ${pages} pages`);
  const fd = openSync(f, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, pageSize * Math.floor(pages / 2));
  closeSync(fd);
  assertRefused(f, 'damaged', /damaged/);
  assertRefused(f, 'damaged', /damaged/); // still damaged: nothing was repaired
});

test('opening read-only or with create: false never creates a file', () => {
  const f = join(dir, 'absent.sqlite');
  assert.throws(() => openArchive(f, { create: false }), (e: unknown) => e instanceof ArchiveError && e.kind === 'missing');
  assert.throws(() => openArchive(f, { readonly: true }), (e: unknown) => e instanceof ArchiveError && e.kind === 'missing');
  assert.ok(!existsSync(f));
});

test('an archive at an older schema version is migrated at open', () => {
  // Version 0: a file marked as ours with no tables yet (what a crash right after creation leaves).
  const f = join(dir, 'v0.sqlite');
  const db = new Database(f);
  db.pragma(`application_id = ${APPLICATION_ID}`);
  db.close();
  const a = openArchive(f);
  assert.equal(a.schemaVersion, SCHEMA_VERSION);
  assert.equal(a.counts().runs, 0);
  a.close();
  const raw = new Database(f, { readonly: true });
  assert.ok((raw.prepare('SELECT value FROM meta WHERE key = ?').get(`migrated_to_${SCHEMA_VERSION}`) as { value: string }).value.length > 0);
  raw.close();
  // Read-only opening does not migrate: it asks for a read-write open first.
  const g = join(dir, 'v0b.sqlite');
  const db2 = new Database(g);
  db2.pragma(`application_id = ${APPLICATION_ID}`);
  db2.close();
  assert.throws(() => openArchive(g, { readonly: true }), (e: unknown) => e instanceof ArchiveError && e.kind === 'older');
});

test('archive location: --archive, then DPLAB_ARCHIVE, then the data folder', () => {
  assert.equal(resolveArchivePath('/x/flag.sqlite', { DPLAB_ARCHIVE: '/x/env.sqlite' }), '/x/flag.sqlite');
  assert.equal(resolveArchivePath(undefined, { DPLAB_ARCHIVE: '/x/env.sqlite' }), '/x/env.sqlite');
  assert.equal(resolveArchivePath(undefined, { XDG_DATA_HOME: '/data' }), process.platform === 'linux' ? '/data/directpred-lab/archive.sqlite' : join(userDataDir({ XDG_DATA_HOME: '/data' }), 'archive.sqlite'));
  assert.match(userDataDir({ APPDATA: 'C:/Users/u/AppData/Roaming' }, 'win32'), /DirectPred Lab$/);
});

test("the runs table's status CHECK lists exactly the one status list (common/events.ts)", async () => {
  const { MIGRATIONS } = await import('../../src-main/archive/schema.ts');
  const { RUN_STATUSES } = await import('../../src-main/common/events.ts');
  const m = /status IN \(([^)]*)\)/.exec(MIGRATIONS.map((x) => x.sql).join('\n'));
  assert.ok(m, 'the CHECK is there');
  assert.deepEqual(m[1]!.split(',').map((s) => s.trim().replace(/'/g, '')), [...RUN_STATUSES]);
});
