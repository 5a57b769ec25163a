// End to end, in Debian Chromium against the real `dplab serve` (issue 23, multi-factor results): a
// 2-factor sweep (predictor.kind × optim.weightDecay, 2 seeds, 8-step runs, trained by
// `dplab sweep` beforehand) in the Sweeps view is coloured by the predictor kind (two colours for
// four bars, one legend), clustered by weight decay with labels that do not overlap, and in panels
// by weight decay on one y scale; Compare groups the same runs by both fields at once, one panel per
// weight decay, one colour per kind, or in one chart with one colour per kind and one line style
// per weight decay, its legend naming both (in both themes). Screenshots: test-artifacts/multifactor/.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Locator } from 'playwright-core';
import { labPerFile, ROOT, until } from './harness.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const ART = join(ROOT, 'test-artifacts', 'multifactor');
// The smallest setup whose runs still record collapse curves (every 4 steps) and a probe accuracy:
// the eight runs' time is their process starts, not their steps.
const TINY = {
  ...QUICK_SETUP,
  data: { dataset: 'synthetic', synthetic: { size: 16, channels: 1 as const, classes: 4, train: 64, test: 32 } },
  encoder: { kind: 'convnet' as const, widths: [4], residual: false },
  projector: { hidden: 8, out: 8 },
  optim: { ...QUICK_SETUP.optim, batchSize: 16, epochs: 2, maxSteps: 8 },
  eval: { probeEpochs: 1, probeTrain: 32, probeTest: 32, spectraEvery: 4, statsImages: 16 },
};

const fx = labPerFile({
  prefix: 'dplab-multifactor-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  prepare: (file) => {
    const sweep = join(dirname(file), 'sweep.json');
    writeFileSync(sweep, JSON.stringify({ name: 'kind × wd', base: TINY, axes: { 'predictor.kind': ['none', 'directpred'], 'optim.weightDecay': [0, 0.004] }, seeds: 2 }));
    const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'sweep', sweep, '--archive', file, '--quiet', '--concurrency', '2'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `dplab sweep failed:\n${r.stdout}\n${r.stderr}`);
  },
});

/** A box on the page (the tests compile without DOM types). */
type Box = { left: number; right: number; top: number; bottom: number };
type El = { getBoundingClientRect(): Box; getAttribute(n: string): string | null };

/** The drawn text of SVG labels (their hover <title> left out). */
const shown = (l: Locator) =>
  l.evaluateAll((els) => els.map((e) => [...(e as unknown as { childNodes: Iterable<{ nodeName: string; textContent: string | null }> }).childNodes].filter((n) => n.nodeName !== 'title').map((n) => n.textContent ?? '').join('')));

const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

/** Fails when two neighbouring labels' drawn boxes overlap. */
async function assertNoOverprint(labels: Locator, what: string): Promise<void> {
  const boxes = await labels.evaluateAll((els) => els.map((e) => (e as unknown as El).getBoundingClientRect()));
  assert.ok(boxes.length > 0, `${what}: no labels`);
  for (let i = 1; i < boxes.length; i++) assert.ok(!overlaps(boxes[i - 1]!, boxes[i]!), `${what}: labels ${i - 1} and ${i} overlap`);
}

