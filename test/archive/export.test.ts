import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ArchiveError, openArchive, type Archive } from '../../src-main/archive/archive.ts';
import { exportRunBundle, importRunBundle, metricsTable, runsTable, spectraTable, toCsv } from '../../src-main/archive/export.ts';
import { metricsFromCsv, parseCsv } from './csv-read.ts';
import { importArchive } from '../../src-main/archive/merge.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';
import { toRow } from '../../src-main/service/rows.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-export-'));

/** A run with metrics (one logged less often), spectra, evals, tags, a note and a checkpoint. */
function addRun(a: Archive, seed: number, name: string): string {
  const r = a.createRun({ name, setup: { seed, optim: { lr: 0.05 * (seed + 1) } }, setupHash: `h${seed}`, seed });
  const ev: TrainerEvent[] = [];
  for (let s = 1; s <= 40; s++) {
    const values: Record<string, number> = { loss: 4 / (s + seed) + 1e-3 * Math.sin(s), lr: 0.05 };
    if (s % 5 === 0) values.collapseStd = 0.9 - s / 1000;
    ev.push({ type: 'scalars', step: s, epoch: Math.floor((s - 1) / 10), values });
    if (s % 10 === 0) ev.push({ type: 'spectra', step: s, epoch: Math.floor((s - 1) / 10), fEig: [2.5 / s, 1 / s, 1e-3], wpEig: [0.9, 0.4, 0.1], alignment: [0.99, 0.5, -0.25], asymmetry: 0.02 });
  }
  ev.push({ type: 'eval', step: 40, epoch: 3, probeAcc: 0.5 + seed / 100, knnAcc: 0.4, probeTrainAcc: 0.6 });
  ev.push({ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: `h${seed}`, backend: 'wasm', steps: 40, epochs: 4, finalLoss: 0.1, collapseStd: 0.86, effectiveRank: 5.5, probeAcc: 0.5, knnAcc: 0.4, imagesPerSec: 100, wallSec: 3 } });
  a.appendEvents(r.uuid, ev);
  a.addTags(r.uuid, ['t, with "quotes"', 'plain']);
  a.setNote(r.uuid, 'line one\nline "two", with comma');
  a.putCheckpoint(r.uuid, 40, new Uint8Array([1, 2, 3, 4]));
  return r.uuid;
}

test('metrics CSV export reads back to the stored values exactly', () => {
  const a = openArchive(join(dir, 'csv.sqlite'));
  const uuid = addRun(a, 1, 'csv, "quoted" name');
  const stored = a.getMetrics(uuid);
  const csv = toCsv(metricsTable(stored));
  const back = metricsFromCsv(csv);
  assert.deepEqual(back, stored);
  // The sparse metric leaves empty cells rather than zeros.
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0], ['step', 'epoch', 'collapseStd', 'loss', 'lr']);
  assert.equal(rows[1]![2], '');
  assert.equal(rows.length, 41);

  const runsCsv = parseCsv(toCsv(runsTable(a.listRuns())));
  const header = runsCsv[0]!;
  const line = runsCsv[1]!;
  assert.equal(line[header.indexOf('name')], 'csv, "quoted" name');
  assert.equal(line[header.indexOf('tags')], 'plain;t, with "quotes"');
  assert.deepEqual(JSON.parse(line[header.indexOf('setup_json')]!), { seed: 1, optim: { lr: 0.1 } });
  assert.equal(Number(line[header.indexOf('collapseStd')]), 0.86);
  // One column per setup field (flattened path), the same header for every export, and the note.
  assert.equal(line[header.indexOf('setup.optim.lr')], '0.1');
  assert.equal(line[header.indexOf('setup.seed')], '1');
  assert.ok(header.includes('setup.predictor.rho') && header.includes('setup.encoder.widths'), 'every field the schema knows has a column');
  assert.equal(line[header.indexOf('setup.predictor.rho')], '', 'a field this setup does not set stays empty');
  // A run recorded with a version-1 setup averaged its two loss terms: its column says so (the JSON stays as stored).
  const v1 = runsTable([{ ...a.getRun(uuid)!, setup: { version: 1, seed: 1 } }]);
  assert.equal(v1.rows[0]![v1.columns.indexOf('setup.lossReduction')], 'mean');
  assert.equal(v1.rows[0]![v1.columns.indexOf('setup.version')], 2);
  assert.deepEqual(JSON.parse(v1.rows[0]![v1.columns.indexOf('setup_json')] as string), { version: 1, seed: 1 });
  // The views get it the same way (Runs columns, Compare groups, the loss chart's scale, duplicate-and-edit).
  assert.equal(toRow({ ...a.getRun(uuid)!, setup: { version: 1, seed: 1 } }).setup.lossReduction, 'mean');
  assert.deepEqual(parseCsv(toCsv(runsTable([])))[0], header, 'the header does not depend on the runs (a stream writes it first)');
  a.setNote(uuid, 'why: a, "b"');
  const withNote = parseCsv(toCsv(runsTable(a.listRuns(), (u) => a.getNote(u))));
  assert.equal(withNote[1]![header.indexOf('note')], 'why: a, "b"');

  const sp = parseCsv(toCsv(spectraTable(a.getSpectra(uuid))));
  assert.deepEqual(sp[0], ['step', 'epoch', 'quantity', 'j', 'value']);
  assert.equal(sp.length, 1 + 4 * (3 + 3 + 3 + 1));
  const f0 = sp.find((r) => r[0] === '10' && r[2] === 'fEig' && r[3] === '0')!;
  assert.ok(Math.abs(Number(f0[4]) - 0.25) < 1e-7);
  a.close();
});

