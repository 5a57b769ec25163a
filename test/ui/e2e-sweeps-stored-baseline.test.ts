// Issue 23, end to end in Chromium against the real `dplab serve`: a baseline picked in the Sweeps
// builder (axis value, metric, margin) is stored with the sweep it starts, so reopening the sweep
// (after a page reload) judges against it again and "Edit as new sweep" carries it into the builder.
// The archive holds every member as a finished run beforehand, so the sweep reuses them all and
// nothing trains. Screenshot: test-artifacts/ui-sweeps-stored-baseline/reopened.png.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { expandSweep, type SweepDefinition } from '../../src-main/common/sweep.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-sweeps-stored-baseline');
const PROBE: Record<string, number[]> = { none: [0.5, 0.52], linear: [0.7, 0.71], directpred: [0.72, 0.69] };

const fx = labPerFile({
  prefix: 'dplab-sweep-stored-baseline-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  prepare: (file) => {
    // The builder's default grid (quick base, three predictor kinds, two seeds), finished runs already.
    const { members, issues } = expandSweep({ base: QUICK_SETUP, axes: { 'predictor.kind': ['none', 'linear', 'directpred'] }, seeds: 2 });
    assert.deepEqual(issues, []);
    const a = openArchive(file);
    try {
      for (const m of members) {
        const hash = setupHash(m.setup);
        const run = a.createRun({ name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: hash, seed: m.setup.seed, status: 'running' });
        const probeAcc = PROBE[m.setup.predictor.kind]![m.setup.seed]!;
        a.appendEvents(run.uuid, [{ type: 'finished', outcome: 'completed', summary: { outcome: 'completed', setupHash: hash, backend: 'wasm', steps: 48, epochs: 3, finalLoss: 1, collapseStd: 0.5, effectiveRank: 4, probeAcc, knnAcc: probeAcc, imagesPerSec: 100, wallSec: 10 } }]);
      }
    } finally {
      a.close();
    }
  },
});

test('sweeps: the builder\'s baseline and margin are stored with the sweep, shown again on reopening, and kept by "Edit as new sweep"', { timeout: 300_000 }, async () => {
  const page = fx.page;
  const toSweeps = async () => {
    await page.locator('nav button', { hasText: 'Sweeps' }).click();
    await page.locator('h1', { hasText: 'Sweeps' }).waitFor({ timeout: 60_000 });
  };
  await toSweeps();
  await page.getByTestId('sweep-name').fill('kept baseline');
  await page.getByTestId('builder-baseline-picker').selectOption({ label: 'predictor.kind = none' });
  await page.getByTestId('builder-baseline-metric').selectOption('knnAcc');
  await page.getByTestId('builder-baseline-margin').fill('0.05');
  await until(async () => (await page.getByTestId('run-count').count()) === 1 && (await page.getByTestId('run-count').innerText()) === '6', 60_000, 'the preview of 6 runs');
  await page.getByTestId('start-sweep').click();
  await until(async () => /0 run\(s\) to train, 6 reused/.test(await page.getByTestId('sweep-reuse').innerText().catch(() => '')), 60_000, 'the start note');

  // What the archive keeps.
  const a = openArchive(fx.file, { readonly: true });
  const id = a.listSweeps().find((s) => s.name === 'kept baseline')!.uuid;
  assert.deepEqual((a.getSweep(id)!.definition as SweepDefinition).baseline, { path: 'predictor.kind', value: 'none', metric: 'knnAcc', margin: 0.05 });
  a.close();

  // A fresh page: the sweep reopened from the list is judged against the stored baseline at once.
  await page.reload();
  await toSweeps();
  // The list says how many of its runs the sweep reused (the sweep record, not the start's note).
  await until(async () => /6 runs \(6 reused\)/.test(await page.getByTestId('sweep-list').locator('li', { hasText: 'kept baseline' }).innerText().catch(() => '')), 60_000, 'the reused count in the list');
  await page.getByTestId('sweep-list').getByRole('button', { name: 'kept baseline' }).click();
  await page.getByTestId('verdict-header').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('stored-baseline').innerText(), 'stored: predictor.kind = none on knnAcc, margin 0.05');
  assert.equal(await page.getByTestId('compare-margin').inputValue(), '0.05');
  assert.equal(await page.getByTestId('compare-metric').inputValue(), 'knnAcc');
  const table = page.getByTestId('sweep-table');
  assert.equal((await table.locator('tbody tr', { hasText: 'none' }).getByTestId('verdict').innerText()).trim(), 'baseline');
  assert.match((await table.locator('tbody tr', { hasText: 'linear' }).innerText()), /\+19\.5 pt/);
  await page.screenshot({ path: join(ART, 'reopened.png') });

  // "Edit as new sweep": the builder holds the same baseline, metric and margin.
  await page.getByRole('button', { name: 'Edit as new sweep' }).click();
  await until(async () => (await page.getByTestId('sweep-name').inputValue()) === 'kept baseline (copy)', 30_000, 'the copied draft');
  const picker = page.getByTestId('builder-baseline-picker');
  assert.equal(await picker.locator('option:checked').innerText(), 'predictor.kind = none');
  assert.equal(await page.getByTestId('builder-baseline-metric').inputValue(), 'knnAcc');
  assert.equal(await page.getByTestId('builder-baseline-margin').inputValue(), '0.05');
});
