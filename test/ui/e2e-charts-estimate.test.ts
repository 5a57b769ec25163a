// End to end, in Debian Chromium against the real `dplab serve`, over an archive holding one finished
// quick run recorded with known values (a step-1 loss spike, accuracy measured at step 0 and at the
// end, 9.8 s of wall time on wasm; no training): the accuracy markers are not joined by a line; the
// loss chart offers "outliers" and, on, says what it hides; Compose shows a time estimate before Run
// ("measuring…" while a probe run times the large default, ~10 s for the quick test), keeps the optimiser under Training and
// "Quick test" on a duplicated quick run; the Sweeps builder estimates its grid and offers the lab
// scale base; the Paper view estimates a claim beside "Run this claim".
// Screenshots: test-artifacts/ui-charts-estimate/.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import type { TrainerEvent } from '../../src-main/common/events.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-charts-estimate');

const fx = labPerFile({
  prefix: 'dplab-charts-est-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  // This file tests the probe: "measuring…" while one times the large default.
  estimateProbes: true,
  prepare: (file) => {
    const a = openArchive(file);
    try {
      const setup = parseSetup({ ...QUICK_SETUP, seed: 0 });
      const run = a.createRun({ name: 'quick spike', setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: 0 });
      const events: TrainerEvent[] = [];
      for (let step = 1; step <= 48; step++) events.push({ type: 'scalars', step, epoch: step / 16, values: { loss: step === 1 ? 8 : 2.2 - (0.5 * (step - 2)) / 46, collapseStd: 0.8 - step / 200 } });
      events.push({ type: 'eval', step: 0, epoch: 0, probeAcc: 0.3, knnAcc: 0.35, probeTrainAcc: 0.3 });
      events.push({ type: 'eval', step: 48, epoch: 3, probeAcc: 0.6, knnAcc: 0.7, probeTrainAcc: 0.6 });
      events.push({
        type: 'finished',
        outcome: 'completed',
        summary: { outcome: 'completed', setupHash: setupHash(setup), backend: 'wasm', steps: 48, epochs: 3, finalLoss: 1.7, collapseStd: 0.56, effectiveRank: 4, probeAcc: 0.6, knnAcc: 0.7, imagesPerSec: 320, wallSec: 9.8, baseline: { probeAcc: 0.3, knnAcc: 0.35, collapseStd: 0.8, effectiveRank: 6 } },
      });
      a.appendEvents(run.uuid, events);
    } finally {
      a.close();
    }
  },
});

test('charts: accuracy measured twice is two markers with no line between; outliers can be ignored, and the chart says so', { timeout: 180_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Live run' }).click();
  const acc = page.locator('[data-chart="Probe and kNN accuracy"]');
  await acc.locator('canvas').first().waitFor({ timeout: 60_000 });
  await until(async () => (await acc.locator('.u-legend').count()) > 0, 30_000, 'the accuracy chart drawn');
  // The middle column of the plot, far from both markers and their labels: no pixel in a marker colour.
  // The page's canvas, typed by hand: the tests compile without the DOM's types.
  type Canvas2d = { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null };
  const coloured = await acc.locator('canvas').first().evaluate((el) => {
    const c = el as unknown as Canvas2d;
    const ctx = c.getContext('2d')!;
    const x = Math.round(c.width / 2);
    const d = ctx.getImageData(x - 1, 0, 3, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i]!, d[i + 1]!, d[i + 2]!];
      // #2563eb (probe) and #e8590c (kNN), with antialiasing.
      if ((b > 180 && r < 90 && g > 70 && g < 130) || (r > 190 && g > 60 && g < 120 && b < 60)) n++;
    }
    return n;
  });
  assert.equal(coloured, 0, 'no line joins the step-0 and final accuracy markers');

  const loss = page.locator('[data-chart="Loss"]');
  const button = loss.getByTestId('ignore-outliers');
  await button.waitFor({ timeout: 30_000 });
  assert.equal(await button.getAttribute('aria-pressed'), 'false');
  await button.click();
  assert.equal(await button.getAttribute('aria-pressed'), 'true');
  // The spike, and the first points of the smoothed line it drags up (the view smooths lightly by default).
  const note = await loss.getByTestId('outliers-note').innerText();
  const m = /^(\d+) values? beyond the range \((\d+) above, 0 below/.exec(note);
  assert.ok(m && Number(m[1]) >= 1 && Number(m[1]) <= 4 && m[1] === m[2], note);
  await page.screenshot({ path: join(ART, 'run-outliers.png') });
  await button.click();
  assert.equal(await loss.getByTestId('outliers-note').count(), 0);
});

