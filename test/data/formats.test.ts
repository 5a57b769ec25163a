import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import '../../src-main/data/formats/index.ts';
import { detectFormat, getFormat } from '../../src-main/data/formats/registry.ts';
import { resizeSquare } from '../../src-main/data/resize.ts';
import { hashStored, type StoredDataset } from '../../src-main/data/stored.ts';
import { jpegBytes, pix, pngBytes, smooth, writeCifar10, writeCifar100, writeClassFolder, writeIdx, writeStl10 } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'dplab-formats-'));
after(() => rmSync(root, { recursive: true, force: true }));
let k = 0;
const fresh = (name: string) => join(root, `${k++}-${name}`);
const read = (format: string, dir: string, extra: Record<string, unknown> = {}) => getFormat(format).read(dir, { name: 'x', ...extra });

/** Asserts image i of a split matches pix() at every pixel (channels-last). */
function checkImage(d: StoredDataset, split: 'train' | 'test' | 'unlabeled', i: number, offset: number): void {
  const s = d[split]!;
  const { height: h, width: w, channels: c } = d;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const got = s.images[((i * h + y) * w + x) * c + ch];
        if (got !== pix(i + offset, y, x, ch)) assert.fail(`${split}[${i}] at (${y},${x},${ch}): ${got} ≠ ${pix(i + offset, y, x, ch)}`);
      }
}