test('sweeps: two factors as colour × clusters and as panels; labels never overprint', { timeout: 300_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Sweeps' }).click();
  await page.getByTestId('sweep-list').getByRole('button', { name: 'kind × wd' }).click();
  const bars = page.getByTestId('factor-bars');
  await bars.waitFor({ timeout: 60_000 });
  await until(async () => (await bars.locator('rect').count()) === 4, 60_000, 'four bars (2 kinds × 2 weight decays)');
  // One colour per predictor kind (not one per combination), named once in the legend.
  assert.deepEqual((await page.locator('[data-testid="bars-legend"] li').allInnerTexts()).map((t) => t.trim()), ['predictor.kind:', 'directpred', 'none']);
  const fills = await bars.locator('rect').evaluateAll((els) => els.map((e) => (e as unknown as El).getAttribute('fill')));
  assert.equal(new Set(fills).size, 2, `two colours for four bars: ${fills.join(' ')}`);
  const labels = bars.locator('text.label');
  assert.deepEqual(await shown(labels), ['weightDecay=0', 'weightDecay=0.004']);
  await assertNoOverprint(labels, 'colour × clusters');
  // The table's swatch (in the colour field's column) matches its bar colour.
  const sw = await page.locator('[data-testid="sweep-table"] tbody tr .sw').evaluateAll((els) => els.map((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor));
  assert.equal(sw.length, 4, 'one swatch per row, in the predictor kind column');
  assert.equal(new Set(sw).size, 2);
  await bars.screenshot({ path: join(ART, 'sweep-colour-clusters.png') });

  // Panels by weight decay: two charts, bars labelled by kind, same colours, one y scale.
  await page.selectOption('[data-testid="bars-facet-by"]', 'optim.weightDecay');
  const facets = page.getByTestId('bars-facet');
  await until(async () => (await facets.count()) === 2, 30_000, 'two panels');
  assert.deepEqual(await facets.evaluateAll((els) => els.map((e) => (e as unknown as El).getAttribute('data-facet'))), ['weightDecay = 0', 'weightDecay = 0.004']);
  const ticks = async (i: number) => (await facets.nth(i).locator('text.tick:not(.label)').allTextContents()).join(' ');
  assert.equal(await ticks(0), await ticks(1), 'the panels share one y axis');
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await shown(facets.nth(i).locator('text.label')), ['directpred', 'none']);
    await assertNoOverprint(facets.nth(i).locator('text.label, text.n'), `panel ${i}`);
    assert.deepEqual(await facets.nth(i).locator('rect').evaluateAll((els) => els.map((e) => (e as unknown as El).getAttribute('fill'))), [fills[0], fills[1]]);
  }
  await bars.screenshot({ path: join(ART, 'sweep-panels.png') });

  // Every label of every layout keeps clear of its neighbours, with its full text on hover.
  await page.selectOption('[data-testid="bars-facet-by"]', '');
  await page.selectOption('[data-testid="bars-color-by"]', 'optim.weightDecay');
  await until(async () => (await shown(labels)).join('|') === 'kind=directpred|kind=none', 30_000, 'clusters by kind');
  await assertNoOverprint(labels, 'coloured by weight decay');
  assert.deepEqual(await labels.locator('title').allTextContents(), ['kind=directpred', 'kind=none']);
  assert.deepEqual(fx.lab.pageErrors, []);
});

