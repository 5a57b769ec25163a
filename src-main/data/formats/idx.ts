/**
 * IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed. Layout (LeCun's MNIST page): a 4-byte
 * magic 0x00 0x00 <type> <ndim> with type 0x08 = unsigned byte, then ndim big-endian uint32
 * dimensions, then the data row-major.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readBytes, readHead } from '../binio.ts';
import { checkDatasetBytes, checkImagePixels, importLimits, type ImportLimits } from '../limits.ts';
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

/** An IDX file's header: its dimensions and the exact file length they declare. */
export interface IdxHeader {
  dims: number[];
  /** Bytes of the header (4 + 4·ndim). */
  header: number;
  /** Bytes of the data, dims multiplied exactly (a bigint: uint32 dimensions overflow 2^53). */
  declared: bigint;
}

/** Most dimensions an IDX header may declare (ndim is one byte). */
const IDX_MAX_HEADER = 4 + 4 * 255;

/** Parses an IDX header of unsigned bytes from the file's first bytes; checks the magic number and element type. */
export function parseIdxHeader(path: string, head: Uint8Array): IdxHeader {
  if (head.length < 4) throw new Error(`${path}: too short for an IDX file (${head.length} bytes)`);
  if (head[0] !== 0 || head[1] !== 0) throw new Error(`${path}: not an IDX file (magic ${hex(head.subarray(0, 4))})`);
  if (head[2] !== 0x08) throw new Error(`${path}: IDX element type 0x${head[2]!.toString(16)} is not unsigned byte (0x08)`);
  const ndim = head[3]!;
  const header = 4 + 4 * ndim;
  if (ndim < 1 || head.length < header) throw new Error(`${path}: IDX header declares ${ndim} dimensions but the file has ${head.length} bytes`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(dv.getUint32(4 + 4 * i, false));
  // One byte per element (type 0x08), so the data's length is the product of the dimensions.
  const declared = dims.reduce((a, d) => a * BigInt(d), 1n);
  return { dims, header, declared };
}

/** Reads an IDX file's header alone (a gzip one inflated only as far as the header). */
export function readIdxHeader(path: string): IdxHeader {
  return parseIdxHeader(path, readHead(path, IDX_MAX_HEADER));
}

/**
 * Reads the data of an IDX file whose header was checked: never more than the header declares
 * (raw: the file's length is compared first; gzip: inflating stops there).
 */
function readIdxData(path: string, h: IdxHeader): Uint8Array {
  const expected = h.header + Number(h.declared);
  const what = `(header ${h.header} + ${h.dims.join('×')})`;
  const bytes = readBytes(path, expected, `its header declares ${what}: the file is too long`);
  if (bytes.length !== expected) {
    throw new Error(`${path}: expected ${expected} bytes ${what}, found ${bytes.length}: the file is ${bytes.length < expected ? 'truncated' : 'too long'}`);
  }
  return bytes.subarray(h.header);
}

/** Parses one whole IDX file of unsigned bytes; checks the magic number and the exact length. */
export function parseIdx(path: string, bytes: Uint8Array): { dims: number[]; data: Uint8Array } {
  const h = parseIdxHeader(path, bytes);
  const expected = BigInt(h.header) + h.declared;
  if (BigInt(bytes.length) !== expected) {
    throw new Error(`${path}: expected ${expected} bytes (header ${h.header} + ${h.dims.join('×')}), found ${bytes.length}: the file is ${BigInt(bytes.length) < expected ? 'truncated' : 'too long'}`);
  }
  return { dims: h.dims, data: bytes.subarray(h.header) };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** The headers of one images + labels pair, checked against each other before any data is read. */
function pairHeaders(imagesPath: string, labelsPath: string, limits: ImportLimits): { im: IdxHeader; lb: IdxHeader } {
  const im = readIdxHeader(imagesPath);
  if (im.dims.length !== 3) throw new Error(`${imagesPath}: expected 3 dimensions (N×H×W), found ${im.dims.length}`);
  checkImagePixels(imagesPath, im.dims[2]!, im.dims[1]!, limits);
  checkDatasetBytes(imagesPath, im.declared, `its header declares ${im.dims.join('×')} =`, limits);
  const lb = readIdxHeader(labelsPath);
  if (lb.dims.length !== 1) throw new Error(`${labelsPath}: expected 1 dimension (N), found ${lb.dims.length}`);
  if (lb.dims[0] !== im.dims[0]) throw new Error(`${labelsPath}: ${lb.dims[0]} labels for ${im.dims[0]} images in ${imagesPath}`);
  return { im, lb };
}

function readPair(imagesPath: string, labelsPath: string, h: { im: IdxHeader; lb: IdxHeader }): { split: Split; height: number; width: number; maxLabel: number } {
  const images = readIdxData(imagesPath, h.im);
  const labels = Int32Array.from(readIdxData(labelsPath, h.lb));
  let maxLabel = 0;
  for (const l of labels) if (l > maxLabel) maxLabel = l;
  return { split: { images, labels, count: h.im.dims[0]! }, height: h.im.dims[1]!, width: h.im.dims[2]!, maxLabel };
}

/**
 * Reads an IDX folder; class names are Fashion-MNIST's when the folder name says fashion, else the
 * digits. Every header is read and checked against the limits (and the others) before any data.
 */
export async function readIdxFolder(dir: string, opts: ReadOptions, hint = ''): Promise<StoredDataset> {
  const f = idxFiles(dir, hint);
  const limits = importLimits(opts.limits);
  const trainH = pairHeaders(f.trainImages, f.trainLabels, limits);
  const testH = pairHeaders(f.testImages, f.testLabels, limits);
  const [th, tw] = [trainH.im.dims[1]!, trainH.im.dims[2]!];
  if (testH.im.dims[1] !== th || testH.im.dims[2] !== tw) {
    throw new Error(`${f.testImages}: images are ${testH.im.dims[1]}×${testH.im.dims[2]} but ${f.trainImages} has ${th}×${tw}`);
  }
  const count = trainH.im.dims[0]! + testH.im.dims[0]!;
  checkDatasetBytes(dir, trainH.im.declared + testH.im.declared, `the train and test images files declare ${count} images of ${th}×${tw} together,`, limits);
  if (opts.size !== undefined) checkDatasetBytes(dir, BigInt(count) * BigInt(opts.size * opts.size), `${count} images resized to ${opts.size}×${opts.size} (--size) take`, limits);
  const train = readPair(f.trainImages, f.trainLabels, trainH);
  const test = readPair(f.testImages, f.testLabels, testH);
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
