// Issue 23: a baseline given on the command line (--baseline, --metric, --margin) is stored with the
// sweep, so `dplab sweep table` without options judges it the same way later; a stored baseline
// read back is checked again, and a bad one is reported and not used. Every member is a finished
// run recorded beforehand, so the sweep reuses them all and nothing trains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openArchive } from '../../src-main/archive/archive.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { expandSweep, type SweepDefinition } from '../../src-main/common/sweep.ts';

const dir = mkdtempSync(join(tmpdir(), 'dplab-sweep-baseline-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
const archive = join(dir, 'lab.sqlite');

function dplab(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, DPLAB_ARCHIVE: archive } }, (e, out, err) => done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err }));
  });
}

const sweep: SweepDefinition = { name: 'stored', base: QUICK_SETUP as Record<string, unknown>, axes: { 'predictor.kind': ['none', 'linear'] }, seeds: 2 };

test('--baseline, --metric and --margin are stored with the sweep; sweep table reads them back, and refuses a tampered one by name', { timeout: 300_000 }, async () => {
  const held = openArchive(archive);
  expandSweep(sweep).members.forEach((m, i) => {
    const hash = setupHash(m.setup);
    const run = held.createRun({ name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: hash, seed: m.setup.seed, status: 'running' });
    held.appendEvents(run.uuid, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: hash, backend: 'wasm', steps: 3, epochs: 1, finalLoss: 1, collapseStd: [0.5, 0.6, 0.7, 0.9][i]!, effectiveRank: 3, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 1 } }]);
  });
  held.close();
  const file = join(dir, 'sweep.json');
  writeFileSync(file, JSON.stringify(sweep));
  const started = await dplab('sweep', file, '--baseline', 'predictor.kind=none', '--metric', 'collapseStd', '--margin', '0.05', '--quiet');
  assert.equal(started.code, 0, started.err);
  assert.match(started.err, /4 run\(s\): 0 to train, \d+ at a time; 4 reused/);
  assert.match(started.out, /against predictor\.kind=none on collapseStd \(higher is better\).*margin 0\.05\d*:/);

  const a = openArchive(archive, { create: false });
  const id = a.listSweeps()[0]!.uuid;
  assert.deepEqual((a.getSweep(id)!.definition as SweepDefinition).baseline, { path: 'predictor.kind', value: 'none', metric: 'collapseStd', margin: 0.05 });
  a.close();

  // Later, without options: the same comparison (the table's comparison lines are the same text).
  const later = await dplab('sweep', 'table', id);
  assert.equal(later.code, 0, later.err);
  const cmp = (out: string) => out.slice(out.indexOf('against '), out.indexOf('\nprotocol'));
  assert.match(later.out, /against predictor\.kind=none on collapseStd/);
  assert.equal(cmp(later.out), cmp(started.out));

  // A stored baseline edited into something it may not be is named and not used; the means still print.
  const db = new Database(archive);
  const def = JSON.parse((db.prepare('SELECT definition_json FROM sweeps WHERE uuid = ?').get(id) as { definition_json: string }).definition_json);
  db.prepare('UPDATE sweeps SET definition_json = ? WHERE uuid = ?').run(JSON.stringify({ ...def, baseline: { path: 'predictor.kind', value: 'none', margin: -1 } }), id);
  db.close();
  const tampered = await dplab('sweep', 'table', id);
  assert.equal(tampered.code, 0, tampered.err);
  assert.match(tampered.err, /the sweep's stored baseline is not used: baseline\.margin: /);
  assert.doesNotMatch(tampered.out, /against /);
  assert.match(tampered.out, /^predictor\.kind\s+n\s+/m);
});
