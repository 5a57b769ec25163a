/**
 * CIFAR-10 and CIFAR-100, binary versions (Krizhevsky, "Learning Multiple Layers of Features from
 * Tiny Images", 2009; layout from the dataset page https://www.cs.toronto.edu/~kriz/cifar.html):
 * records of label byte(s) followed by 3072 bytes, the 32×32 red plane, then green, then blue,
 * each row-major. CIFAR-10: data_batch_1..5.bin + test_batch.bin, 1 label byte, names in
 * batches.meta.txt. CIFAR-100: train.bin + test.bin, coarse then fine label byte, names in
 * fine_label_names.txt (the fine labels are used).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileSize, forEachRecord } from '../binio.ts';
import { checkDatasetBytes, importLimits } from '../limits.ts';
import { resizeBatch } from '../resize.ts';
import type { StoredDataset } from '../stored.ts';
import type { Split } from '../types.ts';
import { registerFormat, type ReadOptions } from './registry.ts';

const PLANE = 32 * 32;

/** CIFAR-10's classes in label order (from its batches.meta.txt). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Reads CIFAR records from several files into one split (planar RGB → channels last). */
/** Images (32×32×3) the files hold, by their lengths: known before any record is read. */
function countRecords(paths: string[], labelBytes: number): number {
  const recordSize = labelBytes + 3 * PLANE;
  let total = 0;
  for (const p of paths) {
    const size = fileSize(p);
    if (size === 0 || size % recordSize !== 0) {
      throw new Error(`${p}: ${size} bytes is not a whole number of ${recordSize}-byte records: the file is truncated or not this CIFAR version`);
    }
    total += size / recordSize;
  }
  return total;
}

/** Refuses, before reading, a CIFAR folder whose files hold more image bytes than the limit (with the --size copies). */
function checkCifarBytes(dir: string, images: number, opts: ReadOptions): void {
  const limits = importLimits(opts.limits);
  checkDatasetBytes(dir, images * 3 * PLANE, `its files hold ${images} images of 32×32×3,`, limits);
  if (opts.size !== undefined) checkDatasetBytes(dir, images * opts.size * opts.size * 3, `${images} images resized to ${opts.size}×${opts.size} (--size) take`, limits);
}

function readRecords(paths: string[], labelBytes: number, labelIndex: number, classes: number): Split {
  const recordSize = labelBytes + 3 * PLANE;
  const total = countRecords(paths, labelBytes);
  const images = new Uint8Array(total * 3 * PLANE);
  const labels = new Int32Array(total);
  let at = 0;
  for (const p of paths) {
    forEachRecord(p, recordSize, (rec, i) => {
      const label = rec[labelIndex]!;
      if (label >= classes) throw new Error(`${p}: record ${i} has label ${label}, outside 0..${classes - 1}`);
      labels[at] = label;
      const o = at * 3 * PLANE;
      for (let px = 0; px < PLANE; px++) {
        images[o + px * 3] = rec[labelBytes + px]!;
        images[o + px * 3 + 1] = rec[labelBytes + PLANE + px]!;
        images[o + px * 3 + 2] = rec[labelBytes + 2 * PLANE + px]!;
      }
      at++;
    });
  }
  return { images, labels, count: total };
}

/** Non-empty lines of a names file, or undefined when it is absent. */
function readNames(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function finish(d: StoredDataset, opts: ReadOptions): StoredDataset {
  if (opts.channels === 1) throw new Error(`${d.source}: CIFAR images are colour; gray conversion at import is not supported (leave --channels out)`);
  if (opts.size === undefined || opts.size === 32) return d;
  const size = opts.size;
  const r = (s: Split): Split => ({ ...s, images: resizeBatch(s.images, s.count, 32, 32, 3, size) });
  return { ...d, height: size, width: size, train: r(d.train), test: r(d.test) };
}

function cifar10Batches(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^data_batch_\d+\.bin$/.test(f))
    .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => join(dir, f));
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

registerFormat({
  name: 'cifar10',
  description: 'CIFAR-10 binary version: a folder with data_batch_1.bin … data_batch_5.bin, test_batch.bin (and batches.meta.txt)',
  detect: (p) => isDir(p) && existsSync(join(p, 'test_batch.bin')) && cifar10Batches(p).length > 0,
  read: async (dir, opts) => {
    const batches = cifar10Batches(dir);
    if (batches.length === 0) throw new Error(`${join(dir, 'data_batch_1.bin')} is missing: a CIFAR-10 folder needs data_batch_*.bin and test_batch.bin`);
    const testPath = join(dir, 'test_batch.bin');
    if (!existsSync(testPath)) throw new Error(`${testPath} is missing: a CIFAR-10 folder needs data_batch_*.bin and test_batch.bin`);
    const names = opts.classNames ?? readNames(join(dir, 'batches.meta.txt')) ?? CIFAR10_CLASSES;
    if (names.length < 10) throw new Error(`${join(dir, 'batches.meta.txt')}: ${names.length} class names, CIFAR-10 has 10`);
    checkCifarBytes(dir, countRecords(batches, 1) + countRecords([testPath], 1), opts);
    const train = readRecords(batches, 1, 0, 10);
    const test = readRecords([testPath], 1, 0, 10);
    return finish({ name: opts.name, height: 32, width: 32, channels: 3, classNames: names.slice(0, 10), train, test, source: dir }, opts);
  },
});

registerFormat({
  name: 'cifar100',
  description: 'CIFAR-100 binary version: a folder with train.bin, test.bin (and fine_label_names.txt); fine labels',
  detect: (p) => isDir(p) && existsSync(join(p, 'train.bin')) && existsSync(join(p, 'test.bin')) && statSync(join(p, 'train.bin')).size % (2 + 3 * PLANE) === 0,
  read: async (dir, opts) => {
    for (const f of ['train.bin', 'test.bin']) {
      if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} is missing: a CIFAR-100 folder needs train.bin and test.bin`);
    }
    const names = opts.classNames ?? readNames(join(dir, 'fine_label_names.txt')) ?? Array.from({ length: 100 }, (_, k) => String(k));
    if (names.length < 100) throw new Error(`${join(dir, 'fine_label_names.txt')}: ${names.length} class names, CIFAR-100 has 100`);
    checkCifarBytes(dir, countRecords([join(dir, 'train.bin'), join(dir, 'test.bin')], 2), opts);
    const train = readRecords([join(dir, 'train.bin')], 2, 1, 100);
    const test = readRecords([join(dir, 'test.bin')], 2, 1, 100);
    return finish({ name: opts.name, height: 32, width: 32, channels: 3, classNames: names.slice(0, 100), train, test, source: dir }, opts);
  },
});
