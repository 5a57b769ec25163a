// End to end in Debian Chromium against the real `dplab serve` (issue 13, "a Paper view"): every
// claim is listed with its verdict; the theory claims are computed by the lab (reproduced); an
// experiment claim's verdict comes from the archive's runs of its arms, found by setup hash (here
// runs recorded in the archive beforehand with chosen final values, so the test knows the answer);
// "Run this claim" queues exactly the runs the claim still needs; the report downloads as one HTML
// file. Screenshot: test-artifacts/ui-paper/paper.png.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labPerFile, ROOT } from './harness.ts';
import { recordArmRun } from '../reproduce/arm-run.ts';
import { CLAIMS } from '../../src-main/reproduce/claims.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-paper');

const fx = labPerFile({
  prefix: 'dplab-paper-',
  art: ART,
  viewport: { width: 1440, height: 1000 },
  prepare: (file) => {
    // Linear above none by 0.30 ± 0.01 and DirectPred by 0.50 ± 0.01 on each of three seeds, and
    // none below its own random-init spread on each: the three paired tests, and so the claim, must
    // say reproduced.
    [0.2, 0.5, 0.35].forEach((v, seed) => {
      recordArmRun(file, 'none', seed, v, v + 0.4 + 0.02 * seed);
      recordArmRun(file, 'linear', seed, v + 0.3 + 0.01 * seed, 0.8);
      recordArmRun(file, 'directpred', seed, v + 0.5 - 0.01 * seed, 0.8);
    });
  },
});

test('Paper view: verdicts from the archive and from theory, run a claim, save the report', { timeout: 300_000 }, async () => {
  await fx.page.keyboard.press('Alt+8');
  const claims = fx.page.getByTestId('claims');
  await claims.waitFor({ timeout: 120_000 });
  // Theory claims are computed in the lab's job pool; all seven hold.
  await fx.page.locator('[data-claim="theorem3-alignment"] .v').filter({ hasText: 'reproduced' }).waitFor({ timeout: 120_000 });
  assert.equal(await fx.page.locator('[data-claim="eq14-parabola"] .v').textContent(), 'reproduced');
  // The experiment with runs in the archive: linear > none on every seed.
  await fx.page.locator('[data-claim="no-predictor-collapses"]').click();
  const detail = fx.page.getByTestId('claim-detail');
  await detail.getByRole('heading', { name: 'Without a predictor, BYOL collapses' }).waitFor();
  const row = detail.getByTestId('tests').locator('tbody tr').filter({ hasText: 'collapseStd(linear) − collapseStd(none)' });
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells[1], '3', 'three paired seeds');
  assert.equal(cells[2], '0.310 ± 0.010', 'the paired difference of the recorded values');
  assert.equal(cells[4], 'reproduced');
  const fall = await detail.getByTestId('tests').locator('tbody tr').filter({ hasText: 'random init of none' }).locator('td').allTextContents();
  assert.equal(fall[2], '-0.420 ± 0.020', 'final minus random init, per seed');
  assert.equal(fall[4], 'reproduced');
  assert.equal(await detail.getByTestId('verdict').textContent(), 'reproduced');
  assert.equal(await fx.page.locator('[data-claim="no-predictor-collapses"] .v').textContent(), 'reproduced');
  // The protocol is shown before the verdict, every seed's values beside the plots.
  const protocol = await detail.getByTestId('protocol').locator('tbody tr').allTextContents();
  assert.equal(protocol.length, 3);
  assert.match(protocol[0]!, /superiority: lower by more than 0\.100/);
  assert.match(protocol[0]!, /tenth of the fully spread value/);
  const perSeed = detail.getByTestId('per-seed').locator('tbody tr');
  assert.equal(await perSeed.count(), 9, '3 tests × 3 seeds');
  assert.deepEqual((await perSeed.nth(3).locator('td').allTextContents()).slice(1), ['0', 'linear', '0.500', '0.800', 'none', '0.200', '0.300']);
  // A claim without runs is "not run", not "inconclusive" (issue 22), and the tally counts it so.
  assert.equal(await fx.page.locator('[data-claim="no-stop-gradient-collapses"] .v').textContent(), 'not run');
  // Only claims with a test of a recorded measure (no spectra) between two recorded arms (none, linear, DirectPred) have runs.
  const held = new Set(['none', 'linear', 'directpred']);
  const recorded = new Set(['collapseStd', 'knnAcc', 'probeAcc']);
  const notRun = CLAIMS.filter((c) => c.kind === 'experiment' && !c.tests.some((t) => recorded.has(t.measure) && held.has(t.a) && held.has('arm' in t.reference ? t.reference.arm : t.reference.baselineOf)));
  assert.ok(notRun.length >= 5, `${notRun.length} claims without runs`);
  for (const c of notRun) assert.equal(await fx.page.locator(`[data-claim="${c.id}"] .v`).textContent(), 'not run', c.id);
  assert.match((await fx.page.getByTestId('tally').textContent()) ?? '', new RegExp(`· ${notRun.length} not run`));
  await fx.page.screenshot({ path: join(ART, 'paper.png'), fullPage: true });

  // Another claim: nothing in the archive, so Run queues its 2 arms × 3 seeds.
  await fx.page.locator('[data-claim="no-stop-gradient-collapses"]').click();
  await detail.getByRole('heading', { name: 'Without stop-gradient, training collapses' }).waitFor();
  await detail.getByTestId('run-claim').click();
  await detail.getByText('6 run(s) queued, 0 already in the archive').waitFor({ timeout: 30_000 });

  // Evaluation seeds (1000 upward): the recorded runs are on development seeds 0–2, so no claim has a round yet.
  await fx.page.getByTestId('evaluation').check();
  await fx.page.locator('[data-claim="no-predictor-collapses"] .v').filter({ hasText: 'not run' }).waitFor({ timeout: 30_000 });
  await fx.page.locator('[data-claim="no-predictor-collapses"]').click();
  await detail.getByTestId('claim-seeds').filter({ hasText: 'no complete round of evaluation seeds yet' }).waitFor();
  assert.equal(await detail.getByTestId('run-claim').textContent(), 'Run the next round');

  const [download] = await Promise.all([fx.page.waitForEvent('download'), fx.page.getByRole('button', { name: 'Save report' }).click()]);
  const html = readFileSync(await download.path(), 'utf8');
  assert.match(html, /<!doctype html>/);
  assert.match(html, /Without a predictor, BYOL collapses/);
  assert.doesNotMatch(html, /<script/);
  assert.deepEqual(fx.lab.pageErrors, []);
});
