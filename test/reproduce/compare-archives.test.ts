// scripts/compare-archives.mjs, how the reproduction rerun was checked against the first run: two
// archives with the same runs compare equal (exit 0); a changed summary value, a changed loss at one
// step, or a run with no namesake is named and exits 1; a missing file is an error naming it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fillManyRuns } from '../server/many-runs.ts';

const script = new URL('../../scripts/compare-archives.mjs', import.meta.url).pathname;
let dir: string;
let a: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-compare-archives-'));
  a = join(dir, 'a.sqlite');
  fillManyRuns(a, 4, 20);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const compare = (x: string, y: string) => spawnSync(process.execPath, [script, x, y], { encoding: 'utf8' });

/** A copy of archive a with `sql` applied to it. */
function variant(name: string, sql: string): string {
  const file = join(dir, name);
  copyFileSync(a, file);
  const db = new Database(file);
  db.exec(sql);
  db.close();
  return file;
}

test('the same runs compare equal', () => {
  const r = compare(a, variant('same.sqlite', 'SELECT 1'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /4 of 4 runs identical to their namesakes, 0 not/);
});

test('a changed summary value, a changed step loss and a run without a namesake are named', () => {
  const summary = compare(a, variant('summary.sqlite', `UPDATE runs SET summary_json = json_set(summary_json, '$.finalLoss', 0.25) WHERE name = 'run 1'`));
  assert.equal(summary.status, 1);
  assert.match(summary.stdout, /^run 1: finalLoss [\d.e-]+ → 0\.25$/m);
  assert.match(summary.stdout, /3 of 4 runs identical/);
  const loss = compare(a, variant('loss.sqlite', `UPDATE metrics SET value = value + 1e-12 WHERE step = 7 AND run_id = (SELECT id FROM runs WHERE name = 'run 2') AND name_id = (SELECT id FROM metric_names WHERE name = 'loss')`));
  assert.equal(loss.status, 1);
  assert.match(loss.stdout, /^run 2: the loss series$/m);
  const renamed = compare(a, variant('renamed.sqlite', `UPDATE runs SET name = 'run 9' WHERE name = 'run 3'`));
  assert.equal(renamed.status, 1);
  assert.match(renamed.stdout, /^run 9: not in /m);
});

test('a missing archive is an error that names it', () => {
  const r = compare(join(dir, 'nope.sqlite'), a);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot open .*nope\.sqlite/);
});
