// Chart data logic: alignment of series with their own x, gap-keeping smoothing, CSV text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignSeries, smoothEma, seriesToCsv, positiveOnly, fileStem } from '../../src-renderer/src/lib/series.ts';

test('series sharing x keep their columns; different x merge with gaps', () => {
  const shared = alignSeries([
    { label: 'a', x: [0, 10, 20], y: [1, 2, 3] },
    { label: 'b', x: [0, 10, 20], y: [4, NaN, 6] },
  ]);
  assert.deepEqual(shared.xs, [0, 10, 20]);
  assert.deepEqual(shared.ys, [[1, 2, 3], [4, null, 6]]);

  const merged = alignSeries([
    { label: 'loss', x: [0, 10, 20], y: [1, 0.5, 0.25] },
    { label: 'acc', x: [20, 5], y: [0.9, 0.1] },
  ]);
  assert.deepEqual(merged.xs, [0, 5, 10, 20]);
  assert.deepEqual(merged.ys[0], [1, null, 0.5, 0.25]);
  assert.deepEqual(merged.ys[1], [null, 0.1, null, 0.9]);
  assert.deepEqual(alignSeries([]), { xs: [], ys: [] });
});

test('EMA smoothing is bias-corrected, keeps gaps and does not jump across them', () => {
  assert.deepEqual(smoothEma([1, 2, null, 3], 0), [1, 2, null, 3]);
  const s = smoothEma([2, 2, null, 2], 0.9);
  // a constant stays constant thanks to the bias correction
  for (const v of [s[0], s[1], s[3]]) assert.ok(Math.abs((v as number) - 2) < 1e-12);
  assert.equal(s[2], null);
  const t = smoothEma([0, 10], 0.5);
  // (0.5·0 + 0.5·10·…) / weight: acc = 0 → 5; weight = 0.5 → 0.75 ⇒ 6.666…
  assert.ok(Math.abs((t[1] as number) - 10 / 1.5) < 1e-12);
  // heavy smoothing moves less than the raw step
  const u = smoothEma([0, 0, 0, 10], 0.8);
  assert.ok((u[3] as number) > 0 && (u[3] as number) < 10);
});

test('log axes turn non-positive values into gaps', () => {
  assert.deepEqual(positiveOnly([1, 0, -2, null, 3e-9]), [1, null, null, null, 3e-9]);
});

test('CSV: header, aligned rows, quoted cells, empty gaps', () => {
  const csv = seriesToCsv(
    [
      { label: 'loss', x: [0, 10], y: [1.5, 0.5] },
      { label: 'probe, acc', x: [10], y: [0.8] },
    ],
    'step',
  );
  assert.equal(csv, 'step,loss,"probe, acc"\n0,1.5,\n10,0.5,0.8\n');
  assert.equal(fileStem('Eigenvalues of F̂ (log)'), 'eigenvalues-of-f-log');
});

test('log axes: numerically-zero values become gaps and tick labels stay readable', async () => {
  const { positiveOnly, logTickLabel } = await import('../../src-renderer/src/lib/series.ts');
  assert.deepEqual(positiveOnly([1, 0, -2, 1e-300, null, 1e-12]), [1, null, null, null, null, 1e-12]);
  assert.equal(logTickLabel(0.01), '0.01');
  assert.equal(logTickLabel(1e-5), '1e-5');
  assert.equal(logTickLabel(100), '100');
  assert.equal(logTickLabel(1e6), '1e6');
  assert.equal(logTickLabel(null), '');
});
