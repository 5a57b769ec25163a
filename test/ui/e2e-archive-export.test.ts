// End to end, in Chromium against the real `dplab serve` (issue 25, "exports only as streams"): the
// Archive view's export in web mode is the streamed download (fetch of POST /api/export, saved as a
// blob), so an export larger than the 16 MiB one runs.export reply may hold downloads whole, and
// every run in it re-reads exactly. Screenshot to test-artifacts/ui-export/.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labPerFile, ROOT } from './harness.ts';
import Database from 'better-sqlite3';
import { fillManyRuns } from '../server/many-runs.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import type { RunBundle } from '../../src-main/archive/export.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-export');
/** 400 runs of 1,000 steps: a JSON export of about 19.5 MB, past the one-reply limit of 16 MiB. */
const RUNS = 400;
const STEPS = 1000;
let uuids: string[] = [];

/** The runs, each with a whole setup (the views read its fields), seeded by its index. */
function prepare(file: string): void {
  uuids = fillManyRuns(file, RUNS, STEPS);
  const db = new Database(file);
  try {
    db.prepare("UPDATE runs SET setup_json = json_set(?, '$.seed', seed)").run(JSON.stringify(parseSetup(QUICK_SETUP)));
  } finally {
    db.close();
  }
}

const fx = labPerFile({ prefix: 'dplab-ui-export-', art: ART, viewport: { width: 1440, height: 900 }, prepare });

test('Archive view in web mode: a JSON export past 16 MiB downloads whole, every run in it', { timeout: 300_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Archive' }).first().click();
  await page.getByTestId('archive-runs').filter({ hasText: String(RUNS) }).waitFor({ timeout: 60_000 });
  await page.locator('input[aria-label^="Select "]').first().waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'select shown' }).click();
  await page.locator('.exportbar select').first().selectOption('json');
  const download = page.waitForEvent('download', { timeout: 240_000 });
  await page.getByRole('button', { name: `Export ${RUNS} runs` }).click();
  const file = await (await download).path();
  assert.ok(file, 'the download was saved');
  const size = statSync(file).size;
  assert.ok(size > 16 * 1024 * 1024, `the download holds ${size} bytes, more than one reply may`);
  const bundles = JSON.parse(readFileSync(file, 'utf8')) as RunBundle[];
  assert.equal(bundles.length, RUNS);
  assert.deepEqual(new Set(bundles.map((b) => b.run.uuid)), new Set(uuids));
  const one = bundles.find((b) => b.run.name === 'run 7')!;
  const loss = one.metrics.find((m) => m.name === 'loss')!;
  assert.equal(loss.steps.length, STEPS);
  assert.ok(Math.abs(loss.values[0]! - 1 / (1 + 7)) < 1e-6, `run 7's first loss ${loss.values[0]}`);
  // The view says what it saved, in bytes.
  const outcome = page.getByTestId('export-outcome');
  await outcome.filter({ hasText: /^Saved runs-\d{4}-\d\d-\d\d\.json \(400 runs, \d+(\.\d)? MiB\)\.$/ }).waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(ART, 'archive-export-big.png') });
  assert.deepEqual(fx.lab.pageErrors, []);
});
