import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FASHION_MNIST_DIR, loadDataset, withValidation } from '../../src-main/data/index.ts';
import type { Setup } from '../../src-main/common/setup.ts';
import type { Split } from '../../src-main/data/types.ts';
import { findFashionMnist } from '../system.ts';

const SYN = { size: 28, channels: 1 as const, classes: 10, train: 2000, test: 500 };
const spec = (over: Partial<Setup['data']> = {}): Setup['data'] => ({ dataset: 'synthetic', synthetic: SYN, ...over });

/**
 * Ridge one-vs-all linear classifier on 2×2-pooled pixels (plus bias), fitted on `tr`, accuracy on
 * `te`: a linear probe on raw pixels, to check the synthetic classes are learnable but not trivial.
 */
function pixelProbe(tr: Split, te: Split, size: number, classes: number): number {
  const h = size >> 1;
  const d = h * h + 1;
  const feats = (s: Split, i: number): Float64Array => {
    const f = new Float64Array(d);
    const base = i * size * size;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < h; x++) {
        const o = base + 2 * y * size + 2 * x;
        f[y * h + x] = (s.images[o]! + s.images[o + 1]! + s.images[o + size]! + s.images[o + size + 1]!) / 1020;
      }
    f[d - 1] = 1;
    return f;
  };
  const A = new Float64Array(d * d);
  const B = new Float64Array(d * classes);
  for (let i = 0; i < tr.count; i++) {
    const f = feats(tr, i);
    for (let a = 0; a < d; a++) {
      const fa = f[a]!;
      if (fa === 0) continue;
      for (let b = 0; b < d; b++) A[a * d + b] += fa * f[b]!;
      B[a * classes + tr.labels[i]!] += fa;
    }
  }
  for (let a = 0; a < d; a++) A[a * d + a] += 1;
  // Gaussian elimination (A is symmetric positive definite).
  for (let k = 0; k < d; k++) {
    const p = A[k * d + k]!;
    for (let i = k + 1; i < d; i++) {
      const m = A[i * d + k]! / p;
      if (m === 0) continue;
      for (let j = k; j < d; j++) A[i * d + j] -= m * A[k * d + j]!;
      for (let c = 0; c < classes; c++) B[i * classes + c] -= m * B[k * classes + c]!;
    }
  }
  const W = new Float64Array(d * classes);
  for (let i = d - 1; i >= 0; i--)
    for (let c = 0; c < classes; c++) {
      let s = B[i * classes + c]!;
      for (let j = i + 1; j < d; j++) s -= A[i * d + j]! * W[j * classes + c]!;
      W[i * classes + c] = s / A[i * d + i]!;
    }
  let correct = 0;
  for (let i = 0; i < te.count; i++) {
    const f = feats(te, i);
    let best = -1;
    let arg = -1;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let a = 0; a < d; a++) s += f[a]! * W[a * classes + c]!;
      if (s > best || arg < 0) {
        best = s;
        arg = c;
      }
    }
    if (arg === te.labels[i]) correct++;
  }
  return correct / te.count;
}

