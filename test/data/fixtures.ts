/**
 * Small dataset files in every supported format, written by the tests themselves (no CIFAR or STL-10
 * is available offline). Pixel values follow known formulas so readers can be checked exactly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Value of pixel (row y, column x, channel c) of image i in the generated files. */
export function pix(i: number, y: number, x: number, c: number): number {
  return (i * 31 + y * 7 + x * 3 + c * 85) & 255;
}

/** IDX folder: n train and m test images of h×w, labels i mod 10; gz compresses every file. */
export function writeIdx(dir: string, opts: { n: number; m: number; h: number; w: number; gz?: boolean }): void {
  mkdirSync(dir, { recursive: true });
  const images = (count: number, offset: number) => {
    const b = Buffer.alloc(16 + count * opts.h * opts.w);
    b.writeUInt32BE(0x00000803, 0);
    b.writeUInt32BE(count, 4);
    b.writeUInt32BE(opts.h, 8);
    b.writeUInt32BE(opts.w, 12);
    for (let i = 0; i < count; i++)
      for (let y = 0; y < opts.h; y++) for (let x = 0; x < opts.w; x++) b[16 + (i * opts.h + y) * opts.w + x] = pix(i + offset, y, x, 0);
    return b;
  };
  const labels = (count: number, offset: number) => {
    const b = Buffer.alloc(8 + count);
    b.writeUInt32BE(0x00000801, 0);
    b.writeUInt32BE(count, 4);
    for (let i = 0; i < count; i++) b[8 + i] = (i + offset) % 10;
    return b;
  };
  const put = (name: string, b: Buffer) => writeFileSync(join(dir, name + (opts.gz ? '.gz' : '')), opts.gz ? gzipSync(b) : b);
  put('train-images-idx3-ubyte', images(opts.n, 0));
  put('train-labels-idx1-ubyte', labels(opts.n, 0));
  put('t10k-images-idx3-ubyte', images(opts.m, 1000));
  put('t10k-labels-idx1-ubyte', labels(opts.m, 1000));
}

/** One CIFAR record stream: `labelBytes` label bytes then the R, G, B 32×32 planes. */
function cifarRecords(count: number, offset: number, labels: (i: number) => number[]): Buffer {
  const lb = labels(0).length;
  const rec = lb + 3072;
  const b = Buffer.alloc(count * rec);
  for (let i = 0; i < count; i++) {
    labels(i + offset).forEach((l, k) => (b[i * rec + k] = l));
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) b[i * rec + lb + c * 1024 + y * 32 + x] = pix(i + offset, y, x, c);
  }
  return b;
}

/** CIFAR-10 folder: `batches` data batches of `per` images and a test batch of `test`; label i mod 10. */
export function writeCifar10(dir: string, per: number, batches: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  for (let k = 1; k <= batches; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), cifarRecords(per, (k - 1) * per, (i) => [i % 10]));
  writeFileSync(join(dir, 'test_batch.bin'), cifarRecords(test, 5000, (i) => [i % 10]));
  writeFileSync(join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
}

/** CIFAR-100 folder: coarse label i mod 20, fine label i mod 100. */
export function writeCifar100(dir: string, train: number, test: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'train.bin'), cifarRecords(train, 0, (i) => [i % 20, i % 100]));
  writeFileSync(join(dir, 'test.bin'), cifarRecords(test, 5000, (i) => [i % 20, i % 100]));
  writeFileSync(join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, k) => `fine${k}`).join('\n') + '\n');
}

/** STL-10 X file: 3×96×96 per image, each channel plane column-major. */
function stlImages(count: number, offset: number): Buffer {
  const b = Buffer.alloc(count * 27648);
  for (let i = 0; i < count; i++)
    for (let c = 0; c < 3; c++) for (let x = 0; x < 96; x++) for (let y = 0; y < 96; y++) b[i * 27648 + c * 9216 + x * 96 + y] = pix(i + offset, y, x, c);
  return b;
}

/** STL-10 folder; labels (1..10) are i mod 10 + 1. */
export function writeStl10(dir: string, train: number, test: number, unlabeled: number): void {
  mkdirSync(dir, { recursive: true });
  const y = (count: number, offset: number) => Buffer.from(Array.from({ length: count }, (_, i) => ((i + offset) % 10) + 1));
  writeFileSync(join(dir, 'train_X.bin'), stlImages(train, 0));
  writeFileSync(join(dir, 'train_y.bin'), y(train, 0));
  writeFileSync(join(dir, 'test_X.bin'), stlImages(test, 2000));
  writeFileSync(join(dir, 'test_y.bin'), y(test, 2000));
  if (unlabeled > 0) writeFileSync(join(dir, 'unlabeled_X.bin'), stlImages(unlabeled, 4000));
}

/** A PNG of h×w whose pixels follow pix(i, …); gray writes R = G = B = pix(i, y, x, 0). */
export function pngBytes(i: number, h: number, w: number, gray: boolean): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 4; c++) png.data[(y * w + x) * 4 + c] = c === 3 ? 255 : pix(i, y, x, gray ? 0 : c);
  return PNG.sync.write(png);
}

/** A JPEG (quality 95) of a smooth colour image: value (i·20 + c·60 + y + x) mod 256 kept below 200 to avoid wrap edges. */
export function jpegBytes(i: number, h: number, w: number): Buffer {
  const data = Buffer.alloc(h * w * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 4; c++) data[(y * w + x) * 4 + c] = c === 3 ? 255 : smooth(i, y, x, c);
  return jpeg.encode({ data, width: w, height: h }, 95).data;
}

/** The JPEG fixtures' pixel values before compression. */
export function smooth(i: number, y: number, x: number, c: number): number {
  return (i * 20 + c * 50 + y + x) % 200;
}

/** Class-folder layout: classes × perClass PNGs (gray) of h×w. */
export function writeClassFolder(dir: string, classes: string[], perClass: number, h: number, w: number, gray = true): void {
  let i = 0;
  for (const c of classes) {
    mkdirSync(join(dir, c), { recursive: true });
    for (let k = 0; k < perClass; k++) writeFileSync(join(dir, c, `img${String(k).padStart(3, '0')}.png`), pngBytes(i++, h, w, gray));
  }
}
