/**
 * The dataset as stored (in the import cache or read straight from a format): labelled train,
 * optional validation, labelled test and an optional unlabelled pool. `toDataset` turns it into
 * the engine's view, where pre-training sees train ∪ unlabelled.
 */
import { createHash, type Hash } from 'node:crypto';
import { deriveSeed, permutation } from '../math/seeds.ts';
import type { Dataset, Split } from './types.ts';

/** Names of the stored splits, in the order they are hashed and written. */
export const SPLIT_NAMES = ['train', 'validation', 'test', 'unlabeled'] as const;
/** One of the stored splits. */
export type SplitName = (typeof SPLIT_NAMES)[number];

/** A dataset as a format reader or the cache yields it. */
export interface StoredDataset {
  name: string;
  height: number;
  width: number;
  channels: 1 | 3;
  classNames: string[];
  train: Split;
  test: Split;
  validation?: Split;
  /** Images without labels (STL-10's unlabeled split, an unlabelled image folder): pre-training only. */
  unlabeled?: Split;
  /** A path or 'generated'. */
  source: string;
}

/** Bytes per image. */
export function imageBytes(d: { height: number; width: number; channels: number }): number {
  return d.height * d.width * d.channels;
}

/**
 * sha256 over shape, class names and every split's images and labels (labels as int32
 * little-endian), so the same content read from IDX files or from the cache gets the same hash.
 */
export function hashStored(d: StoredDataset): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ height: d.height, width: d.width, channels: d.channels, classNames: d.classNames }));
  for (const name of SPLIT_NAMES) {
    const s = d[name];
    if (!s) continue;
    h.update(`\n${name}:${s.count}\n`);
    updateChunked(h, s.images);
    updateChunked(h, labelBytes(s.labels));
  }
  return h.digest('hex');
}

/** Node's hash.update refuses inputs over 2 GiB ('data is too long'); STL-10's pool is 2.76 GB. */
function updateChunked(h: Hash, b: Uint8Array): void {
  const CHUNK = 256 * 1024 * 1024;
  for (let o = 0; o < b.length; o += CHUNK) h.update(b.subarray(o, Math.min(b.length, o + CHUNK)));
}

/** Little-endian bytes of int32 labels (a view when the platform is little-endian). */
export function labelBytes(labels: Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  const out = new Uint8Array(labels.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < labels.length; i++) dv.setInt32(i * 4, labels[i]!, true);
  return out;
}

/** Int32 labels from little-endian bytes (copied, so alignment never matters). */
export function labelsFromBytes(b: Uint8Array): Int32Array {
  const n = b.byteLength >>> 2;
  const out = new Int32Array(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The engine's view: pretrain = train followed by the unlabelled pool. When there is no pool the
 * pretrain split shares train's buffers (no copy).
 */
export function toDataset(d: StoredDataset, hash: string): Dataset {
  let pretrain: Split = d.train;
  if (d.unlabeled && d.unlabeled.count > 0) pretrain = concatSplits(d.train, d.unlabeled);
  const ds: Dataset = {
    name: d.name,
    height: d.height,
    width: d.width,
    channels: d.channels,
    classNames: d.classNames,
    pretrain,
    train: d.train,
    test: d.test,
    hash,
    source: d.source,
    family: { kind: d.channels === 1 ? 'gray' : 'color', size: d.height },
  };
  if (d.validation) ds.validation = d.validation;
  return ds;
}

/** Two splits one after the other; when b's images already follow a's in one buffer (the cache reads them so), the images are a view. */
export function concatSplits(a: Split, b: Split): Split {
  let images: Uint8Array;
  if (a.images.buffer === b.images.buffer && a.images.byteOffset + a.images.byteLength === b.images.byteOffset) {
    images = new Uint8Array(a.images.buffer, a.images.byteOffset, a.images.byteLength + b.images.byteLength);
  } else {
    images = new Uint8Array(a.images.length + b.images.length);
    images.set(a.images, 0);
    images.set(b.images, a.images.length);
  }
  const labels = new Int32Array(a.count + b.count);
  labels.set(a.labels, 0);
  labels.set(b.labels, a.count);
  return { images, labels, count: a.count + b.count };
}

/** The images at `indices` of a split, in that order. */
export function takeSplit(s: Split, indices: ArrayLike<number>, bytesPerImage: number): Split {
  const n = indices.length;
  const images = new Uint8Array(n * bytesPerImage);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i]!;
    images.set(s.images.subarray(j * bytesPerImage, (j + 1) * bytesPerImage), i * bytesPerImage);
    labels[i] = s.labels[j]!;
  }
  return { images, labels, count: n };
}

/**
 * Applies `data.trainSize`: a seeded subset (stream 'subset') of the pre-training images, kept in
 * their original order. The labelled train, validation and test splits stay whole, so the probe
 * is unaffected. The hash then names the subset: sha256(base hash, size, subset seed).
 */
export function applyTrainSize(ds: Dataset, trainSize: number | undefined, seed: number): Dataset {
  if (trainSize === undefined || trainSize >= ds.pretrain.count) return ds;
  const subsetSeed = deriveSeed(seed, 'subset');
  const perm = permutation(ds.pretrain.count, subsetSeed);
  const chosen = Array.from(perm.subarray(0, trainSize)).sort((a, b) => a - b);
  const pretrain = takeSplit(ds.pretrain, chosen, imageBytes(ds));
  const hash = createHash('sha256').update(`${ds.hash}\nsubset:${trainSize}:${subsetSeed}`).digest('hex');
  return { ...ds, pretrain, hash, baseHash: ds.hash };
}

/**
 * Carves a labelled validation split out of train when the dataset has none: a seeded
 * (stream 'validation'), class-stratified `fraction` of each class. Pre-training is unaffected;
 * test stays untouched, so model selection on validation never sees it.
 */
export function withValidation(ds: Dataset, fraction: number, seed: number): Dataset {
  if (ds.validation || fraction <= 0 || ds.train.count === 0) return ds;
  if (fraction >= 1) throw new Error(`validation fraction ${fraction} must be below 1`);
  const per = imageBytes(ds);
  const perm = permutation(ds.train.count, deriveSeed(seed, 'validation'));
  const byClass = new Map<number, number[]>();
  for (const i of perm) {
    const l = ds.train.labels[i]!;
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(i);
  }
  const val: number[] = [];
  const keep: number[] = [];
  for (const idx of byClass.values()) {
    const n = Math.round(idx.length * fraction);
    val.push(...idx.slice(0, n));
    keep.push(...idx.slice(n));
  }
  val.sort((a, b) => a - b);
  keep.sort((a, b) => a - b);
  return { ...ds, train: takeSplit(ds.train, keep, per), validation: takeSplit(ds.train, val, per) };
}