test('JSON bundle export → import into another archive → export gives the same bundle', () => {
  const a = openArchive(join(dir, 'json-a.sqlite'));
  const uuid = addRun(a, 2, 'json');
  const bundle = exportRunBundle(a, uuid);
  const text = JSON.stringify(bundle);
  a.close();
  const b = openArchive(join(dir, 'json-b.sqlite'));
  assert.equal(importRunBundle(b, JSON.parse(text)), true);
  assert.equal(importRunBundle(b, JSON.parse(text)), false, 'importing the same run twice adds nothing');
  const again = exportRunBundle(b, uuid);
  assert.deepEqual(again, JSON.parse(text));
  assert.equal(b.counts().runs, 1);
  assert.throws(() => importRunBundle(b, { format: 'something' } as never), /not a DirectPred Lab run bundle/);
  // A damaged bundle is refused with the field named, and nothing of it enters the archive.
  const damaged = JSON.parse(text);
  damaged.run.uuid = 'other-run';
  damaged.metrics = 'loss';
  assert.throws(() => importRunBundle(b, damaged), /run bundle field metrics/);
  assert.throws(() => importRunBundle(b, { ...JSON.parse(text), run: { ...JSON.parse(text).run, uuid: '../x' } }), /run bundle field run\.uuid/);
  assert.throws(() => importRunBundle(b, { ...JSON.parse(text), version: 2 }), /version 2 is not supported/);
  assert.equal(b.counts().runs, 1);
  b.close();
});

test('archive import merges by run uuid and is idempotent', () => {
  const src = openArchive(join(dir, 'merge-src.sqlite'));
  const u1 = addRun(src, 0, 'one');
  const u2 = addRun(src, 1, 'two');
  src.createSweep({ name: 'sw', definition: { seeds: 2 }, members: [{ runUuid: u1, idx: 0, combo: { seed: 0 } }, { runUuid: u2, idx: 1, combo: { seed: 1 } }] });
  src.close();
  const dst = openArchive(join(dir, 'merge-dst.sqlite'));
  const own = addRun(dst, 5, 'own'); // metric names get other ids here: the import must remap them
  const r1 = importArchive(dst, join(dir, 'merge-src.sqlite'));
  assert.deepEqual(r1, { runsAdded: 2, runsSkipped: 0, sweepsAdded: 1 });
  const counts1 = dst.counts();
  const r2 = importArchive(dst, join(dir, 'merge-src.sqlite'));
  assert.deepEqual(r2, { runsAdded: 0, runsSkipped: 2, sweepsAdded: 0 });
  assert.deepEqual(dst.counts(), counts1);
  assert.equal(counts1.runs, 3);
  // Each imported run carries everything it had.
  const check = openArchive(join(dir, 'merge-src.sqlite'), { readonly: true });
  for (const u of [u1, u2]) {
    assert.deepEqual(exportRunBundle(dst, u), exportRunBundle(check, u));
    assert.deepEqual([...dst.latestCheckpoint(u)!.data], [1, 2, 3, 4]);
  }
  check.close();
  assert.deepEqual(exportRunBundle(dst, own).metrics.map((m) => m.name), ['collapseStd', 'loss', 'lr']);
  const sweeps = dst.listSweeps();
  assert.equal(sweeps.length, 1);
  assert.deepEqual(dst.getSweep(sweeps[0]!.uuid)!.members.map((m) => m.runUuid), [u1, u2]);
  assert.deepEqual(dst.integrityCheck(), ['ok']);
  dst.close();
});

test('importing a foreign file is refused and leaves both files as they were', () => {
  const dstFile = join(dir, 'merge-dst2.sqlite');
  const dst = openArchive(dstFile);
  addRun(dst, 0, 'x');
  const foreign = join(dir, 'foreign.bin');
  writeFileSync(foreign, Buffer.alloc(8192, 7));
  const before = createHash('sha256').update(readFileSync(foreign)).digest('hex');
  const countsBefore = dst.counts();
  assert.throws(() => importArchive(dst, foreign), (e: unknown) => e instanceof ArchiveError && e.kind === 'foreign');
  assert.equal(createHash('sha256').update(readFileSync(foreign)).digest('hex'), before);
  assert.equal(statSync(foreign).size, 8192);
  assert.deepEqual(dst.counts(), countsBefore);
  dst.close();
});
