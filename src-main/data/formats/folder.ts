/**
 * Image folders: PNG (pngjs) and JPEG (jpeg-js), decoded in pure JavaScript. Layouts, by what the
 * folder holds:
 *  - train/<class>/…, test/<class>/… (optionally val/<class>/… and unlabeled/…): the splits as given;
 *  - <class>/…: labelled; a seeded fifth of each class is held out as the test split;
 *  - images directly: an unlabelled pool for pre-training only (the probe splits are empty).
 * Without --size every image must have the first image's height and width; with --size each is
 * centre-cropped to a square and resampled. Channels: 1 when every image is gray, else 3.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { deriveSeed, permutation } from '../../math/seeds.ts';
import { checkDatasetBytes, checkImagePixels, importLimits, type ImportLimits } from '../limits.ts';
import { resizeSquare } from '../resize.ts';
import type { StoredDataset } from '../stored.ts';
import type { Split } from '../types.ts';
import { registerFormat, type ReadOptions } from './registry.ts';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);
/** Fraction of each class held out as test when the folder has no test split. */
export const HOLDOUT_FRACTION = 0.2;

/** What an image file declares before its pixels: its kind and size (PNG: IHDR; JPEG: the SOF marker). */
export interface ImageHeader {
  kind: 'png' | 'jpeg';
  width: number;
  height: number;
  /** PNG only: Adam7 interlacing, whose pixel data pngjs inflates without a bound of its own. */
  interlaced: boolean;
  /** PNG only: bits per pixel (channels × bit depth), which bound its inflated pixel data. */
  bitsPerPixel: number;
}

/** Channels of each PNG colour type (gray, RGB, palette, gray + alpha, RGBA). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Reads `n` bytes at `pos` (fewer at the end of the file). */
function readAt(fd: number, pos: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    const r = readSync(fd, b, off, n - off, pos + off);
    if (r <= 0) break;
    off += r;
  }
  return b.subarray(0, off);
}

/** JPEG markers that start a frame and carry its size (SOF0..SOF15 less DHT, JPG and DAC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * The header of a PNG or JPEG file, read with a few small reads and no decoding, so an import can
 * refuse an image that declares too many pixels before allocating them. A JPEG's segments before
 * its frame are skipped by their lengths; one without a frame before its scan is unreadable.
 */
export function readImageHeader(path: string): ImageHeader {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const magic = readAt(fd, 0, 8);
    if (magic.length >= 8 && magic[0] === 0x89 && magic[1] === 0x50 && magic[2] === 0x4e && magic[3] === 0x47) {
      // Signature (8), then the IHDR chunk first: length 13, type, width, height, depth, colour, compression, filter, interlace.
      const ihdr = readAt(fd, 8, 21);
      if (ihdr.length < 21 || ihdr.readUInt32BE(0) !== 13 || ihdr.toString('latin1', 4, 8) !== 'IHDR') {
        throw new Error(`${path}: unreadable image (a PNG must start with its 13-byte IHDR chunk)`);
      }
      const channels = Object.hasOwn(PNG_CHANNELS, ihdr[17]!) ? PNG_CHANNELS[ihdr[17]!]! : 4;
      return { kind: 'png', width: ihdr.readUInt32BE(8), height: ihdr.readUInt32BE(12), interlaced: ihdr[20] !== 0, bitsPerPixel: channels * Math.min(16, ihdr[16]!) };
    }
    if (magic.length >= 3 && magic[0] === 0xff && magic[1] === 0xd8) {
      let pos = 2;
      while (pos + 4 <= size) {
        const m = readAt(fd, pos, 4);
        if (m[0] !== 0xff) throw new Error(`${path}: unreadable image (JPEG marker expected at byte ${pos})`);
        const marker = m[1]!;
        // Fill bytes (0xff) and markers without a length (TEM, RST0..7) are single steps.
        if (marker === 0xff) { pos += 1; continue; }
        if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { pos += 2; continue; }
        if (marker === 0xda || marker === 0xd9) break;
        const length = m.readUInt16BE(2);
        if (length < 2) throw new Error(`${path}: unreadable image (JPEG segment at byte ${pos} has length ${length})`);
        if (isSof(marker)) {
          const f = readAt(fd, pos + 4, 5);
          if (f.length < 5) break;
          const height = f.readUInt16BE(1);
          const width = f.readUInt16BE(3);
          if (height === 0) throw new Error(`${path}: unreadable image (the JPEG frame leaves its height to a later DNL marker, which is not supported)`);
          return { kind: 'jpeg', width, height, interlaced: false, bitsPerPixel: 0 };
        }
        pos += 2 + length;
      }
      throw new Error(`${path}: unreadable image (no JPEG frame header before the image data)`);
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`${path}: unreadable image (neither PNG nor JPEG by its first bytes)`);
}

/**
 * The most bytes an interlaced PNG's pixel data may inflate to: its seven passes hold every pixel
 * once, each pass row rounds up to a byte and starts with a filter byte (at most 7 rows per image
 * row in all). pngjs bounds only non-interlaced images by their size.
 */
