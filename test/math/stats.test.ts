/**
 * The t quantiles behind every claim's verdict, against published table values (to 1e-9), and the
 * paired interval on a sample worked by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanInterval, pairedDifference, studentTCdf, studentTQuantile } from '../../src-main/math/stats.ts';

test('Student t: 97.5% quantiles match the tables; CDF and quantile invert each other', () => {
  // Two-sided 95% critical values, df = 1, 2, 4, 9, 30 (standard t tables).
  const table: [number, number][] = [
    [1, 12.706204736174698],
    [2, 4.302652729749464],
    [4, 2.7764451051977934],
    [9, 2.2621571628540993],
    [30, 2.0422724563012373],
  ];
  for (const [df, t] of table) assert.ok(Math.abs(studentTQuantile(0.975, df) - t) < 1e-9, `df ${df}: ${studentTQuantile(0.975, df)} vs ${t}`);
  assert.ok(Math.abs(studentTQuantile(0.975, 1e6) - 1.959963984540054) < 1e-5, 'large df tends to the normal quantile');
  for (const df of [1, 3, 7]) {
    for (const q of [0.01, 0.2, 0.5, 0.9, 0.999]) assert.ok(Math.abs(studentTCdf(studentTQuantile(q, df), df) - q) < 1e-10, `df ${df}, q ${q}`);
    assert.ok(Math.abs(studentTCdf(-1.3, df) + studentTCdf(1.3, df) - 1) < 1e-14, 'symmetric');
  }
  assert.throws(() => studentTQuantile(1, 3), /in \(0, 1\)/);
});

test('paired difference: mean, std and the t interval; same-seed luck cancels', () => {
  // Arm a is arm b plus 1 with seed-to-seed noise far larger than the effect: unpaired, the
  // intervals overlap; paired, the difference is exactly 1 ± 0.
  const b = [10, 30, 50];
  const a = b.map((x) => x + 1);
  const d = pairedDifference(a, b);
  assert.equal(d.n, 3);
  assert.equal(d.mean, 1);
  assert.equal(d.std, 0);
  assert.deepEqual(d.ci, [1, 1]);
  // Differences 1, 2, 3: mean 2, std 1, half width t(0.975, 2)/√3.
  const e = pairedDifference([2, 4, 6], [1, 2, 3]);
  const half = 4.302652729749464 / Math.sqrt(3);
  assert.ok(Math.abs(e.ci![0] - (2 - half)) < 1e-9 && Math.abs(e.ci![1] - (2 + half)) < 1e-9);
  assert.equal(meanInterval([5]).ci, null, 'one value has no interval');
  assert.throws(() => pairedDifference([1, 2], [1]), /2 values against 1/);
  assert.throws(() => meanInterval([1, Number.NaN]), /not finite/);
});
