// End to end, in Chromium against the real `dplab serve`: the representation pictures (PCA of the
// encoder's features, issue 23). A finished run's Live run view shows its random-init picture beside
// its end, one dot per recorded image, a legend with one entry per class (named as the dataset names
// them), and a step picker over its evaluations; a collapsed run's picture says it collapsed; Compare
// shows the selected runs' pictures side by side, at the end or at random init. The runs are recorded
// in the archive beforehand with known pictures (no training: test/engine/projection.test.ts trains).
// Screenshots (light and dark): test-artifacts/ui-representation/.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { Rng } from '../../src-main/math/seeds.ts';
import type { ProjectionEvent, TrainerEvent } from '../../src-main/common/events.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-representation');
const CLASSES = ['T-shirt', 'trouser', 'pullover', 'dress', 'coat'];
const PER_CLASS = 24;
const ids: Record<string, string> = {};

/** A picture of 5 classes × 24 images: class clusters `apart` apart (0: mixed), squeezed to a line when `line`. */
function picture(step: number, apart: number, line: boolean, seed: number): ProjectionEvent {
  const rng = new Rng(seed);
  const x: number[] = [];
  const y: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < PER_CLASS; i++) {
    for (let c = 0; c < CLASSES.length; c++) {
      const a = (2 * Math.PI * c) / CLASSES.length;
      x.push(apart * Math.cos(a) + rng.normal());
      y.push(line ? 0.02 * rng.normal() : apart * Math.sin(a) + rng.normal());
      labels.push(c);
    }
  }
  return { type: 'projection', step, epoch: step / 10, x, y, labels, classNames: CLASSES, explained: line ? [0.99, 0.004] : [0.45, 0.3], totalVariance: line ? 2 : 10, relativeVariance: line ? 0.2 : 0.6 };
}

function record(file: string, name: string, pictures: ProjectionEvent[]): string {
  const a = openArchive(file);
  try {
    const setup = parseSetup({ name, seed: Object.keys(ids).length }) as unknown as Record<string, unknown>;
    const r = a.createRun({ name, setup, setupHash: name, seed: 0, status: 'running' });
    const last = pictures[pictures.length - 1]!.step;
    const ev: TrainerEvent[] = [
      ...Array.from({ length: last }, (_, i) => ({ type: 'scalars' as const, step: i + 1, epoch: (i + 1) / 10, values: { loss: 2 - i / last } })),
      ...pictures.flatMap((p): TrainerEvent[] => [p, { type: 'eval', step: p.step, epoch: p.epoch, probeAcc: 0.2 + p.step / 100, knnAcc: 0.2, probeTrainAcc: 0.3 }]),
      { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: name, backend: 'wasm', steps: last, epochs: last / 10, finalLoss: 1, collapseStd: 0.5, effectiveRank: 4, probeAcc: 0.6, knnAcc: 0.5, imagesPerSec: 100, wallSec: 10 } },
    ];
    a.appendEvents(r.uuid, ev);
    return r.uuid;
  } finally {
    a.close();
  }
}

const fx = labPerFile({
  prefix: 'dplab-representation-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  prepare: (file) => {
    ids.healthy = record(file, 'healthy run', [picture(0, 0.3, false, 1), picture(20, 3, false, 2), picture(40, 6, false, 3)]);
    ids.collapsed = record(file, 'collapsed run', [picture(0, 0.3, false, 4), picture(40, 2, true, 5)]);
  },
});

