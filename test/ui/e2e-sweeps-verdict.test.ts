// Issue 23, end to end in Chromium against the real `dplab serve`: in a sweep's result table the user
// picks a baseline (predictor kind = none) and sees, per group, the paired difference from it, the
// repeated interval and a verdict computed by the claims' engine (reproduce/compare.ts); a margin
// typed in changes the verdict. Runs are recorded beforehand with known values (no training).
// Screenshot: test-artifacts/ui-sweeps-verdict/sweep-verdict.png.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { compareGroups } from '../../src-main/reproduce/compare.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-sweeps-verdict');
// Probe accuracy per kind and seed: linear is about 20 points above none on every seed.
const PROBE: Record<string, number[]> = { none: [0.5, 0.52, 0.48], linear: [0.7, 0.71, 0.69] };
const runs: { status: string; setup: unknown; summary: Record<string, unknown> }[] = [];

const fx = labPerFile({
  prefix: 'dplab-sweep-verdict-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  prepare: (file) => {
    const { members, issues, definition } = expandSweep({ name: 'verdict sweep', base: QUICK_SETUP, axes: { 'predictor.kind': ['none', 'linear'] }, seeds: 3 });
    assert.deepEqual(issues, []);
    const a = openArchive(file);
    try {
      const { runIds } = a.createSweepWithRuns({
        name: 'verdict sweep',
        definition,
        members: members.map((m) => ({ run: { name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: setupHash(m.setup), seed: m.setup.seed, status: 'running' as const }, idx: m.idx, combo: m.combo })),
      });
      members.forEach((m, i) => {
        const probeAcc = PROBE[m.setup.predictor.kind]![m.setup.seed]!;
        const summary = { outcome: 'completed' as const, setupHash: setupHash(m.setup), backend: 'wasm', steps: 48, epochs: 3, finalLoss: 1, collapseStd: 0.5, effectiveRank: 4, probeAcc, knnAcc: probeAcc, imagesPerSec: 100, wallSec: 10 };
        a.appendEvents(runIds[i]!, [{ type: 'finished', outcome: 'completed', summary }]);
        runs.push({ status: 'completed', setup: m.setup, summary });
      });
    } finally {
      a.close();
    }
  },
});

test('sweeps: picking a baseline adds the paired difference, interval and verdict per group; a margin changes the verdict; seeds are added in rounds, cancellably', { timeout: 300_000 }, async () => {
  const page = fx.page;
  await page.locator('nav button', { hasText: 'Sweeps' }).click();
  await page.locator('h1', { hasText: 'Sweeps' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('sweep-list').getByRole('button', { name: 'verdict sweep' }).click();
  const table = page.getByTestId('sweep-table');
  await until(async () => (await table.locator('tbody tr').count()) === 2, 60_000, 'two result rows');
  assert.equal(await page.getByTestId('verdict-header').count(), 0, 'no verdict column before a baseline is picked');

  await page.getByTestId('baseline-picker').selectOption({ label: 'predictor.kind = none' });
  await page.getByTestId('verdict-header').waitFor({ timeout: 30_000 });
  const verdict = async (kind: string) => (await table.locator('tbody tr', { hasText: kind }).getByTestId('verdict').innerText()).trim();
  // The same engine the Paper view uses, on the same numbers: linear is better than none by more than none's seed noise.
  const expected = compareGroups(runs, { by: ['predictor.kind'], baseline: { path: 'predictor.kind', value: 'none' }, metric: 'probeAcc', direction: 'greater', maxSeeds: 12 });
  assert.equal(expected[1]!.word, 'better');
  assert.equal(await verdict('linear'), 'better');
  assert.equal(await verdict('none'), 'baseline');
  const linearRow = await table.locator('tbody tr', { hasText: 'linear' }).innerText();
  assert.match(linearRow, /\+20\.0 pt\s+\[\+\d+\.\d+, \+\d+\.\d+\] pt\s+better/);
  await page.getByTestId('sweep-result').screenshot({ path: join(ART, 'sweep-verdict.png') });

  // A margin of 30 points: the interval lies short of it.
  await page.getByTestId('compare-margin').fill('0.3');
  await until(async () => (await verdict('linear')) === 'not better', 30_000, 'not better at a 0.3 margin');

  // At a 20-point margin linear is undecided: "Add seeds until decided" fills every group up to the
  // next look (5 seeds: 4 new runs), and cancelling stops the rounds and the round's runs.
  await page.getByTestId('compare-margin').fill('0.2');
  await until(async () => (await verdict('linear')) === 'undecided', 30_000, 'undecided at a 0.2 margin');
  await page.getByTestId('add-seeds').click();
  await page.getByTestId('stop-rounds').waitFor({ timeout: 60_000 });
  await until(async () => /round to 5 seeds: 4 run\(s\) to train, 0 reused/.test(await page.getByTestId('sweep-reuse').innerText()), 60_000, 'the round note');
  await until(async () => (await table.locator('tbody tr', { hasText: 'linear' }).locator('td').nth(1).innerText()).trim() === '5', 60_000, 'five runs in each group');
  await page.getByTestId('stop-rounds').click();
  await page.getByTestId('add-seeds').waitFor({ timeout: 60_000 });
  await until(
    async () => {
      const p = await page.getByTestId('sweep-progress').innerText();
      return p.includes('10 / 10 finished') && /cancelled\s*4/.test(p) && !/running|queued/.test(p);
    },
    60_000,
    "the round's four runs cancelled",
  );
  await page.getByTestId('sweep-result').screenshot({ path: join(ART, 'sweep-rounds-cancelled.png') });
  assert.deepEqual(fx.lab.pageErrors, []);
});
