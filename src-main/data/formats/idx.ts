/**
 * IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed. Layout (LeCun's MNIST page): a 4-byte
 * magic 0x00 0x00 <type> <ndim> with type 0x08 = unsigned byte, then ndim big-endian uint32
 * dimensions, then the data row-major.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readBytes } from '../binio.ts';
import { resizeBatch } from '../resize.ts';
import type { StoredDataset } from '../stored.ts';
import type { Split } from '../types.ts';
import { registerFormat, type ReadOptions } from './registry.ts';

/** Fashion-MNIST's classes, in label order (zalandoresearch/fashion-mnist README). */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** The four files of an IDX dataset, by role; each may be raw, `.gz`, or use `.` before `idx`. */
const ROLES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;
type Role = keyof typeof ROLES;

/** Path of a role's file in `dir`, or undefined. */
function findFile(dir: string, role: Role): string | undefined {
  for (const base of ROLES[role]) {
    for (const ext of ['', '.gz']) {
      const p = join(dir, base + ext);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/** Every IDX file of `dir`, or an Error naming the first missing one and how to get it. */
export function idxFiles(dir: string, hint = ''): Record<Role, string> {
  const out = {} as Record<Role, string>;
  for (const role of Object.keys(ROLES) as Role[]) {
    const p = findFile(dir, role);
    if (!p) {
      throw new Error(
        `${join(dir, ROLES[role][0])}(.gz) is missing: an IDX dataset needs train-images-idx3-ubyte, train-labels-idx1-ubyte, ` +
          `t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz) in one folder${hint}`,
      );
    }
    out[role] = p;
  }
  return out;
}

/** Parses one IDX file of unsigned bytes; checks the magic number and the exact length. */
export function parseIdx(path: string, bytes: Uint8Array): { dims: number[]; data: Uint8Array } {
  if (bytes.length < 4) throw new Error(`${path}: too short for an IDX file (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${path}: not an IDX file (magic ${hex(bytes.subarray(0, 4))})`);
  if (bytes[2] !== 0x08) throw new Error(`${path}: IDX element type 0x${bytes[2]!.toString(16)} is not unsigned byte (0x08)`);
  const ndim = bytes[3]!;
  const header = 4 + 4 * ndim;
  if (ndim < 1 || bytes.length < header) throw new Error(`${path}: IDX header declares ${ndim} dimensions but the file has ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(dv.getUint32(4 + 4 * i, false));
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw new Error(`${path}: expected ${expected} bytes (header ${header} + ${dims.join('×')}), found ${bytes.length}: the file is ${bytes.length < expected ? 'truncated' : 'too long'}`);
  }
  return { dims, data: bytes.subarray(header) };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function readPair(imagesPath: string, labelsPath: string): { split: Split; height: number; width: number; maxLabel: number } {
  const im = parseIdx(imagesPath, readBytes(imagesPath));
  if (im.dims.length !== 3) throw new Error(`${imagesPath}: expected 3 dimensions (N×H×W), found ${im.dims.length}`);
  const lb = parseIdx(labelsPath, readBytes(labelsPath));
  if (lb.dims.length !== 1) throw new Error(`${labelsPath}: expected 1 dimension (N), found ${lb.dims.length}`);
  if (lb.dims[0] !== im.dims[0]) throw new Error(`${labelsPath}: ${lb.dims[0]} labels for ${im.dims[0]} images in ${imagesPath}`);
  const labels = Int32Array.from(lb.data);
  let maxLabel = 0;
  for (const l of labels) if (l > maxLabel) maxLabel = l;
  return { split: { images: im.data, labels, count: im.dims[0]! }, height: im.dims[1]!, width: im.dims[2]!, maxLabel };
}

/** Reads an IDX folder; class names are Fashion-MNIST's when the folder name says fashion, else the digits. */
export async function readIdxFolder(dir: string, opts: ReadOptions, hint = ''): Promise<StoredDataset> {
  const f = idxFiles(dir, hint);
  const train = readPair(f.trainImages, f.trainLabels);
  const test = readPair(f.testImages, f.testLabels);
  if (train.height !== test.height || train.width !== test.width) {
    throw new Error(`${f.testImages}: images are ${test.height}×${test.width} but ${f.trainImages} has ${train.height}×${train.width}`);
  }
  if (opts.channels === 3) throw new Error(`${f.trainImages}: IDX images are gray; leave --channels out`);
  const classes = Math.max(train.maxLabel, test.maxLabel) + 1;
  let classNames = opts.classNames;
  if (!classNames) {
    const fashion = /fashion/i.test(dir) || /fashion/i.test(opts.name);
    classNames = fashion && classes <= 10 ? FASHION_MNIST_CLASSES.slice() : Array.from({ length: classes }, (_, k) => String(k));
  }
  if (classNames.length < classes) throw new Error(`${f.trainLabels}: labels reach ${classes - 1} but only ${classNames.length} class names are given`);
  const d: StoredDataset = { name: opts.name, height: train.height, width: train.width, channels: 1, classNames, train: train.split, test: test.split, source: dir };
  const size = opts.size;
  if (size === undefined || (size === d.height && size === d.width)) return d;
  const r = (s: Split): Split => ({ ...s, images: resizeBatch(s.images, s.count, d.height, d.width, 1, size) });
  return { ...d, height: size, width: size, train: r(d.train), test: r(d.test) };
}

registerFormat({
  name: 'idx',
  description: 'MNIST / Fashion-MNIST IDX files in one folder: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz)',
  detect: (path) => existsSync(path) && statSync(path).isDirectory() && findFile(path, 'trainImages') !== undefined,
  read: (path, opts) => readIdxFolder(path, opts),
});
