/**
 * The bounds of a dataset import, shared by the importer (data/), the CLI's flags and the service
 * contract. A dataset file declares its size in a header (PNG's IHDR, JPEG's SOF, IDX's dimensions)
 * long before its pixels: a 1.5 MB PNG may declare 20000×20000 and a few MB of gzip may inflate to
 * gigabytes, so imports compare the declared size with these limits before decoding anything.
 */
import { z } from 'zod';

const GiB = 2 ** 30;

/** What one import may allocate; a user who trusts a larger dataset raises them. */
export interface ImportLimits {
  /** Most pixels (width × height) one source image may declare. */
  maxImagePixels: number;
  /** Most bytes the dataset's images may take in memory, every split together (uint8 per channel). */
  maxDatasetBytes: number;
}

/**
 * Defaults: 4096×4096 per image (above any photo this lab trains on after `--size`, and the largest
 * side the cache stores), and 4 GiB per dataset (STL-10 with its unlabelled pool, the largest
 * format read here, is 3.1 GB; above 4 GiB the cache could not hold train and the pool in one
 * typed array on Node 20 anyway).
 */
export const DEFAULT_IMPORT_LIMITS: Readonly<ImportLimits> = Object.freeze({ maxImagePixels: 4096 * 4096, maxDatasetBytes: 4 * GiB });

/** The most a user may raise the limits to (16384×16384 per image, 64 GiB per dataset): beyond these no machine of this lab decodes. */
export const IMPORT_LIMIT_MAX: Readonly<ImportLimits> = Object.freeze({ maxImagePixels: 16384 * 16384, maxDatasetBytes: 64 * GiB });

/** The limits as optional request fields (datasets.import): positive integers up to IMPORT_LIMIT_MAX. */
export const importLimitFields = {
  maxImagePixels: z.number().int().min(1).max(IMPORT_LIMIT_MAX.maxImagePixels).optional(),
  maxDatasetBytes: z.number().int().min(1).max(IMPORT_LIMIT_MAX.maxDatasetBytes).optional(),
};
