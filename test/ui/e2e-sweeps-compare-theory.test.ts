// End to end, in Debian Chromium against the real `dplab serve` (Lab UI part 2): build and start a
// 2×2 sweep (predictor kind × 2 seeds) and watch it finish; overlay two runs in Compare; group the
// sweep by predictor kind (mean ± std); move the theory playground's η slider past the collapse
// threshold and see the portrait's fixed points vanish (counted in the canvas pixels); import
// another archive (made with `dplab run --archive`) and export runs. Screenshots go to
// test-artifacts/sweeps-compare-theory/.
import { before, after } from 'node:test';
import { browserTest as test, CHROMIUM } from '../browser.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openLab, ROOT, until, type LabPage } from './harness.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const ART = join(ROOT, 'test-artifacts', 'sweeps-compare-theory');
const TINY = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 1, maxSteps: 8 } };

let tmp = '';
let lab: LabPage | null = null;
let page: Page;

before(async () => {
  if (CHROMIUM.skip) return;
  mkdirSync(ART, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'dplab-ui-analysis-'));
  // An archive to import later: one run recorded by the CLI.
  const setupFile = join(tmp, 'other-run.json');
  writeFileSync(setupFile, JSON.stringify({ ...TINY, name: 'imported linear run', predictor: { kind: 'linear' } }));
  const rec = spawnSync(process.execPath, ['bin/dplab.mjs', 'run', setupFile, '--quiet', '--archive', join(tmp, 'other.sqlite')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(rec.status, 0, `dplab run failed:\n${rec.stdout}\n${rec.stderr}`);
  lab = await openLab(join(tmp, 'lab.sqlite'), { width: 1280, height: 800 });
  page = lab.page;
  // Load every view of this part once, so their code is in the page before anything else happens.
  for (const v of ['Theory', 'Compare', 'Archive', 'Sweeps']) {
    await page.locator('nav button', { hasText: v }).click();
    await page.locator('h1', { hasText: v === 'Theory' ? 'Theory playground' : v === 'Compare' ? 'Compare runs' : v }).waitFor({ timeout: 30_000 });
  }
});

after(async () => {
  await lab?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The bits of the browser's window and canvas these checks touch (the tests compile without DOM types). */
type Win = { getComputedStyle(e: unknown): { backgroundColor: string; borderColor: string } };
type Canvas = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };

const shot = (name: string) => page.screenshot({ path: join(ART, `${name}.png`) });
const view = async (label: string, heading: string) => {
  await page.locator('nav button', { hasText: label }).click();
  await page.locator('h1', { hasText: heading }).waitFor();
};

test('sweeps: build a 2×2 grid, preview its size, start it and watch it finish', { timeout: 240_000 }, async () => {
  await view('Sweeps', 'Sweeps');
  await page.getByTestId('sweep-name').fill('kind × seeds');
  // The quick setup cut to 8 steps: this checks the grid's mechanics, not its result.
  if (!(await page.locator('textarea[aria-label="Base setup JSON"]').isVisible())) await page.getByText('Base setup').first().click();
  await page.locator('textarea[aria-label="Base setup JSON"]').fill(JSON.stringify(TINY, null, 2));
  // Build the grid from scratch: remove the suggested axis, add one, pick its field and values.
  await page.getByRole('button', { name: 'Remove axis 1' }).click();
  await page.getByRole('button', { name: '+ Add axis' }).click();
  await page.selectOption('select[aria-label="Field of axis 1"]', 'predictor.kind');
  await page.fill('input[aria-label="Values of axis 1"]', 'linear, directpredd');
  await page.getByText("value 2 'directpredd': must be one of").waitFor();
  assert.equal(await page.getByTestId('start-sweep').isDisabled(), true, 'a bad value blocks the start');
  await page.fill('input[aria-label="Values of axis 1"]', 'linear, directpred');
  await page.getByTestId('seeds').fill('2');
  // The server's preview: 2 settings × 2 seeds.
  await page.getByTestId('run-count').filter({ hasText: '4' }).waitFor({ timeout: 30_000 });
  await shot('sweeps-builder');
  await page.getByTestId('start-sweep').click();
  await page.getByTestId('sweep-result').waitFor({ timeout: 30_000 });
  await page.getByTestId('sweep-progress').waitFor();
  await shot('sweeps-running');
  // Live progress, then the finished table (generous: 2 cores, 4 tiny trainings).
  await page.getByTestId('sweep-progress').filter({ hasText: '4 / 4 finished' }).waitFor({ timeout: 200_000 });
  // Both groups get their mean ± std once the last run's summary is in.
  await until(async () => {
    const rows = await page.locator('[data-testid="sweep-table"] tbody tr').allInnerTexts();
    return rows.length === 2 && rows.every((r) => /\d\.\d+ ± \d/.test(r));
  }, 30_000, 'the result table has two groups with mean ± std');
  const table = await page.getByTestId('sweep-table').innerText();
  assert.match(table, /linear/);
  assert.match(table, /directpred/);
  await page.getByTestId('sweep-bars').waitFor();
  assert.equal(await page.locator('[data-testid="sweep-bars"] rect').count(), 2, 'one bar per predictor kind');
  await shot('sweeps-finished');
  assert.ok(await page.getByTestId('sweep-list').getByText('kind × seeds').isVisible());
});

test('compare: overlay two runs, diff them, group the sweep by predictor kind', { timeout: 120_000 }, async () => {
  await view('Compare', 'Compare runs');
  const boxes = page.locator('ul[aria-label="Runs"] input[type="checkbox"]');
  await boxes.first().waitFor({ timeout: 30_000 });
  assert.equal(await boxes.count(), 4);
  // Pick one linear and one directpred run.
  const labels = page.locator('ul[aria-label="Runs"] label');
  await labels.filter({ hasText: 'kind=linear seed=0' }).locator('input').check();
  await labels.filter({ hasText: 'kind=directpred seed=1' }).locator('input').check();
  const chart = page.locator('figure[data-chart="loss vs step"]');
  await chart.waitFor();
  // Two lines, drawn in the runs' own colours (the legend markers carry them).
  await until(async () => (await chart.locator('.u-legend .u-series').count()) === 3, 30_000, 'the legend lists x and two runs');
  const swatches: string[] = await page.locator('ul[aria-label="Runs"] label.on .swatch').evaluateAll((els) => els.map((e) => (globalThis as unknown as Win).getComputedStyle(e).backgroundColor));
  const markers: string[] = await chart.locator('.u-legend .u-series .u-marker').evaluateAll((els) => els.slice(1).map((e) => (globalThis as unknown as Win).getComputedStyle(e).borderColor));
  assert.deepEqual([...markers].sort(), [...swatches].sort(), 'chart lines use the runs\' stable colours');
  assert.equal(await page.locator('[data-testid="compare-table"] tbody tr').count(), 2);
  const diff = await page.getByTestId('config-diff').innerText();
  assert.match(diff, /predictor\.kind/);
  assert.match(diff, /seed/);
  // Align by epoch: the x axis switches.
  await page.getByRole('button', { name: 'epoch' }).click();
  await page.locator('figure[data-chart="loss vs epoch"]').waitFor();
  await shot('compare-overlay');

  // The whole sweep, grouped by predictor kind: two groups of n = 2 with ± std lines.
  await page.selectOption('select[aria-label="Sweep"]', { index: 1 });
  await page.getByRole('button', { name: 'Select sweep' }).click();
  await page.locator('[data-testid="compare-table"] tbody tr').nth(3).waitFor();
  await page.selectOption('[data-testid="group-by"]', 'predictor.kind');
  const legend = page.getByTestId('group-legend');
  await legend.waitFor();
  const groups = await legend.locator('li').allInnerTexts();
  assert.deepEqual(groups.map((g) => g.trim()).sort(), ['predictor.kind = directpred (n=2)', 'predictor.kind = linear (n=2)']);
  await page.selectOption('[data-testid="metric"]', 'collapseStd');
  await page.locator('figure[data-chart^="collapse"]').waitFor();
  await shot('compare-grouped');
  // The probe runs once, at the end: its final values become bars (mean ± std per group).
  await page.selectOption('[data-testid="metric"]', 'probeAcc');
  await page.getByText('final linear probe accuracy by predictor.kind (mean ± std)').waitFor();
  assert.equal(await page.locator('[data-testid="sweep-bars"] rect').count(), 2);
  // Every run also evaluated its untrained network at step 0 (issue 13): the bars name those values,
  // each table cell puts the final value beside it, and the one protocol is named.
  assert.match(await page.getByTestId('bars-init').innerText(), /^Random init \(step 0, before any update\): predictor\.kind = directpred \d+\.\d % · predictor\.kind = linear \d+\.\d %\.$/);
  assert.match(await page.locator('[data-testid="compare-table"] tbody tr').first().locator('td.vs').first().innerText(), /^\d+\.\d % \(\d+\.\d %\)$/);
  assert.match(await page.getByTestId('compare-protocol').innerText(), /Evaluation: probe epoch chosen on validation · kNN k=\d+ weighted exp\(cos\/0\.07\)\.$/);
  await shot('compare-final-bars');
});

/** Pixels of the portrait canvas close to a colour (fixed-point markers are the only such pixels). */
async function countColour(rgb: [number, number, number]): Promise<number> {
  return page.getByTestId('portrait').evaluate((c, t) => {
    const cv = c as unknown as Canvas;
    const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - t[0]) < 12 && Math.abs(d[i + 1]! - t[1]) < 12 && Math.abs(d[i + 2]! - t[2]) < 12) n++;
    return n;
  }, rgb);
}

