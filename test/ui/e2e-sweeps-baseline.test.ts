// End to end, in Debian Chromium against the real `dplab serve`: a sweep's result table shows, beside
// each final metric that is also measured at step 0, its random-init baseline (mean ± std over the
// group's runs, as `dplab sweep` prints in its second table), "—" where no run recorded one. The
// sweep's runs are recorded in the archive beforehand with known values (no training).
// Screenshot: test-artifacts/ui-sweeps-baseline/sweep-baseline.png.
import { browserTest as test } from '../browser.ts';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { labPerFile, ROOT, until } from './harness.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { expandSweep } from '../../src-main/common/sweep.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

const ART = join(ROOT, 'test-artifacts', 'ui-sweeps-baseline');

const fx = labPerFile({
  prefix: 'dplab-sweep-base-',
  art: ART,
  viewport: { width: 1440, height: 900 },
  prepare: (file) => {
    const { members, issues, definition } = expandSweep({ name: 'baseline sweep', base: QUICK_SETUP, axes: { 'predictor.kind': ['none', 'linear'] }, seeds: 2 });
    assert.deepEqual(issues, []);
    const a = openArchive(file);
    try {
      const { runIds } = a.createSweepWithRuns({
        name: 'baseline sweep',
        definition,
        members: members.map((m) => ({ run: { name: m.name, setup: m.setup as unknown as Record<string, unknown>, setupHash: setupHash(m.setup), seed: m.setup.seed, status: 'running' as const }, idx: m.idx, combo: m.combo })),
      });
      members.forEach((m, i) => {
        const kind = m.setup.predictor.kind;
        const seed = m.setup.seed;
        // none: probe 0.5 / 0.6 after training, 0.2 / 0.4 at init. linear: the seed-1 run has no baseline.
        const final = kind === 'none' ? 0.5 + 0.1 * seed : 0.8;
        const baseline = kind === 'none' ? { probeAcc: 0.2 + 0.2 * seed, knnAcc: 0.3, collapseStd: 0.78, effectiveRank: 12 } : seed === 0 ? { probeAcc: 0.25, knnAcc: 0.25, collapseStd: 0.7, effectiveRank: 11 } : undefined;
        a.appendEvents(runIds[i]!, [
          {
            type: 'finished',
            outcome: 'completed',
            summary: { outcome: 'completed', setupHash: setupHash(m.setup), backend: 'wasm', steps: 48, epochs: 3, finalLoss: 1, collapseStd: 0.5, effectiveRank: 4, probeAcc: final, knnAcc: final, imagesPerSec: 100, wallSec: 10, ...(baseline ? { baseline } : {}) },
          },
        ]);
      });
    } finally {
      a.close();
    }
  },
});

test('sweeps: the result table puts each group\'s random-init baseline beside its final values', { timeout: 120_000 }, async () => {
  await fx.page.locator('nav button', { hasText: 'Sweeps' }).click();
  await fx.page.locator('h1', { hasText: 'Sweeps' }).waitFor({ timeout: 30_000 });
  await fx.page.getByTestId('sweep-list').getByRole('button', { name: 'baseline sweep' }).click();
  const table = fx.page.getByTestId('sweep-table');
  await until(async () => (await table.locator('tbody tr').count()) === 2, 30_000, 'two result rows');
  const heads = (await table.locator('thead th').allInnerTexts()).map((h) => h.trim());
  // Each metric measured at step 0 is followed by its "at init" column; the loss is not.
  for (const label of ['probe acc (end)', 'kNN acc (end)', 'final collapse std', 'final effective rank']) {
    assert.equal(heads[heads.indexOf(label) + 1], 'at init', `${label} then at init: ${heads.join(' | ')}`);
  }
  assert.notEqual(heads[heads.indexOf('final loss') + 1], 'at init');
  const row = (kind: string) => table.locator('tbody tr', { hasText: kind });
  const init = async (kind: string, metric: string) => (await row(kind).locator(`td[data-init="${metric}"]`).innerText()).trim();
  assert.equal(await init('none', 'probeAcc'), '30.0 ± 14.1 %');
  assert.equal(await init('none', 'effectiveRank'), '12 ± 0');
  assert.equal(await init('linear', 'probeAcc'), '25.0 %', 'only the run that recorded a baseline counts');
  assert.equal(await init('linear', 'collapseStd'), '0.7');
  // The finals beside them, unchanged.
  assert.match(await row('none').innerText(), /55\.0 ± 7\.1 %\s+30\.0 ± 14\.1 %/);
  await fx.page.getByTestId('sweep-result').screenshot({ path: join(ART, 'sweep-baseline.png') });
  assert.deepEqual(fx.lab.pageErrors, []);
});
