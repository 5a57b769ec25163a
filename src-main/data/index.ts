/**
 * Dataset loading for the engine (main side only): the generated datasets (synthetic, invariance),
 * Fashion-MNIST from its IDX files, the bundled Fashion-MNIST sample, datasets imported into the
 * cache, and any registered format read directly from `data.path`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Setup } from '../common/setup.ts';
import { findCached, listDatasets, readCacheFolder, readMeta, type CacheMeta } from './cache.ts';
import './formats/index.ts';
import { FASHION_MNIST_CLASSES, readIdxFolder } from './formats/idx.ts';
import { getFormat, listFormats } from './formats/registry.ts';
import { applyTrainSize, hashStored, SPLIT_NAMES, toDataset } from './stored.ts';
import { generatedDataset, listGenerated, type DatasetBuffer } from './generated.ts';
import type { Dataset } from './types.ts';

// Re-exported so the engine and the CLI need only this module.
export type { Dataset, DatasetFamily, Split } from './types.ts';
export { dataDir, importDataset, listDatasets, removeDataset } from './cache.ts';
export { withValidation } from './stored.ts';
export { generatedDataset, listGenerated } from './generated.ts';

/** Where Debian's dataset-fashion-mnist package puts the IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The bundled sample (resources/datasets/fashion-mnist-sample); $DPLAB_SAMPLE_DIR overrides it for packaged builds. */
export function sampleDir(): string {
  return process.env.DPLAB_SAMPLE_DIR ?? fileURLToPath(new URL('../../resources/datasets/fashion-mnist-sample', import.meta.url));
}

/** Image shape and count of a dataset, as the memory preflight needs them. */
export interface DatasetShape {
  height: number;
  width: number;
  channels: number;
  /** Images held in memory: every stored split. */
  images: number;
  /** The typed arrays holding them (each must stay under the engine's typed-array length). */
  buffers: DatasetBuffer[];
}

/**
 * The shape of the dataset a setup names, told without reading any pixels (the generated datasets
 * from their parameters, Fashion-MNIST by its fixed size, the sample and imported datasets from
 * meta.json), so a run can be refused before a trainer allocates anything. undefined when only
 * reading the data would tell (a format read from `data.path`) or meta.json is damaged (loading
 * then reports that itself).
 */
export function datasetShape(spec: Setup['data'], cacheDir?: string): DatasetShape | undefined {
  const gen = generatedDataset(spec.dataset)?.shape(spec);
  if (gen) return { height: gen.size, width: gen.size, channels: gen.channels, images: gen.images, buffers: gen.buffers };
  // The IDX files of Fashion-MNIST: 60,000 train + 10,000 test images of 28×28×1.
  if (spec.dataset === 'fashion-mnist') {
    return { height: 28, width: 28, channels: 1, images: 70_000, buffers: [{ images: 60_000, path: 'data.dataset', what: 'train' }, { images: 10_000, path: 'data.dataset', what: 'test' }] };
  }
  const dir = spec.dataset === 'fashion-mnist-sample' ? sampleDir() : findCached(spec.dataset, cacheDir);
  if (!dir) return undefined;
  try {
    const m = readMeta(dir);
    const images = Object.values(m.counts).reduce((a: number, n) => a + (n ?? 0), 0);
    return { height: m.height, width: m.width, channels: m.channels, images, buffers: cachedBuffers(m) };
  } catch {
    return undefined;
  }
}

/** The typed arrays the cache reads a dataset into: train and the unlabelled pool share one (see readCacheFolder). */
function cachedBuffers(m: CacheMeta): DatasetBuffer[] {
  const shared = m.files.train !== undefined && m.files.unlabeled !== undefined;
  const out: DatasetBuffer[] = [];
  if (shared) out.push({ images: (m.counts.train ?? 0) + (m.counts.unlabeled ?? 0), path: 'data.dataset', what: 'train and unlabeled' });
  for (const name of SPLIT_NAMES) {
    if (!m.files[name] || (shared && (name === 'train' || name === 'unlabeled'))) continue;
    out.push({ images: m.counts[name] ?? 0, path: 'data.dataset', what: name });
  }
  return out;
}

/** Options of `loadDataset`. */
export interface LoadOptions {
  /** Root seed of the run (synthetic images and the trainSize subset derive from it); 0 when absent. */
  seed?: number;
  /** Import cache root; `dataDir()` when absent. */
  cacheDir?: string;
  /** Recompute the content hash of cached datasets and compare with the recorded one. */
  verify?: boolean;
  /** Where Debian's package keeps Fashion-MNIST (used when `spec.path` is absent); FASHION_MNIST_DIR by default. */
  fashionMnistDir?: string;
}

/**
 * Loads the dataset a setup names. Resolution order: the generated datasets (data/generated.ts:
 * 'synthetic', 'invariance'), the built-in names ('fashion-mnist', 'fashion-mnist-sample'), then a
 * dataset imported under that name, then a registered format of that name reading `spec.path`
 * directly. `spec.trainSize` then keeps a seeded subset of the pre-training images.
 */
export async function loadDataset(spec: Setup['data'], opts: LoadOptions = {}): Promise<Dataset> {
  const seed = opts.seed ?? 0;
  let ds: Dataset;
  const generated = generatedDataset(spec.dataset);
  if (generated) {
    const d = generated.generate(spec, seed);
    return applyTrainSize(toDataset(d, hashStored(d)), spec.trainSize, seed);
  }
  switch (spec.dataset) {
    case 'fashion-mnist': {
      const debianDir = opts.fashionMnistDir ?? FASHION_MNIST_DIR;
      const dir = spec.path ?? debianDir;
      const hint = spec.path
        ? ` (data.path / --path is ${spec.path})`
        : `; install Debian's package (apt-get install dataset-fashion-mnist, which puts them in ${debianDir}) or set data.path / --path to a folder holding them`;
      const d = await readIdxFolder(dir, { name: 'fashion-mnist', classNames: FASHION_MNIST_CLASSES.slice() }, hint);
      ds = toDataset(d, hashStored(d));
      break;
    }
    case 'fashion-mnist-sample': {
      const dir = sampleDir();
      if (!existsSync(dir)) throw new Error(`${dir} is missing: the bundled Fashion-MNIST sample is not in this build (make it with node --import tsx scripts/make-fashion-sample.ts)`);
      const { data, meta } = readCacheFolder(dir, { verify: opts.verify });
      ds = toDataset(data, meta.hash);
      break;
    }
    default: {
      const cached = findCached(spec.dataset, opts.cacheDir);
      if (cached) {
        const { data, meta } = readCacheFolder(cached, { verify: opts.verify });
        ds = toDataset(data, meta.hash);
      } else if (spec.path && listFormats().some((f) => f.name === spec.dataset)) {
        const d = await getFormat(spec.dataset).read(spec.path, { name: spec.dataset });
        ds = toDataset(d, hashStored(d));
      } else {
        const imported = listDatasets(opts.cacheDir).map((e) => e.name);
        throw new Error(
          `data.dataset '${spec.dataset}' is unknown: it is not built in (${[...listGenerated().map((g) => g.name), 'fashion-mnist', 'fashion-mnist-sample'].join(', ')}), ` +
            `not imported (${imported.length ? `imported: ${imported.join(', ')}` : 'nothing imported yet'}; see dplab data import), ` +
            `and not a format read from data.path (formats: ${listFormats().map((f) => f.name).join(', ')})`,
        );
      }
    }
  }
  return applyTrainSize(ds, spec.trainSize, seed);
}