test('Live run: a finished run shows its random-init and end pictures, a legend of its classes and a step picker', { timeout: 180_000 }, async () => {
  const page = fx.page;
  await page.goto(`${fx.lab.url}#/run/${ids.healthy}`);
  const panel = page.getByTestId('run-representation');
  await panel.waitFor({ timeout: 60_000 });
  const plots = panel.getByTestId('projection');
  await until(async () => (await plots.count()) === 2, 30_000, 'two pictures (random init and end) are drawn');
  assert.deepEqual(await plots.evaluateAll((els) => els.map((e) => e.getAttribute('data-step'))), ['0', '40']);
  // One dot per recorded image, and the legend lists each class by its name.
  assert.equal(await plots.nth(1).locator('circle').count(), CLASSES.length * PER_CLASS);
  const legend = panel.getByTestId('projection-legend').locator('li');
  assert.equal(await legend.count(), CLASSES.length);
  assert.deepEqual((await legend.allInnerTexts()).map((t) => t.replace(/\s*\(\d+\)$/, '').trim()), CLASSES);
  // The axes name the explained variance; the end is named as such.
  assert.match(await plots.nth(1).innerText(), /end \(step 40\)[\s\S]*PC1 · 45 % of variance/);
  // Dots take their class's colour: as many fill colours as classes.
  const fills = await plots.nth(1).locator('circle').evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('fill')))]);
  assert.equal(fills.length, CLASSES.length);
  // The picker shows any evaluation (step 20 here) beside random init.
  const picker = panel.getByLabel('Evaluation to show');
  assert.deepEqual(await picker.locator('option').allInnerTexts(), ['step 20', 'end (step 40)']);
  await picker.selectOption('20');
  await until(async () => (await plots.nth(1).getAttribute('data-step')) === '20', 20_000, 'the step-20 picture is shown');
  await picker.selectOption('40');
  await until(async () => (await plots.nth(1).getAttribute('data-step')) === '40', 20_000, 'the end picture is shown again');
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ART, 'run-light.png'), fullPage: true });
  await panel.screenshot({ path: join(ART, 'run-panel-light.png') });

  // A collapsed run's end picture says so.
  await page.goto(`${fx.lab.url}#/run/${ids.collapsed}`);
  await until(async () => (await plots.count()) === 2 && (await plots.nth(1).getAttribute('data-step')) === '40' && (await page.locator('h1', { hasText: 'collapsed run' }).count()) === 1, 30_000, 'the collapsed run\'s pictures');
  assert.match(await plots.nth(1).getByTestId('projection-caption').innerText(), /collapsed to a line/);
  assert.doesNotMatch(await plots.nth(0).getByTestId('projection-caption').innerText(), /collapsed/);
  assert.deepEqual(fx.lab.pageErrors, []);
});

test('Compare: the selected runs\' pictures side by side, at the end and at random init, in both themes', { timeout: 180_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Compare' }).click();
  await page.locator('h1', { hasText: 'Compare runs' }).waitFor({ timeout: 30_000 });
  const labels = page.locator('ul[aria-label="Runs"] label');
  await labels.first().waitFor({ timeout: 30_000 });
  await labels.filter({ hasText: 'healthy run' }).locator('input').check();
  await labels.filter({ hasText: 'collapsed run' }).locator('input').check();
  const panel = page.getByTestId('compare-representation');
  await panel.waitFor({ timeout: 30_000 });
  const plots = panel.getByTestId('projection');
  await until(async () => (await plots.count()) === 2, 30_000, 'a picture per selected run');
  assert.deepEqual(await plots.evaluateAll((els) => els.map((e) => e.getAttribute('data-step'))), ['40', '40']);
  assert.equal(await panel.getByTestId('projection-legend').locator('li').count(), CLASSES.length);
  const titles = await plots.locator('figcaption').allInnerTexts();
  assert.deepEqual(titles.map((t) => t.trim()).sort(), ['collapsed run', 'healthy run']);
  const collapsedPlot = panel.locator('.cell', { hasText: 'collapsed run' }).getByTestId('projection');
  assert.match(await collapsedPlot.getByTestId('projection-caption').innerText(), /collapsed to a line/);
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ART, 'compare-light.png'), fullPage: true });
  await panel.screenshot({ path: join(ART, 'compare-panel-light.png') });

  // Random init: both runs' step-0 pictures.
  await panel.getByRole('button', { name: 'random init' }).click();
  await until(async () => (await plots.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).join() === '0,0', 20_000, 'both random-init pictures');

  // Dark theme: the class colours change to the dark palette and the pictures stay.
  await panel.getByRole('button', { name: 'end' }).click();
  await page.getByRole('button', { name: /☾ dark/ }).click();
  await until(async () => (await page.locator('html').getAttribute('data-theme')) === 'dark', 10_000, 'the dark theme');
  const fill = await plots.first().locator('circle').first().getAttribute('fill');
  assert.equal(fill, '#6aaaf0', 'class 0 in the dark palette');
  await panel.screenshot({ path: join(ART, 'compare-panel-dark.png') });
  await page.goto(`${fx.lab.url}#/run/${ids.healthy}`);
  const runPanel = page.getByTestId('run-representation');
  await runPanel.waitFor({ timeout: 30_000 });
  await until(async () => (await runPanel.getByTestId('projection').count()) === 2, 30_000, 'the run\'s pictures in the dark theme');
  await runPanel.scrollIntoViewIfNeeded();
  await runPanel.screenshot({ path: join(ART, 'run-panel-dark.png') });
  await page.getByRole('button', { name: /☀ light/ }).click();
  assert.deepEqual(fx.lab.pageErrors, []);
});
