// End to end, in Chromium at 1440×900 against the real `dplab serve` (issue 23, "Runs table"):
// every sweep run's name was cut to "predictor ablation …", there was no sweep column or filter,
// the seed was not a default column, and a sweep's runs came in whatever order their times and ids
// gave. Now the run column widens by dragging its edge (kept across reloads), a sweep column and a
// sweep filter show and pick a sweep's runs, the seed is a column by default, and a sweep's runs
// list in grid order (seeds of a setup together) on every load. The runs are recorded in the
// archive beforehand (no training), their creation times shuffled as a merged archive leaves them.
// Screenshots: test-artifacts/ui-runs-table/.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive, type Archive } from '../../src-main/archive/archive.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { parseSetup } from '../../src-main/common/setup.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-runs-table');
const ABLATION = 'predictor ablation (quick)';

/** Records a finished sweep of `axes` × `seeds`; returns its members' names in grid order. */
function sweep(a: Archive, name: string, axes: Record<string, unknown[]>, seeds: number): string[] {
  const { members, issues, definition } = expandSweep({ name, base: QUICK_SETUP, axes, seeds });
  assert.deepEqual(issues, []);
  const { runIds } = a.createSweepWithRuns({
    name,
    definition,
    members: members.map((m) => ({ run: { name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: setupHash(m.setup), seed: m.setup.seed, status: 'running' as const }, idx: m.idx, combo: m.combo })),
  });
  runIds.forEach((id, i) => finish(a, id, 1 + i / 10));
  return members.map((m) => m.name);
}

function finish(a: Archive, id: string, loss: number): void {
  a.appendEvents(id, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: 'h', backend: 'wasm', steps: 48, epochs: 3, finalLoss: loss, collapseStd: 0.5, effectiveRank: 4, probeAcc: 0.5, knnAcc: 0.5, imagesPerSec: 100, wallSec: 10 } }]);
}

let ablation: string[] = [];
let decay: string[] = [];

const fx = labPerFile({
  prefix: 'dplab-runs-table-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  prepare: (file) => {
    const a = openArchive(file);
    try {
      for (const [k, name] of ['lone run a', 'lone run b'].entries()) {
        const setup = parseSetup({ ...QUICK_SETUP, seed: 7 + k });
        finish(a, a.createRun({ name, setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed, status: 'running' }).uuid, 2);
      }
      ablation = sweep(a, ABLATION, { 'predictor.kind': ['none', 'linear', 'directpred'] }, 3);
      decay = sweep(a, 'weight decay', { 'optim.weightDecay': [0, 0.0004] }, 2);
    } finally {
      a.close();
    }
    // Creation times out of grid order (as an archive merged from a cluster's shards has them): the
    // ablation's runs were registered in the order 8, 7, …, 0 and the decay's in a shuffled one.
    const db = new Database(file);
    try {
      const set = db.prepare('UPDATE runs SET created_at = ? WHERE name = ?');
      const t0 = Date.UTC(2026, 5, 1);
      set.run(t0, 'lone run a');
      ablation.forEach((n, i) => set.run(t0 + 1000 + (ablation.length - i) * 7, n));
      [3, 0, 2, 1].forEach((j, i) => set.run(t0 + 2000 + i * 5, decay[j]!));
      set.run(t0 + 3000, 'lone run b');
      db.prepare('UPDATE sweeps SET created_at = ? WHERE name = ?').run(t0 + 1000, ABLATION);
      db.prepare('UPDATE sweeps SET created_at = ? WHERE name = ?').run(t0 + 2000, 'weight decay');
    } finally {
      db.close();
    }
  },
});

/** The names of the rows the table shows, top to bottom. */
async function shownNames(): Promise<string[]> {
  return fx.page.locator('.vt .row .name').evaluateAll((els) => els.map((e) => (e as unknown as { innerText: string }).innerText.trim()));
}

async function openRuns(): Promise<void> {
  await fx.page.locator('nav button', { hasText: 'Runs' }).first().click();
  await until(async () => (await fx.page.locator('.vt .row').count()) === 2 + 9 + 4, 60_000, 'the 15 runs are listed');
}