describe('idx', () => {
  test('raw and gzip files read to the same content, labels and shape', async () => {
    const a = fresh('idx-raw');
    const b = fresh('idx-gz');
    writeIdx(a, { n: 30, m: 12, h: 28, w: 28 });
    writeIdx(b, { n: 30, m: 12, h: 28, w: 28, gz: true });
    const da = await read('idx', a);
    const db = await read('idx', b);
    assert.equal(da.train.count, 30);
    assert.equal(da.test.count, 12);
    assert.equal(da.channels, 1);
    checkImage(da, 'train', 29, 0);
    checkImage(da, 'test', 5, 1000);
    assert.deepEqual(Array.from(da.train.labels.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual(db.train.images, da.train.images);
    assert.equal(hashStored({ ...db, source: 'elsewhere' }), hashStored(da), 'the hash covers content, not the source path');
    assert.equal(detectFormat(a).name, 'idx');
    assert.equal(detectFormat(b).name, 'idx');
  });

  test('a truncated images file is named, and so is a mismatched label count', async () => {
    const a = fresh('idx-trunc');
    writeIdx(a, { n: 10, m: 4, h: 8, w: 8 });
    truncateSync(join(a, 'train-images-idx3-ubyte'), 16 + 9 * 64 + 5);
    await assert.rejects(read('idx', a), (e: Error) => e.message.includes(join(a, 'train-images-idx3-ubyte')) && /truncated/.test(e.message));
    const b = fresh('idx-labels');
    writeIdx(b, { n: 10, m: 4, h: 8, w: 8 });
    const lb = Buffer.alloc(8 + 9);
    lb.writeUInt32BE(0x801, 0);
    lb.writeUInt32BE(9, 4);
    writeFileSync(join(b, 't10k-labels-idx1-ubyte'), lb);
    await assert.rejects(read('idx', b), /t10k-labels-idx1-ubyte: 9 labels for 4 images/);
  });

  test('a damaged gzip stream and a wrong magic number are named', async () => {
    const a = fresh('idx-badgz');
    writeIdx(a, { n: 10, m: 4, h: 8, w: 8, gz: true });
    const p = join(a, 'train-labels-idx1-ubyte.gz');
    const gz = readFileSync(p);
    writeFileSync(p, gz.subarray(0, gz.length - 6));
    await assert.rejects(read('idx', a), (e: Error) => e.message.includes(p) && /gzip/.test(e.message));
    const b = fresh('idx-magic');
    writeIdx(b, { n: 10, m: 4, h: 8, w: 8 });
    writeFileSync(join(b, 'train-images-idx3-ubyte'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    await assert.rejects(read('idx', b), /train-images-idx3-ubyte: not an IDX file/);
  });

  test('--size resamples', async () => {
    const a = fresh('idx-size');
    writeIdx(a, { n: 4, m: 2, h: 28, w: 28 });
    const d = await read('idx', a, { size: 14 });
    assert.equal(d.height, 14);
    assert.equal(d.train.images.length, 4 * 14 * 14);
  });
});

describe('cifar', () => {
  test('CIFAR-10: planar RGB becomes channels-last, batches concatenate in order, names from batches.meta.txt', async () => {
    const a = fresh('cifar10');
    writeCifar10(a, 7, 3, 5);
    assert.equal(detectFormat(a).name, 'cifar10');
    const d = await read('cifar10', a);
    assert.equal(d.train.count, 21);
    assert.equal(d.test.count, 5);
    assert.equal(d.channels, 3);
    assert.equal(d.height, 32);
    assert.deepEqual(d.classNames.slice(0, 2), ['airplane', 'automobile']);
    for (const i of [0, 6, 7, 20]) checkImage(d, 'train', i, 0);
    checkImage(d, 'test', 4, 5000);
    assert.equal(d.train.labels[13], 3);
  });

  test('CIFAR-10: a truncated batch is named; an out-of-range label too', async () => {
    const a = fresh('cifar10-trunc');
    writeCifar10(a, 4, 2, 2);
    truncateSync(join(a, 'data_batch_2.bin'), 3073 * 3 + 100);
    await assert.rejects(read('cifar10', a), (e: Error) => e.message.includes(join(a, 'data_batch_2.bin')) && /truncated/.test(e.message));
    const b = fresh('cifar10-label');
    writeCifar10(b, 4, 1, 2);
    const p = join(b, 'test_batch.bin');
    const buf = readFileSync(p);
    buf[3073] = 12;
    writeFileSync(p, buf);
    await assert.rejects(read('cifar10', b), /test_batch\.bin: record 1 has label 12, outside 0\.\.9/);
  });

  test('CIFAR-100: fine labels (second byte) and fine class names', async () => {
    const a = fresh('cifar100');
    writeCifar100(a, 130, 10);
    assert.equal(detectFormat(a).name, 'cifar100');
    const d = await read('cifar100', a);
    assert.equal(d.classNames.length, 100);
    assert.equal(d.classNames[42], 'fine42');
    assert.equal(d.train.labels[123], 23);
    checkImage(d, 'train', 101, 0);
  });
});

describe('stl10', () => {
  test('column-major planes become rows, labels 1..10 become 0..9, unlabeled is kept', async () => {
    const a = fresh('stl');
    writeStl10(a, 6, 4, 5);
    assert.equal(detectFormat(a).name, 'stl10');
    const d = await read('stl10', a);
    assert.equal(d.height, 96);
    assert.equal(d.train.count, 6);
    assert.equal(d.test.count, 4);
    assert.equal(d.unlabeled?.count, 5);
    checkImage(d, 'train', 5, 0);
    checkImage(d, 'test', 3, 2000);
    checkImage(d, 'unlabeled', 4, 4000);
    assert.deepEqual(Array.from(d.train.labels), [0, 1, 2, 3, 4, 5]);
    assert.ok(d.unlabeled!.labels.every((l) => l === -1));
    assert.equal(d.classNames[7], 'monkey');
  });

  test('--size 32 averages 3×3 blocks', async () => {
    const a = fresh('stl-32');
    writeStl10(a, 2, 2, 0);
    const d = await read('stl10', a, { size: 32 });
    assert.equal(d.height, 32);
    assert.equal(d.train.images.length, 2 * 32 * 32 * 3);
    // Output pixel (y, x, c) of image 1 is the mean of the source block rows 3y..3y+2, cols 3x..3x+2.
    for (const [y, x, c] of [[0, 0, 0], [10, 20, 1], [31, 31, 2]] as const) {
      let s = 0;
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) s += pix(1, 3 * y + dy, 3 * x + dx, c);
      assert.ok(Math.abs(d.train.images[(((1 * 32 + y) * 32 + x) * 3) + c]! - s / 9) <= 0.5 + 1e-9);
    }
  });

  test('a truncated X file or a short y file is named', async () => {
    const a = fresh('stl-trunc');
    writeStl10(a, 3, 2, 2);
    truncateSync(join(a, 'unlabeled_X.bin'), 27648 + 1000);
    await assert.rejects(read('stl10', a), (e: Error) => e.message.includes(join(a, 'unlabeled_X.bin')));
    const b = fresh('stl-y');
    writeStl10(b, 3, 2, 0);
    writeFileSync(join(b, 'train_y.bin'), Buffer.from([1, 2]));
    await assert.rejects(read('stl10', b), /train_y\.bin: 2 labels for 3 images/);
  });
});

describe('image folders', () => {
  test('class folders of gray PNGs: one channel, sorted classes, a seeded fifth held out', async () => {
    const a = fresh('folder-classes');
    writeClassFolder(a, ['cat', 'ant', 'bee'], 10, 12, 12);
    assert.equal(detectFormat(a).name, 'folder');
    const d = await read('folder', a);
    assert.deepEqual(d.classNames, ['ant', 'bee', 'cat']);
    assert.equal(d.channels, 1);
    assert.equal(d.train.count, 24);
    assert.equal(d.test.count, 6);
    const testCounts = [0, 0, 0];
    for (const l of d.test.labels) testCounts[l]!++;
    assert.deepEqual(testCounts, [2, 2, 2]);
    const again = await read('folder', a);
    assert.equal(hashStored(again), hashStored(d), 'the holdout is deterministic');
    // Every train image is one of the files, pixel-exact.
    const files = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const px = new Uint8Array(144);
      for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) px[y * 12 + x] = pix(i, y, x, 0);
      files.add(Buffer.from(px).toString('hex'));
    }
    for (let i = 0; i < d.train.count; i++) assert.ok(files.has(Buffer.from(d.train.images.subarray(i * 144, (i + 1) * 144)).toString('hex')));
  });

  test('train/test/val/unlabeled layout with colour JPEGs and PNGs', async () => {
    const a = fresh('folder-splits');
    for (const [split, n] of [['train', 4], ['test', 2], ['val', 1]] as const)
      for (const c of ['a', 'b']) {
        mkdirSync(join(a, split, c), { recursive: true });
        for (let i = 0; i < n; i++) writeFileSync(join(a, split, c, `${i}.jpg`), jpegBytes(i, 16, 16));
      }
    mkdirSync(join(a, 'unlabeled', 'deep'), { recursive: true });
    for (let i = 0; i < 3; i++) writeFileSync(join(a, 'unlabeled', 'deep', `${i}.png`), pngBytes(i, 16, 16, false));
    const d = await read('folder', a);
    assert.equal(d.channels, 3);
    assert.deepEqual([d.train.count, d.test.count, d.validation?.count, d.unlabeled?.count], [8, 4, 2, 3]);
    assert.deepEqual(Array.from(d.test.labels), [0, 0, 1, 1]);
    // JPEG is lossy: compare with tolerance.
    let err = 0;
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) for (let c = 0; c < 3; c++) err = Math.max(err, Math.abs(d.train.images[(y * 16 + x) * 3 + c]! - smooth(0, y, x, c)));
    assert.ok(err <= 12, `max JPEG error ${err}`);
    checkImage(d, 'unlabeled', 2, 0);
  });

  test('images only: an unlabelled pool with empty probe splits', async () => {
    const a = fresh('folder-flat');
    mkdirSync(a);
    for (let i = 0; i < 5; i++) writeFileSync(join(a, `${i}.png`), pngBytes(i, 8, 8, true));
    writeFileSync(join(a, 'notes.txt'), 'ignored');
    const d = await read('folder', a);
    assert.equal(d.unlabeled?.count, 5);
    assert.equal(d.train.count, 0);
    assert.equal(d.test.count, 0);
    assert.deepEqual(d.classNames, []);
  });

  test('mixed shapes name the odd file; --size resizes them all', async () => {
    const a = fresh('folder-mixed');
    writeClassFolder(a, ['x', 'y'], 3, 10, 10);
    writeFileSync(join(a, 'y', 'img999.png'), pngBytes(7, 12, 9, true));
    await assert.rejects(read('folder', a), (e: Error) => e.message.includes(join(a, 'y', 'img999.png')) && /mixed shapes/.test(e.message) && /--size/.test(e.message));
    const d = await read('folder', a, { size: 8 });
    assert.equal(d.height, 8);
    assert.equal(d.train.count + d.test.count, 7);
  });

  test('an unreadable image is named', async () => {
    const a = fresh('folder-bad');
    writeClassFolder(a, ['x', 'y'], 3, 10, 10);
    writeFileSync(join(a, 'x', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\n garbage'));
    await assert.rejects(read('folder', a), (e: Error) => e.message.includes(join(a, 'x', 'broken.png')) && /unreadable image/.test(e.message));
    const b = fresh('folder-notimg');
    writeClassFolder(b, ['x'], 2, 10, 10);
    writeFileSync(join(b, 'x', 'fake.jpg'), 'plain text');
    await assert.rejects(read('folder', b), (e: Error) => e.message.includes(join(b, 'x', 'fake.jpg')));
  });

  test('--channels 3 keeps gray images as three equal channels', async () => {
    const a = fresh('folder-ch');
    writeClassFolder(a, ['x', 'y'], 5, 6, 6);
    const d = await read('folder', a, { channels: 3 });
    assert.equal(d.channels, 3);
    assert.equal(d.train.images[0], d.train.images[1]);
  });
});

describe('resampling', () => {
  test('a constant image stays constant; a 2× shrink is the 2×2 mean; growing is bilinear between neighbours', () => {
    const c = new Uint8Array(20 * 20 * 3).fill(77);
    assert.ok(resizeSquare(c, 20, 20, 3, 7).every((v) => v === 77));
    assert.ok(resizeSquare(c, 20, 20, 3, 33).every((v) => v === 77));
    const src = new Uint8Array(16);
    for (let i = 0; i < 16; i++) src[i] = i * 10;
    const half = resizeSquare(src, 4, 4, 1, 2);
    assert.deepEqual(Array.from(half), [25, 45, 105, 125]);
    const wide = new Uint8Array([0, 100, 200, 40, 50, 60]); // 2×3: centre square crop takes columns 0..1
    assert.deepEqual(Array.from(resizeSquare(wide, 2, 3, 1, 2)), [0, 100, 40, 50]);
  });
});
