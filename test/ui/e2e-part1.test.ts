// End to end, in Debian Chromium against the real `dplab serve`: choose a preset, switch the
// predictor to DirectPred in the composer, see invalid values rejected inline (ρ out of range,
// stop-gradient off with an EMA target), start a short run and watch its progress bar move and its
// eigenvalue chart fill, cancel another run from the runs table, export a chart's CSV and PNG.
// Screenshots of each screen go to test-artifacts/ui/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ART = join(ROOT, 'test-artifacts', 'ui');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let tmp = '';
let server: ChildProcess | null = null;
let serverErr = '';
let url = '';
let browser: Browser | null = null;
let page: Page;

before(async () => {
  mkdirSync(ART, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'dplab-ui1-'));
  // The page under test is the renderer as built from this checkout.
  const build = spawnSync('npm', ['run', 'build:renderer'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, `renderer build failed:\n${build.stdout}\n${build.stderr}`);
  server = spawn(process.execPath, ['bin/dplab.mjs', 'serve', '--port', '0', '--no-open', '--archive', join(tmp, 'lab.sqlite')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr!.on('data', (d: Buffer) => (serverErr += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`dplab serve printed no URL in 90 s: ${serverErr}`)), 90_000);
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\w+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    server!.once('exit', (code) => reject(new Error(`dplab serve exited (${code}): ${serverErr}`)));
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(ART, `${name}.png`) });
const field = (path: string) => page.locator(`.field[data-path="${path}"]`);

test('compose, validate inline, run live, cancel, export', { timeout: 300_000 }, async () => {
  await page.goto(url);
  // Connected: the status bar names the backend and the queue.
  await page.getByTestId('backend').waitFor({ timeout: 30_000 });
  await page.getByTestId('queue').waitFor();
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
  await page.waitForFunction(() => ((window as unknown as { __progress: number[] }).__progress ?? []).some((v) => v > 0), null, { timeout: 120_000 });
  await shot('run-live');

  // A second run, queued behind the first (one at a time), cancelled from the runs table.
  await page.keyboard.press('Alt+1');
  await page.getByRole('textbox', { name: 'Run name' }).fill('e2e cancel me');
  await field('seed').locator('input').fill('1');
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.getByTestId('run-progress').waitFor();
  await page.keyboard.press('Alt+2');
  const cancelRow = page.locator('.row', { hasText: 'e2e cancel me' });
  await cancelRow.waitFor({ timeout: 30_000 });
  await cancelRow.click();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await cancelRow.locator('.badge[data-status="cancelled"]').waitFor({ timeout: 60_000 });
  // The two runs differ only in their seed: the table shows that column and no other setup field.
  const heads = await page.locator('.head .th').allTextContents();
  assert.ok(heads.some((h) => h.trim().startsWith('seed')), `a seed column: ${heads.join(' | ')}`);
  assert.ok(!heads.some((h) => /predictor|batchSize/.test(h)), `no column for equal fields: ${heads.join(' | ')}`);
  await shot('runs');

  // Back to the first run: it completes, its bar went through intermediate values.
  await page.locator('.row', { hasText: 'e2e live' }).dblclick();
  await page.locator('.live .badge[data-status="completed"]').waitFor({ timeout: 180_000 });
  const seen = await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
  assert.ok(seen.some((v) => v > 0 && v < 100), `the progress bar moved through intermediate values: ${seen.join(', ')}`);
  await page.locator('.summary').waitFor({ timeout: 30_000 });
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
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await shot('run-done-dark');
  await page.keyboard.press('Alt+2');
  await shot('runs-dark');
  await page.keyboard.press('Alt+t');
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await shot('shortcuts');
  await page.keyboard.press('Escape');
});