describe('synthetic', () => {
  test('shapes, balanced labels and pretrain = train', async () => {
    const d = await loadDataset(spec(), { seed: 7 });
    assert.equal(d.height, 28);
    assert.equal(d.width, 28);
    assert.equal(d.channels, 1);
    assert.equal(d.classNames.length, 10);
    assert.equal(d.train.count, 2000);
    assert.equal(d.test.count, 500);
    assert.equal(d.train.images.length, 2000 * 784);
    assert.equal(d.pretrain.images, d.train.images);
    const counts = new Array(10).fill(0);
    for (const l of d.train.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(200));
    assert.deepEqual(d.family, { kind: 'gray', size: 28 });
    assert.equal(d.source, 'generated');
    assert.match(d.hash, /^[0-9a-f]{64}$/);
    // Images use the dynamic range, not a constant.
    let min = 255;
    let max = 0;
    for (const v of d.train.images.subarray(0, 784 * 20)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.ok(max - min > 100, `range ${min}..${max}`);
  });

  test('deterministic in the seed; another seed or count changes the data, test count leaves train alone', async () => {
    const a = await loadDataset(spec(), { seed: 3 });
    const b = await loadDataset(spec(), { seed: 3 });
    assert.equal(a.hash, b.hash);
    assert.deepEqual(a.train.images, b.train.images);
    const c = await loadDataset(spec(), { seed: 4 });
    assert.notEqual(c.hash, a.hash);
    const e = await loadDataset(spec({ synthetic: { ...SYN, test: 100 } }), { seed: 3 });
    assert.deepEqual(e.train.images, a.train.images);
    assert.notEqual(e.hash, a.hash);
  });

  test('held-out test images differ from train images', async () => {
    const d = await loadDataset(spec(), { seed: 1 });
    const seen = new Set<string>();
    for (let i = 0; i < d.train.count; i++) seen.add(Buffer.from(d.train.images.subarray(i * 784, (i + 1) * 784)).toString('base64'));
    for (let i = 0; i < d.test.count; i++) assert.ok(!seen.has(Buffer.from(d.test.images.subarray(i * 784, (i + 1) * 784)).toString('base64')));
  });

  test('a linear probe on pixels is well above chance but not perfect', async (t) => {
    const d = await loadDataset(spec(), { seed: 11 });
    const acc = pixelProbe(d.train, d.test, 28, 10);
    t.diagnostic(`pixel probe accuracy ${acc.toFixed(3)} (chance 0.1)`);
    assert.ok(acc > 0.35 && acc < 0.97, `pixel probe accuracy ${acc}`);
  });

  test('colour images carry three distinct channels', async () => {
    const d = await loadDataset(spec({ synthetic: { size: 32, channels: 3, classes: 5, train: 50, test: 20 } }), { seed: 2 });
    assert.equal(d.channels, 3);
    assert.equal(d.train.images.length, 50 * 32 * 32 * 3);
    assert.deepEqual(d.family, { kind: 'color', size: 32 });
    let diff = 0;
    for (let p = 0; p < 32 * 32; p++) diff += Math.abs(d.train.images[p * 3]! - d.train.images[p * 3 + 1]!);
    assert.ok(diff / 1024 > 2, `mean |R-G| ${diff / 1024}`);
  });

  test('trainSize keeps a seeded subset of pretrain and names it in the hash', async () => {
    const full = await loadDataset(spec(), { seed: 5 });
    const a = await loadDataset(spec({ trainSize: 300 }), { seed: 5 });
    const b = await loadDataset(spec({ trainSize: 300 }), { seed: 5 });
    assert.equal(a.pretrain.count, 300);
    assert.equal(a.pretrain.images.length, 300 * 784);
    assert.equal(a.train.count, 2000, 'the labelled probe split stays whole');
    assert.deepEqual(a.pretrain.images, b.pretrain.images);
    assert.equal(a.hash, b.hash);
    assert.equal(a.baseHash, full.hash);
    assert.notEqual(a.hash, full.hash);
    // Every subset image is one of the full set's images, with its label.
    const index = new Map<string, number>();
    for (let i = 0; i < full.pretrain.count; i++) index.set(Buffer.from(full.pretrain.images.subarray(i * 784, (i + 1) * 784)).toString('base64'), full.pretrain.labels[i]!);
    for (let i = 0; i < a.pretrain.count; i++) {
      const key = Buffer.from(a.pretrain.images.subarray(i * 784, (i + 1) * 784)).toString('base64');
      assert.equal(index.get(key), a.pretrain.labels[i]);
    }
  });
});

describe('validation split', () => {
  test('withValidation carves a seeded, stratified, disjoint fraction of train', async () => {
    const d = await loadDataset(spec(), { seed: 2 });
    const v = withValidation(d, 0.1, 2);
    assert.equal(v.validation!.count, 200);
    assert.equal(v.train.count, 1800);
    assert.equal(v.pretrain, d.pretrain, 'pre-training is unaffected');
    const counts = new Array(10).fill(0);
    for (const l of v.validation!.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(20));
    const trainKeys = new Set<string>();
    for (let i = 0; i < v.train.count; i++) trainKeys.add(Buffer.from(v.train.images.subarray(i * 784, (i + 1) * 784)).toString('base64'));
    for (let i = 0; i < v.validation!.count; i++) assert.ok(!trainKeys.has(Buffer.from(v.validation!.images.subarray(i * 784, (i + 1) * 784)).toString('base64')));
    assert.deepEqual(withValidation(d, 0.1, 2).validation!.labels, v.validation!.labels);
    assert.notDeepEqual(withValidation(d, 0.1, 3).validation!.images, v.validation!.images);
  });
});

describe('fashion-mnist', () => {
  // Debian's folder (loaded as the lab loads it by default), or $DPLAB_FASHION_MNIST as a path.
  const fm = findFashionMnist(FASHION_MNIST_DIR);
  test('loads the Fashion-MNIST IDX files', { skip: fm.skip }, async () => {
    const d = await loadDataset(spec({ dataset: 'fashion-mnist', ...(fm.path && fm.path !== FASHION_MNIST_DIR ? { path: fm.path } : {}) }));
    assert.equal(d.train.count, 60000);
    assert.equal(d.test.count, 10000);
    assert.equal(d.height, 28);
    assert.equal(d.classNames[9], 'Ankle boot');
    assert.equal(d.train.images.length, 60000 * 784);
    assert.ok(d.train.labels.every((l) => l >= 0 && l < 10));
  });

  test('a missing folder names the missing file and how to get it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dplab-nofm-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    await assert.rejects(loadDataset(spec({ dataset: 'fashion-mnist', path: dir })), (e: Error) => {
      assert.match(e.message, /train-images-idx3-ubyte/);
      assert.ok(e.message.includes(dir));
      return true;
    });
  });

  test('the default-folder error mentions the Debian package', async () => {
    // A machine without the package: its default folder is missing.
    const absent = join(tmpdir(), `dplab-no-fmnist-${process.pid}`);
    await assert.rejects(loadDataset(spec({ dataset: 'fashion-mnist' }), { fashionMnistDir: absent }), /apt-get install dataset-fashion-mnist/);
  });
});

describe('fashion-mnist-sample', () => {
  test('the bundled sample loads, balanced, and its hash verifies', async () => {
    const d = await loadDataset(spec({ dataset: 'fashion-mnist-sample' }), { verify: true });
    assert.equal(d.train.count, 10000);
    assert.equal(d.test.count, 2000);
    assert.equal(d.classNames.length, 10);
    const counts = new Array(10).fill(0);
    for (const l of d.test.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(200));
  });
});

describe('unknown names', () => {
  test('an unknown dataset lists what exists', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dplab-cache-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    await assert.rejects(loadDataset(spec({ dataset: 'nope' }), { cacheDir: dir }), /data.dataset 'nope' is unknown.*nothing imported yet/);
  });
});