test('theory: moving η past τ²/(4(1+σ²)) makes the non-collapsed fixed points vanish', { timeout: 120_000 }, async () => {
  await view('Theory', 'Theory playground');
  // A Fig. 5 preset sets η and β and drives the per-mode chart over time.
  await page.locator('button[data-preset="fig5-wd#2"]').click();
  assert.equal(await page.locator('input[type="range"][data-param="beta"]').inputValue(), '0.4');
  assert.equal(await page.locator('input[type="range"][data-param="eta"]').inputValue(), '0.04');
  await page.locator('figure[data-chart^="s_j(t)"]').waitFor();
  await page.locator('button[data-preset="fig3-eta0.01#0"]').click();
  await page.getByTestId('fixed-count').filter({ hasText: '3 fixed points' }).waitFor();
  await page.getByTestId('diagram').waitFor({ timeout: 30_000 });
  const red: [number, number, number] = [0xd6, 0x27, 0x28];
  const green: [number, number, number] = [0x2c, 0xa0, 0x2c];
  const redBefore = await countColour(red);
  const greenBefore = await countColour(green);
  assert.ok(greenBefore > 20, `the unstable fixed point p*₋ is drawn (${greenBefore} px)`);
  await shot('theory-below-threshold');
  // Drag-equivalent: step the range input through values up to 0.3 (threshold 0.25 at τ = 1, σ² = 0).
  const eta = page.locator('input[type="range"][data-param="eta"]');
  for (const v of ['0.1', '0.2', '0.245', '0.26', '0.3']) {
    await eta.evaluate((el, value) => {
      const input = el as unknown as { value: string; dispatchEvent(e: Event): boolean };
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, v);
  }
  await page.getByTestId('fixed-count').filter({ hasText: '1 fixed point' }).waitFor();
  await page.getByTestId('collapse-certain').waitFor();
  const redAfter = await countColour(red);
  const greenAfter = await countColour(green);
  assert.equal(greenAfter, 0, 'no unstable fixed point remains');
  assert.ok(redAfter < redBefore * 0.75, `only the collapsed fixed point remains (${redBefore} → ${redAfter} red px)`);
  await shot('theory-past-threshold');
  // The collapse diagram marks the current (η, σ²) in the all-collapsed region.
  await page.getByTestId('diagram').scrollIntoViewIfNeeded();
  await shot('theory-diagram');
  // Beside a real run: the flow's prediction for a linear-predictor run of the sweep.
  const bridgeRun = page.getByTestId('bridge-run');
  await bridgeRun.scrollIntoViewIfNeeded();
  const linearRun = await bridgeRun.locator('option', { hasText: 'kind=linear seed=0' }).getAttribute('value');
  await bridgeRun.selectOption(linearRun!);
  await page.locator('figure[data-chart^="s_j: measured"]').waitFor({ timeout: 30_000 });
  await page.locator('figure[data-chart^="s_j: measured"]').scrollIntoViewIfNeeded();
  await shot('theory-bridge');
  // A DirectPred run: the bridge says why it does not apply.
  const dpRun = await bridgeRun.locator('option', { hasText: 'kind=directpred seed=0' }).getAttribute('value');
  await bridgeRun.selectOption(dpRun!);
  await page.getByText("The bridge does not apply: the flow models a trained linear predictor; this run's predictor is 'directpred'").waitFor();
});

test('archive: health with integrity check, import another archive, export runs', { timeout: 120_000 }, async () => {
  await view('Archive', 'Archive');
  await page.getByTestId('archive-runs').filter({ hasText: '4' }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Run integrity check' }).click();
  await page.getByTestId('integrity').filter({ hasText: 'ok' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('import-path').fill(join(tmp, 'other.sqlite'));
  await page.getByTestId('import').click();
  await page.getByTestId('import-outcome').filter({ hasText: 'Imported 1 run' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('archive-runs').filter({ hasText: '5' }).waitFor();
  await page.getByText('imported linear run').waitFor();
  // A second import of the same file adds nothing.
  await page.getByTestId('import').click();
  await page.getByTestId('import-outcome').filter({ hasText: 'Imported 0 runs' }).waitFor();
  // Export two runs as CSV (one row per run).
  await page.getByRole('checkbox', { name: 'Select imported linear run' }).check();
  await page.locator('table input[type="checkbox"]').nth(1).check();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export 2 runs' }).click()]);
  const file = join(tmp, download.suggestedFilename());
  await download.saveAs(file);
  const csv = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  assert.equal(csv.length, 3, 'header + two runs');
  assert.match(csv.join('\n'), /imported linear run/);
  await shot('archive');
  // Open the other archive: the whole lab switches to it.
  await page.fill('input[aria-label="Archive to open"]', join(tmp, 'other.sqlite'));
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.getByTestId('archive-path').filter({ hasText: 'other.sqlite' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('archive-runs').filter({ hasText: '1' }).waitFor();
  await shot('archive-opened');
  assert.deepEqual(lab!.pageErrors, [], 'no uncaught errors in the page');
});
