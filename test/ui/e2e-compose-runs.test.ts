// End to end, in Debian Chromium against the real `dplab serve`: choose a preset, switch the
// predictor to DirectPred in the composer, see invalid values rejected inline (ρ out of range,
// stop-gradient off with an EMA target), start a short run and watch its progress bar move and its
// eigenvalue chart fill, cancel another run from the runs table, export a chart's CSV and PNG.
// Screenshots of each screen go to test-artifacts/ui/.
import { before, after } from 'node:test';
import { browserTest as test, CHROMIUM, launchChromium } from '../browser.ts';
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuild, ROOT, serveLab } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';

const ART = join(ROOT, 'test-artifacts', 'ui');

let tmp = '';
let browser: Browser | null = null;
let page: Page;
const servers: ChildProcess[] = [];

/** Starts `dplab serve` on a random loopback port over `archive`; resolves with its tokenised URL. */
async function serve(archive: string): Promise<string> {
  const lab = await serveLab(archive);
  servers.push(lab.child);
  return lab.url;
}

before(async () => {
  if (CHROMIUM.skip) return;
  mkdirSync(ART, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'dplab-ui1-'));
  ensureRendererBuild();
  browser = await launchChromium();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  for (const child of servers) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(ART, `${name}.png`) });
const field = (path: string) => page.locator(`.field[data-path="${path}"]`);