test('compose: a time estimate before Run, the optimiser under Training, quick test kept on duplicate', { timeout: 180_000 }, async () => {
  const page = fx.page;
  // Duplicate the quick run: the composer opens with Quick test on.
  await page.locator('nav button', { hasText: 'Live run' }).click();
  await page.getByRole('button', { name: 'Duplicate and edit' }).click();
  await page.locator('h1', { hasText: 'Compose a setup' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('label.quick input').isChecked(), true, 'a duplicated quick run stays a quick test');
  const estimate = page.getByTestId('estimate');
  await until(async () => (await estimate.count()) === 1 && /^~10 s for 1 run$/.test(await estimate.innerText()), 30_000, 'the quick run\'s estimate (9.8 s recorded)');
  assert.match((await estimate.getAttribute('title')) ?? '', /from 1 finished run of this shape on wasm/);
  // Optimiser fields in Training; the loss block has the loss alone.
  const training = page.locator('h2', { hasText: 'Training' }).locator('xpath=following-sibling::div[1]');
  for (const label of ['α — learning rate', 'SGD momentum', 'weight decay η̄ (backbone)']) assert.equal(await training.getByText(label).count(), 1, `${label} under Training`);
  await page.locator('svg').getByText('Loss', { exact: true }).first().click();
  const inspector = page.getByRole('complementary', { name: 'Selected block' });
  await inspector.locator('h2', { hasText: 'Loss' }).waitFor();
  assert.equal(await inspector.getByText('α — learning rate').count(), 0);
  // Off the quick test: the paper-scale default, which nothing recorded here is near: a probe run
  // measures it ("measuring…"), and the quick test is offered meanwhile.
  await page.locator('label.quick input').uncheck();
  await until(async () => /^measuring…$/.test(await estimate.innerText()), 30_000, 'a probe measuring the large default');
  assert.match((await estimate.getAttribute('title')) ?? '', /short probe run of this setup on wasm/);
  await page.getByTestId('try-quick').waitFor();
  await page.screenshot({ path: join(ART, 'compose.png') });
  // Back to the quick shape: its recorded figure, and the probe of the large one is cancelled.
  await page.getByTestId('try-quick').click();
  assert.equal(await page.locator('label.quick input').isChecked(), true);
  await until(async () => /^~10 s for 1 run$/.test(await estimate.innerText()), 30_000, 'the estimate back at the quick shape');
});

test('sweeps: the grid\'s time on the queue, and the lab scale base', { timeout: 180_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Sweeps' }).click();
  await page.locator('h1', { hasText: 'Sweeps' }).waitFor({ timeout: 30_000 });
  const count = page.getByTestId('sweep-count');
  await count.getByTestId('run-count').waitFor({ timeout: 30_000 });
  // The quick base over the recorded run's own predictor (DirectPred, the default), seeds 0 and 1:
  // seed 0 is the recorded run itself (reused by setup hash, as the sweep will), seed 1 takes 9.8 s.
  await page.getByLabel('Field of axis 1').selectOption('predictor.kind');
  await page.getByLabel('Values of axis 1').fill('directpred');
  await page.getByTestId('seeds').fill('2');
  const estimate = count.getByTestId('estimate');
  // The estimate's first line (its detail follows on the next).
  const line = async () => (await estimate.innerText()).split('\n')[0]!.trim();
  await until(async () => (await estimate.count()) === 1 && (await line()) === '~10 s for 1 run (1 reused from the archive)', 30_000, 'the grid estimate: 9.8 s, one run reused');
  assert.match(await count.getByTestId('estimate-detail').innerText(), /from 1 finished run of this shape on wasm; 1 at a time in the queue, \d+ cores/);
  // Other predictors cost differently per step: scaled by multiply-adds, marked rough.
  await page.getByLabel('Values of axis 1').fill('none, linear, directpred');
  await until(async () => /^≈ .+ for 5 runs \(1 reused from the archive\)$/.test(await line()), 30_000, 'a rough estimate for the other predictors');
  await page.getByRole('button', { name: /Base setup/ }).click();
  await page.getByRole('button', { name: /Lab scale/ }).click();
  const base = JSON.parse(await page.getByLabel('Base setup JSON').inputValue()) as { data: { dataset: string }; optim: { maxSteps: number } };
  assert.equal(base.data.dataset, 'invariance');
  assert.equal(base.optim.maxSteps, 2000);
  // 28×28 images against the recorded 16×16 (about 3× the multiply-adds a step), 2,000 steps of
  // 0.1 s × 3 each, 6 runs one at a time: about an hour, scaled and marked so.
  await until(async () => /^≈ 1 h 0\d min for 6 runs$/.test(await line()), 30_000, 'a rough estimate at the lab scale');
  assert.match(await count.getByTestId('estimate-detail').innerText(), /rough: scaled by network size from 1 finished run on wasm/);
  await page.screenshot({ path: join(ART, 'sweeps.png') });
});

test('paper: a claim\'s time beside "Run this claim"', { timeout: 180_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Paper' }).click();
  await page.locator('[data-claim="no-predictor-collapses"]').click();
  const detail = page.getByTestId('claim-detail');
  const estimate = detail.getByTestId('estimate');
  await until(async () => (await estimate.count()) === 1 && /^≈ .+ for \d+ runs/.test(await estimate.innerText()), 60_000, 'the claim\'s estimate');
  await page.screenshot({ path: join(ART, 'paper.png') });
});