test('runs table: sweep column and filter, seed by default, a sweep\'s runs in grid order on every load', { timeout: 180_000 }, async () => {
  await openRuns();
  // The sweep filter fits the bar at 1440 px: New run stays on the line of Refresh.
  const top = async (name: string) => (await fx.page.getByRole('button', { name, exact: true }).boundingBox())!.y;
  assert.equal(await top('New run'), await top('Refresh'), 'the header bar does not wrap');
  const heads = (await fx.page.locator('.vt .head').innerText()).split(/\s+/);
  assert.ok(heads.includes('sweep'), `a sweep column: ${heads.join(' ')}`);
  assert.ok(heads.includes('seed'), `a seed column without choosing it: ${heads.join(' ')}`);
  // Newest group first (lone run b, the decay sweep, the ablation, lone run a); inside a sweep, grid order.
  const order = ['lone run b', ...decay, ...ablation, 'lone run a'];
  assert.deepEqual(await shownNames(), order);
  // Each sweep run says its sweep and its place in the grid, and its seed.
  const row = (name: string) => fx.page.locator('.vt .row').nth(order.indexOf(name));
  assert.equal((await row(ablation[4]!).getByTestId('run-sweep').innerText()).replace(/\s+/g, ' ').trim(), `${ABLATION} #5`);
  assert.equal((await row(ablation[4]!).getByTestId('run-seed').innerText()).trim(), '1');
  assert.equal((await row('lone run a').getByTestId('run-sweep').innerText()).trim(), '—');
  assert.equal((await row('lone run a').getByTestId('run-seed').innerText()).trim(), '7');
  // The order holds on the next load.
  await fx.page.reload();
  await fx.page.getByTestId('backend').waitFor({ timeout: 30_000 });
  await openRuns();
  assert.deepEqual(await shownNames(), order, 'the same order after a reload');
  // Ties of another key fall back to the same order: every run has kNN 50 %.
  await fx.page.locator('.vt .head button', { hasText: 'kNN' }).click();
  assert.deepEqual(await shownNames(), order, 'equal kNN keeps the stable order');
  await fx.page.locator('.vt .head button', { hasText: 'created' }).click();

  // The sweep filter: one sweep, then the runs of none.
  const filter = fx.page.getByRole('combobox', { name: 'Sweep filter' });
  assert.deepEqual((await filter.locator('option').allInnerTexts()).map((t) => t.trim()), ['all sweeps', 'weight decay (4)', `${ABLATION} (9)`, 'not from a sweep']);
  await filter.selectOption({ label: 'weight decay (4)' });
  await until(async () => (await fx.page.locator('.vt .row').count()) === 4, 30_000, 'four runs of the decay sweep');
  assert.deepEqual(await shownNames(), decay);
  await fx.page.screenshot({ path: join(ART, 'runs-sweep-filter.png') });
  await filter.selectOption({ label: 'not from a sweep' });
  await until(async () => (await fx.page.locator('.vt .row').count()) === 2, 30_000, 'the two lone runs');
  assert.deepEqual(await shownNames(), ['lone run b', 'lone run a']);
  await filter.selectOption({ label: 'all sweeps' });
  await until(async () => (await fx.page.locator('.vt .row').count()) === 15, 30_000, 'all runs again');
  assert.deepEqual(fx.lab.pageErrors, []);
});

test('runs table: the run column widens by dragging its edge, so sweep names read whole; the width is kept', { timeout: 120_000 }, async () => {
  await openRuns();
  const name = fx.page.locator('.vt .row .name', { hasText: ablation[8]! }).first();
  const cut = () => name.evaluate((e) => e.scrollWidth > e.clientWidth + 1);
  assert.equal(await cut(), true, 'the long sweep run name is cut at the default width');
  await fx.page.screenshot({ path: join(ART, 'runs-default-width.png') });
  const handle = fx.page.getByTestId('name-resize');
  const box = (await handle.boundingBox())!;
  const before = (await fx.page.getByTestId('name-head').boundingBox())!.width;
  await fx.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await fx.page.mouse.down();
  await fx.page.mouse.move(box.x + 150, box.y + box.height / 2, { steps: 5 });
  await fx.page.mouse.move(box.x + 300, box.y + box.height / 2, { steps: 5 });
  await fx.page.mouse.up();
  const after = (await fx.page.getByTestId('name-head').boundingBox())!.width;
  assert.ok(Math.abs(after - before - 300) < 12, `the column grew by the drag: ${before} → ${after}`);
  assert.equal(await cut(), false, 'the whole name shows');
  await fx.page.screenshot({ path: join(ART, 'runs-wide-name.png') });
  // The keyboard moves the edge too.
  await handle.focus();
  await fx.page.keyboard.press('ArrowLeft');
  const keyed = (await fx.page.getByTestId('name-head').boundingBox())!.width;
  assert.ok(Math.abs(after - 24 - keyed) < 3, `ArrowLeft narrows by 24 px: ${after} → ${keyed}`);
  // Kept across a reload.
  await fx.page.reload();
  await fx.page.getByTestId('backend').waitFor({ timeout: 30_000 });
  await openRuns();
  const reloaded = (await fx.page.getByTestId('name-head').boundingBox())!.width;
  assert.ok(Math.abs(reloaded - keyed) < 3, `the width is kept: ${keyed} → ${reloaded}`);
  // Double-click returns to the shared width.
  await fx.page.getByTestId('name-resize').dblclick();
  const reset = (await fx.page.getByTestId('name-head').boundingBox())!.width;
  assert.ok(Math.abs(reset - before) < 3, `double-click fits the free space again: ${reset} vs ${before}`);
  assert.deepEqual(fx.lab.pageErrors, []);
});
