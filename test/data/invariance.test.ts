import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { RESERVED_NAMES } from '../../src-main/data/cache.ts';
import { loadDataset } from '../../src-main/data/index.ts';
import { generateInvariance, INVARIANCE_DEFAULTS, orientationEnergy } from '../../src-main/data/invariance.ts';
import type { Split } from '../../src-main/data/types.ts';
import { initBackend } from '../../src-main/engine/backend.ts';
import { linearProbe, type FeatureSet } from '../../src-main/engine/probe.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { pixels } from './pixel-features.ts';

// Small enough for a test, large enough that the probes' accuracies are steady (test SE ≈ 0.02).
const P = { ...INVARIANCE_DEFAULTS, train: 1200, test: 600 };

before(async () => {
  await initBackend('wasm');
});

/** The oracle invariant: folded orientation energy of each image. */
function oracle(s: Split, size: number, channels: number): FeatureSet {
  const bins = 12;
  const x = new Float32Array(s.count * bins);
  for (let i = 0; i < s.count; i++) x.set(orientationEnergy(s.images, i, size, channels, bins), i * bins);
  return { x, y: s.labels, n: s.count, dim: bins };
}

describe('invariance dataset', () => {
  test('is registered: a setup names it, loading generates it, imports may not take its name', async () => {
    const setup = parseSetup({ data: { dataset: 'invariance', invariance: { train: 64, test: 32, classes: 5 } } });
    assert.deepEqual(setup.data.invariance, { ...INVARIANCE_DEFAULTS, train: 64, test: 32, classes: 5 });
    assert.throws(() => parseSetup({ data: { dataset: 'invariance', invariance: { clutterr: 1 } } }), /data\.invariance\.clutterr: unknown field/);
    const d = await loadDataset(setup.data, { seed: 3 });
    assert.equal(d.name, 'invariance');
    assert.equal(d.pretrain.count, 64);
    assert.equal(d.test.count, 32);
    assert.deepEqual(d.classNames, ['|θ| 0°', '|θ| 23°', '|θ| 45°', '|θ| 68°', '|θ| 90°']);
    assert.equal(d.height, 28);
    assert.equal(d.channels, 1);
    assert.ok(RESERVED_NAMES.includes('invariance'));
    // Without a data.invariance block the documented defaults apply.
    const dflt = await loadDataset(parseSetup({ data: { dataset: 'invariance' } }).data, { seed: 3 });
    assert.equal(dflt.train.count, INVARIANCE_DEFAULTS.train);
    assert.equal(dflt.test.count, INVARIANCE_DEFAULTS.test);
  });

  test('is deterministic per seed; the test count never changes the train images', () => {
    const a = generateInvariance({ ...P, train: 200, test: 50 }, 11);
    const b = generateInvariance({ ...P, train: 200, test: 50 }, 11);
    const c = generateInvariance({ ...P, train: 200, test: 50 }, 12);
    const e = generateInvariance({ ...P, train: 200, test: 80 }, 11);
    assert.deepEqual(a.train.images, b.train.images);
    assert.deepEqual(a.test.images, b.test.images);
    assert.deepEqual(a.train.labels, b.train.labels);
    assert.notDeepEqual(a.train.images, c.train.images);
    assert.deepEqual(a.train.images, e.train.images);
    // Balanced labels, and images that use the pixel range (nuisance: level and contrast vary).
    const counts = new Array(P.classes).fill(0);
    for (const y of a.train.labels) counts[y]++;
    assert.deepEqual(counts, new Array(P.classes).fill(50));
    let lo = 255, hi = 0;
    for (const v of a.train.images) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    assert.ok(lo < 40 && hi > 215, `pixel range ${lo}..${hi}`);
  });

  test('colour images have 3 channels and the same classes', () => {
    const d = generateInvariance({ ...P, channels: 3, train: 40, test: 20 }, 2);
    assert.equal(d.channels, 3);
    assert.equal(d.train.images.length, 40 * 28 * 28 * 3);
  });

  test('the oracle invariant ignores what the augmentations change: flip, shift, brightness, contrast', () => {
    const d = generateInvariance({ ...P, train: 8, test: 16 }, 5);
    const n = d.height;
    for (let i = 0; i < 4; i++) {
      const src = d.train.images.subarray(i * n * n, (i + 1) * n * n);
      const base = orientationEnergy(src, 0, n, 1);
      const flipped = new Uint8Array(n * n);
      const shifted = new Uint8Array(n * n);
      const dimmed = new Uint8Array(n * n);
      for (let y = 0; y < n; y++)
        for (let x = 0; x < n; x++) {
          flipped[y * n + x] = src[y * n + (n - 1 - x)]!;
          shifted[y * n + x] = src[((y + 5) % n) * n + ((x + 9) % n)]!;
        }
      for (let k = 0; k < n * n; k++) dimmed[k] = Math.round(20 + 0.5 * src[k]!);
      for (const [what, img, tol] of [['flip', flipped, 1e-9], ['circular shift', shifted, 1e-9], ['brightness/contrast', dimmed, 0.05]] as const) {
        const e = orientationEnergy(img, 0, n, 1);
        for (let b = 0; b < e.length; b++) assert.ok(Math.abs(e[b]! - base[b]!) <= tol * Math.max(1, Math.abs(base[b]!)), `${what}: bin ${b} ${e[b]} vs ${base[b]}`);
      }
    }
  });

  test('a linear probe on raw pixels is near chance; the same probe on the oracle invariant is far above', async () => {
    const d = generateInvariance(P, 1);
    const ppi = d.height * d.width * d.channels;
    const chance = 1 / P.classes;
    const px = await linearProbe(pixels(d.train, ppi), pixels(d.test, ppi), P.classes, { epochs: 20, seed: 1 });
    assert.ok(px.testAcc < chance + 0.1, `raw-pixel probe ${px.testAcc.toFixed(3)} (chance ${chance})`);
    const or = await linearProbe(oracle(d.train, d.height, 1), oracle(d.test, d.height, 1), P.classes, { epochs: 20, seed: 1 });
    assert.ok(or.testAcc > 0.9, `oracle probe ${or.testAcc.toFixed(3)}`);
  });
});
