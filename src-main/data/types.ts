/**
 * What the engine needs of a dataset: images as uint8 (N×H×W×C, row-major, channels last) and
 * integer labels, with an identity (name and content hash) recorded with every run.
 */

/** One split of images with their labels (-1 where a split is unlabelled). */
export interface Split {
  /** N×H×W×C bytes, channels last. */
  images: Uint8Array;
  /** N labels in 0..classes-1, or -1 for unlabelled images. */
  labels: Int32Array;
  count: number;
}

/** A loaded dataset. `pretrain` is what self-supervised training sees (may include unlabelled images). */
export interface Dataset {
  /** Identifier used in setups (`data.dataset`). */
  name: string;
  /** Image height, width, channels. */
  height: number;
  width: number;
  channels: 1 | 3;
  classNames: string[];
  /** Images for self-supervised pre-training (labels unused). */
  pretrain: Split;
  /** Labelled images to fit the linear probe and the kNN bank. */
  train: Split;
  /** Held-out labelled images the probe and kNN report on (never used for selection). */
  test: Split;
  /** Hex sha256 of the dataset's content (images and labels of every split), stable across loads. */
  hash: string;
  /** Where it came from, for the run record (a path or 'generated'). */
  source: string;
  /** Optional labelled validation split for model selection (probe hyper-parameters), disjoint from test. */
  validation?: Split;
  /** Augmentation family hint: gray or colour input and the image side, so the engine picks its pipeline. */
  family?: DatasetFamily;
  /** Hash of the whole stored dataset when `hash` covers a seeded subset (`data.trainSize`). */
  baseHash?: string;
}

/** Which augmentation family suits a dataset: colour jitter and grayscale only make sense for 'color'. */
export interface DatasetFamily {
  kind: 'gray' | 'color';
  /** Image side in pixels (height; width is equal for every built-in format). */
  size: number;
}

/** A dataset that is missing, unreadable or damaged (`dplab run` exits 3 on it); the message names the file or dataset. */
export class DatasetError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatasetError';
  }
}
