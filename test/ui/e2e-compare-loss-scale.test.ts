// End to end, in Debian Chromium against the real `dplab serve`: Compare overlays a setup-v1 run
// (the two symmetric loss terms averaged, 0–4) and a v2 run (summed, 0–8, the official code's
// scale) on one loss axis only after putting them on one scale: the v1 loss is shown ×2, the axis
// names the summed scale, a note says which runs were doubled, and the table's final loss agrees.
// The runs are recorded in the archive beforehand with known losses (no training).
// Screenshot: test-artifacts/ui-compare-loss/compare-loss-scale.png.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-compare-loss');

/** A finished run with a constant logged loss over 10 steps. */
function record(file: string, name: string, setup: Record<string, unknown>, loss: number): void {
  const a = openArchive(file);
  try {
    const r = a.createRun({ name, setup, setupHash: name, seed: 0, status: 'running' });
    a.appendEvents(r.uuid, [
      ...Array.from({ length: 10 }, (_, i) => ({ type: 'scalars' as const, step: i + 1, epoch: (i + 1) / 10, values: { loss } })),
      { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: name, backend: 'wasm', steps: 10, epochs: 1, finalLoss: loss, collapseStd: 0.5, effectiveRank: 4, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 10 } },
    ]);
  } finally {
    a.close();
  }
}

const fx = labPerFile({
  prefix: 'dplab-loss-scale-',
  art: ART,
  viewport: { width: 1280, height: 900 },
  prepare: (file) => {
    // As a version-1 lab stored it: no lossReduction (it averaged the two terms).
    record(file, 'v1 mean run', { version: 1, seed: 0 }, 1.5);
    record(file, 'v2 sum run', parseSetup({}) as unknown as Record<string, unknown>, 3.2);
  },
});

test('compare: a v1 (mean) and a v2 (summed) run share one loss scale, and the view says so', { timeout: 120_000 }, async () => {
  await fx.page.locator('nav button', { hasText: 'Compare' }).click();
  await fx.page.locator('h1', { hasText: 'Compare runs' }).waitFor({ timeout: 30_000 });
  const labels = fx.page.locator('ul[aria-label="Runs"] label');
  await labels.first().waitFor({ timeout: 30_000 });
  await labels.filter({ hasText: 'v1 mean run' }).locator('input').check();
  await labels.filter({ hasText: 'v2 sum run' }).locator('input').check();
  const chart = fx.page.locator('figure[data-chart="loss vs step"]');
  await chart.waitFor();
  await until(async () => (await chart.locator('.u-legend .u-series').count()) === 3, 30_000, 'the legend lists x and two runs');

  // The axis names the one scale; the note names the doubled run.
  assert.match((await chart.getAttribute('data-y-label')) ?? '', /two terms summed: 0–8/);
  const note = fx.page.getByTestId('loss-scale-note');
  await note.waitFor();
  assert.match(await note.innerText(), /1 of 2 runs averaged them .*shown ×2: v1 mean run\.$/);

  // The plotted values: the v1 run at 2 × 1.5 = 3, the v2 run as logged (3.2).
  const over = chart.locator('.u-over');
  const box = (await over.boundingBox())!;
  await fx.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  const series = chart.locator('.u-legend .u-series');
  const valueOf = async (name: string) => Number((await series.filter({ hasText: name }).locator('.u-value').innerText()).replace(/[^\d.eE+-]/g, ''));
  await until(async () => Number.isFinite(await valueOf('v1 mean run')) && (await valueOf('v1 mean run')) > 0, 10_000, 'the hover shows the runs\' values');
  assert.ok(Math.abs((await valueOf('v1 mean run')) - 3) < 1e-6, `v1 loss on the summed scale: ${await valueOf('v1 mean run')}`);
  assert.ok(Math.abs((await valueOf('v2 sum run')) - 3.2) < 1e-6, `v2 loss as logged: ${await valueOf('v2 sum run')}`);

  // The table's final loss is on the same scale, the converted cell marked.
  const rows = fx.page.locator('[data-testid="compare-table"] tbody tr');
  const cell = async (name: string) => (await rows.filter({ hasText: name }).getByTestId('final-loss').innerText()).trim();
  assert.match(await cell('v1 mean run'), /^3(\.0+)?\s*×2$/);
  assert.match(await cell('v2 sum run'), /^3\.20*$/);
  assert.match(await fx.page.getByTestId('compare-protocol').innerText(), /^Final loss: 2 − 2cos, two terms summed: 0–8\./);
  await fx.page.screenshot({ path: join(ART, 'compare-loss-scale.png'), fullPage: true });

  // One run alone: as logged, on its own (mean) scale, no note.
  await labels.filter({ hasText: 'v2 sum run' }).locator('input').uncheck();
  await until(async () => /mean of two terms: 0–4/.test((await chart.getAttribute('data-y-label')) ?? ''), 10_000, 'the axis names the v1 run\'s own scale');
  assert.equal(await note.count(), 0);
  assert.match(await cell('v1 mean run'), /^1\.50*$/);
  assert.deepEqual(fx.lab.pageErrors, []);
});
