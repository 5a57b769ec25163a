/**
 * STL-10, binary version (Coates, Lee & Ng, AISTATS 2011; layout from the dataset page
 * https://cs.stanford.edu/~acoates/stl10/): *_X.bin hold 3×96×96 uint8 images, each channel plane
 * stored column-major (so pixel (row y, column x) of channel c is byte c·9216 + x·96 + y);
 * *_y.bin hold one label byte per image, 1..10. train (5,000), test (8,000), unlabeled (100,000).
 * The unlabeled split is pre-training only. Files are streamed, so the 2.76 GB unlabeled file needs
 * no second copy in memory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileSize, forEachRecord, readBytes } from '../binio.ts';
import { checkDatasetBytes, importLimits } from '../limits.ts';
import { resizeSquare } from '../resize.ts';
import type { StoredDataset } from '../stored.ts';
import type { Split } from '../types.ts';
import { registerFormat, type ReadOptions } from './registry.ts';

const SIDE = 96;
const PLANE = SIDE * SIDE;
const RECORD = 3 * PLANE;

/** STL-10's classes in label order (its class_names.txt). */
export const STL10_CLASSES = ['airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck'];

/** Reads X (and y when given) into a split, converting to channels-last rows and resizing if asked. */
function readSplit(xPath: string, yPath: string | undefined, size: number): Split {
  const n = fileSize(xPath) / RECORD;
  if (!Number.isInteger(n) || n === 0) throw new Error(`${xPath}: ${fileSize(xPath)} bytes is not a whole number of ${RECORD}-byte 3×96×96 images: the file is truncated or not STL-10`);
  const labels = new Int32Array(n).fill(-1);
  if (yPath) {
    const y = readBytes(yPath, n, `for ${n} images in ${xPath}`);
    if (y.length !== n) throw new Error(`${yPath}: ${y.length} labels for ${n} images in ${xPath}`);
    for (let i = 0; i < n; i++) {
      if (y[i]! < 1 || y[i]! > 10) throw new Error(`${yPath}: label ${y[i]} of image ${i} is outside 1..10`);
      labels[i] = y[i]! - 1;
    }
  }
  const per = size * size * 3;
  const images = new Uint8Array(n * per);
  const hwc = new Uint8Array(RECORD);
  forEachRecord(xPath, RECORD, (rec, i) => {
    for (let c = 0; c < 3; c++) {
      for (let x = 0; x < SIDE; x++) {
        const col = c * PLANE + x * SIDE;
        for (let y = 0; y < SIDE; y++) hwc[(y * SIDE + x) * 3 + c] = rec[col + y]!;
      }
    }
    images.set(size === SIDE ? hwc : resizeSquare(hwc, SIDE, SIDE, 3, size), i * per);
  });
  return { images, labels, count: n };
}

function readNames(dir: string): string[] {
  const p = join(dir, 'class_names.txt');
  if (!existsSync(p)) return STL10_CLASSES.slice();
  const names = readFileSync(p, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (names.length !== 10) throw new Error(`${p}: ${names.length} class names, STL-10 has 10`);
  return names;
}

async function readStl10(dir: string, opts: ReadOptions): Promise<StoredDataset> {
  if (opts.channels === 1) throw new Error(`${dir}: STL-10 images are colour; gray conversion at import is not supported (leave --channels out)`);
  const size = opts.size ?? SIDE;
  const need = ['train_X.bin', 'train_y.bin', 'test_X.bin', 'test_y.bin'];
  for (const f of need) {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} is missing: an STL-10 folder needs ${need.join(', ')} (and optionally unlabeled_X.bin)`);
  }
  // The files' lengths tell the image counts: the dataset's size is checked before any is read.
  const u = join(dir, 'unlabeled_X.bin');
  const xs = [join(dir, 'train_X.bin'), join(dir, 'test_X.bin'), ...(existsSync(u) ? [u] : [])];
  const images = xs.reduce((a, p) => a + Math.floor(fileSize(p) / RECORD), 0);
  checkDatasetBytes(dir, images * size * size * 3, `its X files hold ${images} images, at ${size}×${size}×3,`, importLimits(opts.limits));
  const train = readSplit(join(dir, 'train_X.bin'), join(dir, 'train_y.bin'), size);
  const test = readSplit(join(dir, 'test_X.bin'), join(dir, 'test_y.bin'), size);
  const d: StoredDataset = { name: opts.name, height: size, width: size, channels: 3, classNames: opts.classNames ?? readNames(dir), train, test, source: dir };
  if (existsSync(u)) d.unlabeled = readSplit(u, undefined, size);
  return d;
}

registerFormat({
  name: 'stl10',
  description: 'STL-10 binary version: a folder with train_X.bin, train_y.bin, test_X.bin, test_y.bin and optionally unlabeled_X.bin (96×96, --size to shrink)',
  detect: (p) => existsSync(p) && statSync(p).isDirectory() && existsSync(join(p, 'train_X.bin')),
  read: readStl10,
});
