/**
 * Image folders: PNG (pngjs) and JPEG (jpeg-js), decoded in pure JavaScript. Layouts, by what the
 * folder holds:
 *  - train/<class>/…, test/<class>/… (optionally val/<class>/… and unlabeled/…): the splits as given;
 *  - <class>/…: labelled; a seeded fifth of each class is held out as the test split;
 *  - images directly: an unlabelled pool for pre-training only (the probe splits are empty).
 * Without --size every image must have the first image's height and width; with --size each is
 * centre-cropped to a square and resampled. Channels: 1 when every image is gray, else 3.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { deriveSeed, permutation } from '../../math/seeds.ts';
import { resizeSquare } from '../resize.ts';
import type { StoredDataset } from '../stored.ts';
import type { Split } from '../types.ts';
import { registerFormat, type ReadOptions } from './registry.ts';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);
/** Fraction of each class held out as test when the folder has no test split. */
export const HOLDOUT_FRACTION = 0.2;

/** Decodes a PNG or JPEG file (by its magic bytes) to RGBA. */
export function decodeImage(path: string): { width: number; height: number; rgba: Uint8Array } {
  const buf = readFileSync(path);
  try {
    if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8) {
      const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true });
      return { width: j.width, height: j.height, rgba: j.data };
    }
  } catch (e) {
    throw new Error(`${path}: unreadable image (${(e as Error).message})`);
  }
  throw new Error(`${path}: unreadable image (neither PNG nor JPEG by its first bytes)`);
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
  constructor(private readonly size: number | undefined) {}

  split(items: Item[]): { rgb: Uint8Array[]; labels: Int32Array } {
    const rgb: Uint8Array[] = [];
    const labels = new Int32Array(items.length);
    items.forEach((it, i) => {
      const img = decodeImage(it.path);
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
  const dec = new Decoder(opts.size);
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