test('compose, validate inline, run live, cancel, export', { timeout: 300_000 }, async () => {
  const url = await serve(join(tmp, 'lab.sqlite'));
  await page.goto(url);
  // Connected: the status bar names the backend and the queue.
  await page.getByTestId('backend').waitFor({ timeout: 30_000 });
  await page.getByTestId('queue').waitFor();
  // Empty states before any run.
  await page.keyboard.press('Alt+2');
  await page.getByText('No runs yet.').waitFor();
  await shot('runs-empty');
  await page.keyboard.press('Alt+3');
  await page.getByText('No run to show yet.').waitFor();
  await page.keyboard.press('Alt+1');
  await page.locator('select[aria-label="Preset"] option[value="byol-mlp"]').waitFor({ state: 'attached', timeout: 30_000 });

  // A preset of the paper, then DirectPred as the predictor.
  await page.selectOption('select[aria-label="Preset"]', 'byol-mlp');
  await page.locator('[data-block="predictor"]').click();
  assert.equal(await page.locator('select[aria-label="Predictor kind"]').inputValue(), 'mlp');
  assert.equal(await field('predictor.hidden').locator('input').inputValue(), '512');
  await page.selectOption('select[aria-label="Predictor kind"]', 'directpred');
  await field('predictor.rho').waitFor();
  assert.equal(await field('predictor.rho').locator('input').inputValue(), '0.3');
  assert.match((await page.locator('[data-block="predictor"]').first().textContent()) ?? '', /DirectPred/);

  // An out-of-range ρ is rejected next to the field, and the run cannot start.
  await field('predictor.rho').locator('input').fill('1.5');
  const rhoErr = field('predictor.rho').locator('.err');
  await rhoErr.waitFor();
  assert.match((await rhoErr.textContent()) ?? '', /1/);
  assert.equal(await page.getByRole('button', { name: 'Start run' }).isDisabled(), true);
  assert.equal(await page.locator('[data-block="predictor"].bad').count(), 1);
  await shot('compose-invalid');
  await field('predictor.rho').locator('input').fill('0.25');
  await rhoErr.waitFor({ state: 'detached' });

  // Stop-gradient off with an EMA target: the schema's reason shows at the stop-gradient.
  await page.locator('[data-block="stopgrad"]').click();
  await field('stopGradient').locator('input[type=checkbox]').uncheck();
  const sgErr = field('stopGradient').locator('.err');
  await sgErr.waitFor();
  assert.match((await sgErr.textContent()) ?? '', /simsiam/);
  await shot('compose-stopgrad');
  await field('stopGradient').locator('input[type=checkbox]').check();
  await sgErr.waitFor({ state: 'detached' });

  // Save the setup in the browser, switch to another preset, load it back.
  await page.getByRole('textbox', { name: 'Save as' }).fill('my directpred');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.selectOption('select[aria-label="Preset"]', 'simsiam');
  await page.locator('[data-block="predictor"]').click();
  assert.equal(await page.locator('select[aria-label="Predictor kind"]').inputValue(), 'mlp');
  await page.selectOption('select[aria-label="Load a saved setup"]', 'my directpred');
  assert.equal(await page.locator('select[aria-label="Predictor kind"]').inputValue(), 'directpred');
  assert.equal(await field('predictor.rho').locator('input').inputValue(), '0.25');
  // JSON: bad text is refused with the reason; a partial setup is accepted with its defaults.
  await page.getByRole('button', { name: 'Edit JSON…' }).click();
  const json = page.getByRole('textbox', { name: 'Setup JSON' });
  assert.match(await json.inputValue(), /"rho": 0.25/);
  await json.fill('{ "predictor": ');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText(/not JSON/).waitFor();
  await json.fill('{ "predictor": { "kind": "none" }, "optim": { "lr": 0.05 } }');
  await page.getByRole('button', { name: 'Apply' }).click();
  await json.waitFor({ state: 'detached' });
  assert.equal(await page.locator('select[aria-label="Predictor kind"]').inputValue(), 'none');
  assert.equal(await field('optim.batchSize').locator('input').inputValue(), '128');
  await page.selectOption('select[aria-label="Load a saved setup"]', 'my directpred');

  // Quick test shrinks the setup; give the live run enough steps to watch it move.
  await page.locator('label.quick input').check();
  await field('optim.maxSteps').locator('input').fill('120');
  await field('optim.epochs').locator('input').fill('15');
  assert.equal(await page.getByRole('button', { name: 'Start run' }).isDisabled(), false);
  await page.getByRole('textbox', { name: 'Run name' }).fill('e2e live');
  await shot('compose');
  await page.getByRole('button', { name: 'Start run' }).click();

  // The live view: record every progress value the bar shows.
  await page.getByTestId('run-progress').waitFor({ timeout: 30_000 });
  // A string, not a function: tsx's name helpers do not exist in the page.
  await page.evaluate(`(() => {
    const seen = [];
    window.__progress = seen;
    const read = () => {
      const bar = document.querySelector('[data-testid="run-progress"] [role="progressbar"]');
      const v = Number(bar ? bar.getAttribute('aria-valuenow') : 0);
      if (seen[seen.length - 1] !== v) seen.push(v);
    };
    read();
    new MutationObserver(read).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  })()`);
  const eigen = page.locator('figure[data-chart="Eigenvalues s_j of F̂"]');
  // Generous: the trainer process starts in 10–20 s on a 2-core machine.
  await eigen.locator('.overlay').waitFor({ state: 'detached', timeout: 120_000 });
  await page.waitForFunction('(window.__progress || []).some((v) => v > 0)', null, { timeout: 120_000 });
  await shot('run-live');

  // A second run, queued behind the first (one at a time), cancelled from the runs table.
  await page.keyboard.press('Alt+1');
  await page.getByRole('textbox', { name: 'Run name' }).fill('e2e cancel me');
  await field('seed').locator('input').fill('1');
  // Long enough that it cannot finish before it is cancelled, however the first run is doing.
  await field('optim.epochs').locator('input').fill('1000');
  await field('optim.maxSteps').locator('input').fill('100000');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.getByTestId('run-progress').waitFor();
  await page.keyboard.press('Alt+2');
  const cancelRow = page.locator('.row', { hasText: 'e2e cancel me' });
  await cancelRow.waitFor({ timeout: 30_000 });
  await cancelRow.click();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await cancelRow.locator('.badge[data-status="cancelled"]').waitFor({ timeout: 60_000 });
  // The two runs differ in seed and length: the table shows those columns and no other setup field.
  const heads = await page.locator('.head .th').allTextContents();
  assert.ok(heads.some((h) => h.trim().startsWith('seed')), `a seed column: ${heads.join(' | ')}`);
  assert.ok(heads.some((h) => h.trim().startsWith('maxSteps')), `a max steps column: ${heads.join(' | ')}`);
  assert.ok(!heads.some((h) => /predictor|batchSize|rho/.test(h)), `no column for equal fields: ${heads.join(' | ')}`);
  await shot('runs');
  // Tag it, find it by tag, write a note.
  await page.getByRole('textbox', { name: 'Tag to add' }).fill('to-delete');
  await page.getByRole('button', { name: 'Add tag' }).click();
  await cancelRow.locator('.tagchip', { hasText: 'to-delete' }).waitFor();
  await page.getByRole('searchbox', { name: 'Filter runs' }).fill('tag:to-delete');
  await page.locator('.count', { hasText: '1 of 2' }).waitFor();
  await page.getByRole('searchbox', { name: 'Filter runs' }).fill('');
  await page.getByRole('textbox', { name: 'Note' }).fill('cancelled on purpose by the e2e test');
  await page.getByRole('button', { name: 'Save note' }).click();
  await page.getByText('Note saved').waitFor();

  // Back to the first run: it completes, its bar went through intermediate values.
  await page.locator('.row', { hasText: 'e2e live' }).dblclick();
  await page.locator('.live .badge[data-status="completed"]').waitFor({ timeout: 180_000 });
  const seen = (await page.evaluate('window.__progress')) as number[];
  assert.ok(seen.some((v) => v > 0 && v < 100), `the progress bar moved through intermediate values: ${seen.join(', ')}`);
  await page.locator('p.summary', { hasText: 'final loss' }).waitFor({ timeout: 30_000 });
  // Synchronised cursors: hovering the loss chart moves the cursor (and legend values) of the others.
  const over = page.locator('figure[data-chart="Loss"] .u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  const collapseValue = page.locator('figure[data-chart="Collapse: output std × √d"] .u-legend .u-series').nth(1).locator('.u-value');
  await page.waitForFunction((el) => /\d/.test(el?.textContent ?? ''), await collapseValue.elementHandle(), { timeout: 10_000 });
  await shot('run-done');
  await page.locator('main.content').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await shot('run-done-spectra');
  await page.locator('main.content').evaluate((el) => (el.scrollTop = 0));

  // Export the eigenvalue chart's data as CSV and the chart as PNG.
  const [csvDl] = await Promise.all([page.waitForEvent('download'), eigen.getByRole('button', { name: /data as CSV/ }).click()]);
  const csvPath = join(ART, 'eigenvalues.csv');
  await csvDl.saveAs(csvPath);
  const csv = readFileSync(csvPath, 'utf8').trim().split('\n');
  assert.match(csv[0]!, /^step,mode 1,mode 2/);
  assert.ok(csv.length >= 10, `one row per logged spectrum, got ${csv.length - 1}`);
  const firstRow = csv[1]!.split(',');
  assert.equal(firstRow.length, csv[0]!.split(',').length);
  assert.ok(Number(firstRow[1]) > 0, 'the largest eigenvalue of F̂ is positive');
  const [pngDl] = await Promise.all([page.waitForEvent('download'), eigen.getByRole('button', { name: /as PNG/ }).click()]);
  const pngPath = join(ART, 'eigenvalues.png');
  await pngDl.saveAs(pngPath);
  assert.deepEqual([...readFileSync(pngPath).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.ok(statSync(pngPath).size > 2000);

  // Dark theme, same screen.
  await page.keyboard.press('Alt+t');
  await page.waitForFunction("document.documentElement.dataset.theme === 'dark'");
  await shot('run-done-dark');
  await page.keyboard.press('Alt+2');
  // The details panel adds the best values over the run to the final ones of the table.
  await page.locator('.row', { hasText: 'e2e live' }).click();
  await page.getByTestId('best-knn').filter({ hasText: /\d+\.\d %/ }).waitFor({ timeout: 30_000 });
  await shot('runs-dark');
  await page.keyboard.press('Alt+t');
  // Duplicate and edit: the composer gets the run's setup under a new name.
  await page.getByRole('button', { name: 'Duplicate and edit' }).click();
  await page.locator('h1', { hasText: 'Compose a setup' }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Run name' }).inputValue(), 'e2e live (copy)');
  await page.locator('[data-block="predictor"]').click();
  assert.equal(await page.locator('select[aria-label="Predictor kind"]').inputValue(), 'directpred');
  assert.equal(await field('predictor.rho').locator('input').inputValue(), '0.25');
  // Delete the cancelled run (asks first).
  await page.keyboard.press('Alt+2');
  await page.locator('.row', { hasText: 'e2e cancel me' }).click();
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('alertdialog', { name: 'Confirm delete' }).getByRole('button', { name: 'Delete' }).click();
  await page.locator('.row', { hasText: 'e2e cancel me' }).waitFor({ state: 'detached' });
  assert.equal(await page.locator('.vt .row').count(), 1);
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await shot('shortcuts');
  await page.keyboard.press('Escape');
});

test('the runs table stays virtual with 3000 runs; sort, filter, differing fields; a lost server is reported', { timeout: 240_000 }, async () => {
  const file = join(tmp, 'many.sqlite');
  const archive = openArchive(file);
  const kinds = ['directpred', 'linear', 'mlp', 'directcopy'] as const;
  const t0 = Date.now() - 3000 * 60_000;
  // One transaction, not 6000 commits each waiting for the disk (about 4 s of them on a loaded machine).
  archive.transaction(() => {
    for (let i = 0; i < 3000; i++) {
      const setup = parseSetup({ seed: i % 5, predictor: { kind: kinds[i % 4] }, optim: { lr: i % 2 ? 0.03 : 0.05 } });
      const r = archive.createRun({ name: `bulk ${i}`, setup: setup as unknown as Record<string, unknown>, setupHash: `h${i}`, seed: setup.seed, status: 'completed', createdAt: t0 + i * 60_000 });
      const knnAcc = 0.3 + (i % 1000) / 2000;
      archive.appendEvents(r.uuid, [
        { type: 'progress', step: 100, totalSteps: 100, epoch: 1, etaSec: 0 },
        { type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: `h${i}`, backend: 'wasm', steps: 100, epochs: 1, finalLoss: 1 - knnAcc, collapseStd: 0.5, effectiveRank: 4, probeAcc: knnAcc - 0.05, knnAcc, imagesPerSec: 400, wallSec: 30 } },
      ]);
    }
  });
  archive.close();
  const url = await serve(file);
  await page.goto(`${url}#/runs`);
  await page.locator('.count', { hasText: /^3000$/ }).waitFor({ timeout: 60_000 });
  // Only the rows in view are in the DOM.
  const rendered = await page.locator('.vt .row').count();
  assert.ok(rendered > 5 && rendered < 80, `rows in the DOM: ${rendered}`);
  // The fields that differ become columns after the fixed ones (status, run, seed — a column of its
  // own since issue 23 — and progress), predictor kind first.
  const heads = (await page.locator('.head .th').allTextContents()).map((h) => h.trim());
  assert.deepEqual(heads.slice(0, 4), ['status', 'run', 'seed', 'progress'], heads.join(' | '));
  assert.ok(heads[4]!.startsWith('predictor'), heads.join(' | '));
  assert.ok(heads.some((h) => h.startsWith('lr')) && heads.some((h) => h.startsWith('seed')), heads.join(' | '));
  // Newest first; scrolling to the end reaches the oldest run.
  assert.match((await page.locator('.vt .row').first().textContent()) ?? '', /bulk 2999/);
  await page.locator('.vt .scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.locator('.vt .row', { hasText: /bulk 0(?!\d)/ }).waitFor();
  assert.ok((await page.locator('.vt .row').count()) < 80);
  // Sort by kNN (best first) and filter by predictor kind.
  await page.locator('.head .th', { hasText: 'kNN' }).click();
  await page.locator('.vt .scroll').evaluate((el) => (el.scrollTop = 0));
  // The table re-renders after the sort and the scroll: wait for the best run to reach the top.
  await page.locator('.vt .row').first().filter({ hasText: /80\.0 %/ }).waitFor({ timeout: 15_000 });
  await page.getByRole('searchbox', { name: 'Filter runs' }).fill('directcopy');
  await page.locator('.count', { hasText: '750 of 3000' }).waitFor();
  await shot('runs-3000');
  await page.getByRole('searchbox', { name: 'Filter runs' }).fill('');

  // The server goes away: the next request says so instead of failing silently.
  const child = servers[servers.length - 1]!;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByText(/Could not load the runs/).waitFor({ timeout: 30_000 });
  await page.getByText(/connection lost/).waitFor();
  await shot('runs-disconnected');
});