test('compare: group by predictor kind and weight decay at once, one panel per weight decay', { timeout: 180_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Compare' }).click();
  await page.locator('h1', { hasText: 'Compare runs' }).waitFor({ timeout: 30_000 });
  await page.selectOption('select[aria-label="Sweep"]', { index: 1 });
  await page.getByRole('button', { name: 'Select sweep' }).click();
  await page.locator('[data-testid="compare-table"] tbody tr').nth(7).waitFor({ timeout: 30_000 });
  await page.selectOption('[data-testid="group-by"]', 'predictor.kind');
  await page.selectOption('[data-testid="group-by-2"]', 'optim.weightDecay');
  // Two fields: panels by the second, colours by the first.
  assert.equal(await page.locator('[data-testid="compare-facet-by"]').inputValue(), 'optim.weightDecay');
  await page.selectOption('[data-testid="metric"]', 'collapseStd');
  const panels = page.locator('[data-testid="compare-panels"] figure[data-chart]');
  await until(async () => (await panels.count()) === 2, 30_000, 'two compare panels');
  assert.deepEqual(await panels.evaluateAll((els) => els.map((e) => (e as unknown as El).getAttribute('data-chart'))), [
    'collapse: output std × √d vs step · weightDecay = 0',
    'collapse: output std × √d vs step · weightDecay = 0.004',
  ]);
  const legend = page.getByTestId('group-legend');
  assert.deepEqual((await legend.locator('li').allInnerTexts()).map((t) => t.trim()).sort(), ['predictor.kind = directpred', 'predictor.kind = none']);
  // The table names both fields for each run.
  const head = await page.locator('[data-testid="compare-table"] thead th').allInnerTexts();
  assert.ok(head.includes('predictor.kind') && head.includes('optim.weightDecay'), head.join(' | '));
  await page.screenshot({ path: join(ART, 'compare-panels.png'), fullPage: true });

  // One chart: four groups (each combination, n = 2) instead of two that mix predictor kinds.
  await page.selectOption('[data-testid="compare-facet-by"]', '');
  await until(async () => (await legend.locator('li').count()) === 4, 30_000, 'four groups');
  assert.deepEqual((await legend.locator('li').allInnerTexts()).map((t) => t.trim()).sort(), [
    'predictor.kind = directpred, optim.weightDecay = 0 (n=2)',
    'predictor.kind = directpred, optim.weightDecay = 0.004 (n=2)',
    'predictor.kind = none, optim.weightDecay = 0 (n=2)',
    'predictor.kind = none, optim.weightDecay = 0.004 (n=2)',
  ]);
  // Line style by weight decay: one chart (the panels give way), colour by kind, a dash per weight decay.
  await page.selectOption('[data-testid="compare-facet-by"]', 'optim.weightDecay');
  await until(async () => (await panels.count()) === 2, 30_000, 'panels again');
  await page.selectOption('[data-testid="compare-dash-by"]', 'optim.weightDecay');
  const lineLegend = page.getByTestId('line-legend');
  await lineLegend.waitFor({ timeout: 30_000 });
  assert.equal(await panels.count(), 0, 'one chart: line style took weight decay from the panels');
  assert.equal(await page.locator('[data-testid="compare-facet-by"]').inputValue(), '');
  assert.deepEqual((await lineLegend.getByTestId('group-legend').locator('li').allInnerTexts()).map((t) => t.trim()), ['predictor.kind:', 'directpred', 'none']);
  const dashItems = lineLegend.getByTestId('dash-legend').locator('li');
  assert.deepEqual((await dashItems.allInnerTexts()).map((t) => t.trim()), ['optim.weightDecay:', '0', '0.004']);
  const dashes = await dashItems.evaluateAll((els) => els.slice(1).map((e) => (e as unknown as El).getAttribute('data-dash')));
  assert.equal(dashes[0], '', 'the first weight decay is solid');
  assert.ok(dashes[1] && dashes[1] !== dashes[0], `the second is dashed: ${dashes[1]}`);
  const legendColors = await lineLegend.locator('[data-testid="group-legend"] .sw').evaluateAll((els) => els.map((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor));
  assert.equal(new Set(legendColors).size, 2, 'two colours, one per kind');
  // The table's swatches follow the colour field only: two colours for eight runs.
  const rowSw = await page.locator('[data-testid="compare-table"] tbody tr .sw').evaluateAll((els) => els.map((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor));
  assert.deepEqual([...new Set(rowSw)].sort(), [...new Set(legendColors)].sort());
  assert.match(await page.locator('figure[data-chart] .note').first().innerText(), /Colour: predictor\.kind; line style: optim\.weightDecay/);
  for (const themeName of ['light', 'dark']) {
    if ((await page.locator('html').getAttribute('data-theme')) !== themeName) await page.keyboard.press('Alt+t');
    await until(async () => (await page.locator('html').getAttribute('data-theme')) === themeName, 10_000, `the ${themeName} theme`);
    await page.locator('main .main').screenshot({ path: join(ART, `compare-line-style-${themeName}.png`) });
  }
  if ((await page.locator('html').getAttribute('data-theme')) !== 'light') await page.keyboard.press('Alt+t');
  await page.selectOption('[data-testid="compare-dash-by"]', '');

  // Once-measured probe accuracy: the same two-factor bars, panels again by weight decay.
  await page.selectOption('[data-testid="compare-facet-by"]', 'optim.weightDecay');
  await page.selectOption('[data-testid="metric"]', 'probeAcc');
  await until(async () => (await page.getByTestId('bars-facet').count()) === 2, 30_000, 'two bar panels');
  assert.equal(await page.locator('[data-testid="factor-bars"] rect').count(), 4);
  await page.screenshot({ path: join(ART, 'compare-bars.png'), fullPage: true });
  assert.deepEqual(fx.lab.pageErrors, []);
});
