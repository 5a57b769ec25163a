/**
 * Datasets the lab generates from a setup and its root seed, as one registry: loading, the reserved
 * names of the import cache, `dplab data list` and the pre-run memory check all read it, so a new
 * generated dataset is one entry here (plus its generator file).
 */
import type { Setup } from '../common/setup.ts';
import { generateInvariance, INVARIANCE_DEFAULTS } from './invariance.ts';
import type { StoredDataset } from './stored.ts';
import { generateSynthetic } from './synthetic.ts';

/** What the setup asks a generator for, known before generating (the memory check refuses early). */
export interface GeneratedShape {
  size: number;
  channels: 1 | 3;
  /** Train + test images. */
  images: number;
  /** Setup field that sets the image count, named when the data would not fit. */
  path: string;
  /** The image buffers the generator allocates, one per split, with the field that sets each count. */
  buffers: DatasetBuffer[];
}

/** One typed array of a dataset's images: a split, or splits held together. */
export interface DatasetBuffer {
  images: number;
  /** Setup field that sets its image count (or names the dataset, when only re-importing shrinks it). */
  path: string;
  /** Which split(s) it holds, for messages. */
  what: string;
}

/** A generated dataset: `data.dataset` names it; its parameters live in the setup's `data` block. */
export interface GeneratedDataset {
  name: string;
  /** One line for `dplab data list`. */
  note: string;
  shape(data: Setup['data']): GeneratedShape;
  generate(data: Setup['data'], seed: number): StoredDataset;
}

const SYNTHETIC_DEFAULTS = { size: 28, channels: 1 as const, classes: 10, train: 2000, test: 500 };

const GENERATED: readonly GeneratedDataset[] = [
  {
    name: 'synthetic',
    note: 'generated from data.synthetic and the seed: shape prototypes under pose, clutter and noise',
    shape: (d) => {
      const p = d.synthetic ?? SYNTHETIC_DEFAULTS;
      const buffers = [
        { images: p.train, path: 'data.synthetic.train', what: 'train' },
        { images: p.test, path: 'data.synthetic.test', what: 'test' },
      ];
      return { size: p.size, channels: p.channels, images: p.train + p.test, path: 'data.synthetic.train', buffers };
    },
    generate: (d, seed) => generateSynthetic(d.synthetic ?? SYNTHETIC_DEFAULTS, seed),
  },
  {
    name: 'invariance',
    note: 'generated from data.invariance and the seed: class = grating orientation |θ| under nuisance the augmentations resample',
    shape: (d) => {
      const p = { ...INVARIANCE_DEFAULTS, ...d.invariance };
      const buffers = [
        { images: p.train, path: 'data.invariance.train', what: 'train' },
        { images: p.test, path: 'data.invariance.test', what: 'test' },
      ];
      return { size: p.size, channels: p.channels, images: p.train + p.test, path: 'data.invariance.train', buffers };
    },
    generate: (d, seed) => generateInvariance(d.invariance, seed),
  },
];

/** The generated dataset called `name`, or undefined. */
export function generatedDataset(name: string): GeneratedDataset | undefined {
  return GENERATED.find((g) => g.name === name);
}

/** Every generated dataset, in registration order. */
export function listGenerated(): readonly GeneratedDataset[] {
  return GENERATED;
}
