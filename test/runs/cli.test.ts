// The archive's CLI end to end: dplab sweep, runs list/export/tag/note/rm, archive check/import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive, SCHEMA_VERSION } from '../../src-main/archive/archive.ts';
import { metricsFromCsv } from '../archive/csv-read.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { threadShare } from '../../src-main/common/backends.ts';
import { dplabInProcess } from '../cli/in-process.ts';

// This file checks the default share of the machine's cores: the test runner's one-core hint
// (DPLAB_CORES=1, scripts/test.mjs) would hide it.
delete process.env.DPLAB_CORES;

const dir = mkdtempSync(join(tmpdir(), 'dplab-cli-'));
const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
const archive = join(dir, 'lab.sqlite');

/**
 * `dplab sweep` in a real process (it trains, in trainer processes of its own); the archive verbs
 * through the CLI's main() in this process (test/cli/in-process.ts), which spares each a start-up.
 */
async function dplab(...args: string[]) {
  if (args[0] !== 'sweep') return dplabInProcess(args, { DPLAB_ARCHIVE: archive });
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, DPLAB_ARCHIVE: archive } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const base = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, maxSteps: 3 } };

test('an invalid sweep is reported with field paths and starts nothing', async () => {
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify({ base, axes: { 'optim.lr': [0.1, -1], 'optim.lrr': [1] }, seeds: 1 }));
  const r = await dplab('sweep', f);
  assert.equal(r.code, 2);
  assert.match(r.err, /optim\.lrr: not a setup field/);
  assert.match(r.err, /run 1 \(optim\.lr=-1, optim\.lrr=1, seed=0\): optim\.lr:/);
  assert.match(r.err, /nothing was started/);
  assert.equal((await dplab('runs', 'list', '--json')).out.trim(), '[]');
});

test('sweep → runs → export → import → check', { timeout: 110_000 }, async () => {
  const f = join(dir, 'sweep.json');
  writeFileSync(f, JSON.stringify({ name: 'cli', base, axes: { 'predictor.kind': ['linear', 'directpred'] }, seeds: 1 }));
  const dry = await dplab('sweep', f, '--dry-run');
  assert.equal(dry.code, 0);
  assert.match(dry.out, /2 run\(s\)/);
  const s = await dplab('sweep', f, '--backend', 'wasm', '--concurrency', '2');
  assert.equal(s.code, 0, s.err);
  const table = s.out.trim().split('\n');
  assert.match(table[0]!, /^predictor\.kind\s+n\s+finalLoss/);
  assert.match(table[1]!, /^directpred\s+1\s+\d/);
  assert.match(table[2]!, /^linear\s+1\s+\d/);
  // The same groups at random init (step 0) and the evaluation protocol follow (issue 13).
  const init = table.indexOf('random init (step 0, before any update), same groups:');
  assert.ok(init > 2, s.out);
  assert.match(table[init + 1]!, /^predictor\.kind\s+n\s+probeAcc\s+knnAcc\s+collapseStd\s+effectiveRank$/);
  assert.match(table[init + 2]!, /^directpred\s+1\s+0\.\d+\s+0\.\d+\s+\d/);
  assert.match(table.at(-1)!, /^protocol: probe epoch chosen on validation · kNN k=\d+ weighted exp\(cos\/0\.07\)$/);

  const runs = JSON.parse((await dplab('runs', 'list', '--json')).out) as { uuid: string; status: string; lastStep: number }[];
  assert.equal(runs.length, 2);
  assert.ok(runs.every((r) => r.status === 'completed' && r.lastStep === 3));
  // The two concurrent runs of the sweep divided the cores between them.
  const share = String(threadShare(availableParallelism(), 2));
  for (const r of runs) assert.match((await dplab('runs', 'show', r.uuid)).out, new RegExp(`wasm-threads ${share}\\b`));
  const u = runs[0]!.uuid;
  assert.equal((await dplab('runs', 'tag', u.slice(0, 8), 'keep')).code, 0);
  assert.equal((await dplab('runs', 'note', u, 'a note')).code, 0);
  assert.equal((await dplab('runs', 'note', u)).out.trim(), 'a note');

  const csv = await dplab('runs', 'export', u, '--what', 'metrics');
  assert.equal(csv.code, 0, csv.err);
  const a = openArchive(archive, { readonly: true });
  assert.deepEqual(metricsFromCsv(csv.out), a.getMetrics(u));
  a.close();

  const bundles = join(dir, 'runs.json');
  assert.equal((await dplab('runs', 'export', '--all', '--format', 'json', '--out', bundles)).code, 0);
  assert.equal((JSON.parse(readFileSync(bundles, 'utf8')) as unknown[]).length, 2);
  const other = join(dir, 'other.sqlite');
  assert.match((await dplab('archive', 'import', bundles, '--archive', other)).out, /imported 2 run/);
  assert.match((await dplab('archive', 'import', archive, '--archive', other)).out, /imported 0 run\(s\) and 1 sweep\(s\).*2 already present/);
  assert.match((await dplab('archive', 'import', archive, '--archive', other)).out, /imported 0 run\(s\) and 0 sweep\(s\).*2 already present/);
  const o = openArchive(other, { readonly: true });
  assert.equal(o.counts().runs, 2);
  assert.deepEqual(o.getRun(u)!.tags, ['keep']);
  o.close();

  const check = await dplab('archive', 'check', '--json');
  assert.equal(check.code, 0);
  const c = JSON.parse(check.out);
  assert.equal(c.ok, true);
  assert.equal(c.schemaVersion, SCHEMA_VERSION);
  assert.equal(c.counts.runs, 2);
  assert.equal((await dplab('runs', 'rm', u)).code, 0);
  assert.equal((JSON.parse((await dplab('runs', 'list', '--json')).out) as unknown[]).length, 1);

  const junk = join(dir, 'junk.sqlite');
  writeFileSync(junk, 'not a database');
  const bad = await dplab('archive', 'check', '--archive', junk);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /not an SQLite database/);
  assert.equal(readFileSync(junk, 'utf8'), 'not a database');
});