function interlacedBound(h: ImageHeader): number {
  return Math.ceil((h.width * h.height * h.bitsPerPixel) / 8) + 14 * h.height + 1024;
}

/**
 * Walks a PNG's chunks: refuses a second IHDR (pngjs would decode the size the last one declares,
 * not the one checked), and for an interlaced image inflates its IDAT data under `bound`, so a
 * stream that inflates past its declared size is refused before pngjs reads it.
 */
function checkPngChunks(path: string, buf: Buffer, head: ImageHeader): void {
  const parts: Buffer[] = [];
  let headers = 0;
  let pos = 8;
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (type === 'IHDR' && ++headers > 1) throw new Error(`${path}: unreadable image (a second IHDR chunk at byte ${pos}: a PNG declares its size once)`);
    if (pos + 12 + len > buf.length) break;
    if (type === 'IDAT') parts.push(buf.subarray(pos + 8, pos + 8 + len));
    if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (!head.interlaced) return;
  const bound = interlacedBound(head);
  try {
    inflateSync(Buffer.concat(parts), { maxOutputLength: bound });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${path}: unreadable image (its pixel data inflates to more than the ${bound} bytes its header allows)`, { cause: e });
    }
    // Damaged data: pngjs names the fault itself below.
  }
}

/**
 * Decodes a PNG or JPEG file (by its magic bytes) to RGBA, after checking the size its header
 * declares against `limits` (the defaults when absent): nothing is decoded for a refused file.
 */
export function decodeImage(path: string, limits: ImportLimits = importLimits()): { width: number; height: number; rgba: Uint8Array } {
  const head = readImageHeader(path);
  checkImagePixels(path, head.width, head.height, limits);
  const buf = readFileSync(path);
  try {
    if (head.kind === 'png') {
      checkPngChunks(path, buf, head);
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    // jpeg-js's own bounds as a second guard: the pixel limit, and memory for RGBA plus its coefficient blocks.
    const maxResolutionInMP = limits.maxImagePixels / 1e6;
    const maxMemoryUsageInMB = Math.max(512, Math.ceil((limits.maxImagePixels * 16) / 2 ** 20));
    const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP, maxMemoryUsageInMB });
    return { width: j.width, height: j.height, rgba: j.data };
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(`${path}: `) ? msg : `${path}: unreadable image (${msg})`, { cause: e });
  }
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function isImage(name: string): boolean {
  return !name.startsWith('.') && IMAGE_EXT.has(extname(name).toLowerCase());
}

/** Image files under `dir`, recursively, sorted for a stable order. */
function imagesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...imagesUnder(p));
    else if (isImage(name)) out.push(p);
  }
  return out;
}

function subdirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory())
    .sort();
}

type Item = { path: string; label: number };

/** `<class>/…` items of a folder, labels indexed into `classes`. */
function classItems(dir: string, classes: string[]): Item[] {
  const items: Item[] = [];
  for (const c of subdirs(dir)) {
    const label = classes.indexOf(c);
    if (label < 0) throw new Error(`${join(dir, c)}: class '${c}' does not appear in the train folder (${classes.join(', ')})`);
    for (const p of imagesUnder(join(dir, c))) items.push({ path: p, label });
  }
  return items;
}

/** Decodes and shapes a list of images into one split; tracks whether every image is gray. */
class Decoder {
  height = 0;
  width = 0;
  allGray = true;
  private first = '';
  constructor(
    private readonly size: number | undefined,
    private readonly limits: ImportLimits,
  ) {}

  split(items: Item[]): { rgb: Uint8Array[]; labels: Int32Array } {
    const rgb: Uint8Array[] = [];
    const labels = new Int32Array(items.length);
    items.forEach((it, i) => {
      const img = decodeImage(it.path, this.limits);
      let h = img.height;
      let w = img.width;
      const px = new Uint8Array(h * w * 3);
      for (let p = 0; p < h * w; p++) {
        const r = img.rgba[p * 4]!;
        const g = img.rgba[p * 4 + 1]!;
        const b = img.rgba[p * 4 + 2]!;
        px[p * 3] = r;
        px[p * 3 + 1] = g;
        px[p * 3 + 2] = b;
        if (this.allGray && (r !== g || g !== b)) this.allGray = false;
      }
      let out: Uint8Array = px;
      if (this.size !== undefined) {
        out = resizeSquare(px, h, w, 3, this.size);
        h = w = this.size;
      } else if (!this.first) {
        this.first = it.path;
      } else if (h !== this.height || w !== this.width) {
        throw new Error(`${it.path}: image is ${h}×${w} but ${this.first} is ${this.height}×${this.width}: mixed shapes; pass --size N to resize every image to N×N`);
      }
      this.height = h;
      this.width = w;
      rgb.push(out);
      labels[i] = it.label;
    });
    return { rgb, labels };
  }
}

function pack(part: { rgb: Uint8Array[]; labels: Int32Array }, per: number, channels: 1 | 3): Split {
  const n = part.labels.length;
  const images = new Uint8Array(n * per);
  part.rgb.forEach((px, i) => {
    if (channels === 3) images.set(px, i * per);
    else for (let p = 0; p < per; p++) images[i * per + p] = px[p * 3]!;
  });
  return { images, labels: part.labels, count: n };
}

/**
 * Reads every image's header before any is decoded: each image's declared pixels against the
 * limit, without --size every shape against the first (the mixed-shapes error the decoder would
 * give, minus the decoding), and the dataset's bytes while decoding (three channels per pixel,
 * resized or not) against the dataset limit.
 */
function checkHeaders(dir: string, items: Item[], size: number | undefined, limits: ImportLimits): void {
  let bytes = 0;
  let first: { path: string; height: number; width: number } | undefined;
  for (const it of items) {
    const h = readImageHeader(it.path);
    checkImagePixels(it.path, h.width, h.height, limits);
    if (size !== undefined) {
      bytes += size * size * 3;
      continue;
    }
    if (!first) first = { path: it.path, height: h.height, width: h.width };
    else if (h.height !== first.height || h.width !== first.width) {
      throw new Error(`${it.path}: image is ${h.height}×${h.width} but ${first.path} is ${first.height}×${first.width}: mixed shapes; pass --size N to resize every image to N×N`);
    }
    bytes += h.height * h.width * 3;
  }
  checkDatasetBytes(dir, bytes, `its ${items.length} images${size !== undefined ? ` at --size ${size}` : ''}, decoded to RGB, take`, limits);
}

async function readFolder(dir: string, opts: ReadOptions): Promise<StoredDataset> {
  if (!isDir(dir)) throw new Error(`${dir}: not a folder`);
  const subs = subdirs(dir);
  let classes: string[] = [];
  let train: Item[] = [];
  let test: Item[] = [];
  let validation: Item[] | undefined;
  let unlabeled: Item[] = [];
  if (subs.includes('train')) {
    classes = subdirs(join(dir, 'train'));
    if (classes.length === 0) throw new Error(`${join(dir, 'train')}: no class sub-folders`);
    train = classItems(join(dir, 'train'), classes);
    if (subs.includes('test')) test = classItems(join(dir, 'test'), classes);
    const val = subs.find((s) => s === 'val' || s === 'validation');
    if (val) validation = classItems(join(dir, val), classes);
    if (subs.includes('unlabeled')) unlabeled = imagesUnder(join(dir, 'unlabeled')).map((p) => ({ path: p, label: -1 }));
  } else if (subs.length > 0) {
    classes = subs;
    train = classItems(dir, classes);
  } else {
    unlabeled = imagesUnder(dir).map((p) => ({ path: p, label: -1 }));
  }
  if (classes.length > 0 && test.length === 0) {
    // Hold out a seeded fifth of every class (fixed seed: the split is part of the dataset, not of a run).
    const kept: Item[] = [];
    classes.forEach((_, c) => {
      const mine = train.filter((it) => it.label === c);
      const perm = permutation(mine.length, deriveSeed(0, 'subset', c));
      const nTest = Math.floor(mine.length * HOLDOUT_FRACTION);
      const isTest = new Set(Array.from(perm.subarray(0, nTest)));
      mine.forEach((it, i) => (isTest.has(i) ? test : kept).push(it));
    });
    train = kept.sort((a, b) => (a.path < b.path ? -1 : 1));
    test.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  const total = train.length + test.length + (validation?.length ?? 0) + unlabeled.length;
  if (total === 0) throw new Error(`${dir}: no PNG or JPEG images found`);
  const limits = importLimits(opts.limits);
  checkHeaders(dir, [...train, ...test, ...(validation ?? []), ...unlabeled], opts.size, limits);
  const dec = new Decoder(opts.size, limits);
  const parts = { train: dec.split(train), test: dec.split(test), validation: validation ? dec.split(validation) : undefined, unlabeled: dec.split(unlabeled) };
  const channels: 1 | 3 = opts.channels ?? (dec.allGray ? 1 : 3);
  const per = dec.height * dec.width * channels;
  const d: StoredDataset = {
    name: opts.name,
    height: dec.height,
    width: dec.width,
    channels,
    classNames: opts.classNames ?? classes,
    train: pack(parts.train, per, channels),
    test: pack(parts.test, per, channels),
    source: dir,
  };
  if (parts.validation) d.validation = pack(parts.validation, per, channels);
  if (unlabeled.length > 0) d.unlabeled = pack(parts.unlabeled, per, channels);
  return d;
}

registerFormat({
  name: 'folder',
  description: 'image folder (PNG/JPEG): <class>/… sub-folders, or train/ test/ [val/] [unlabeled/] with <class>/… inside, or images only (unlabelled); --size N resizes',
  detect: (p) => isDir(p) && (subdirs(p).length > 0 || readdirSync(p).some(isImage)),
  read: readFolder,
});

