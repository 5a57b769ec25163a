/**
 * The checks of an import's declared sizes against its limits (common/import-limits.ts), run by every
 * reader before it decodes or inflates anything: a refused file costs a header read, not the
 * gigabytes it declares. Messages name the file, the declared size, the limit and how to raise it.
 */
import { DEFAULT_IMPORT_LIMITS, type ImportLimits } from '../common/import-limits.ts';

export type { ImportLimits } from '../common/import-limits.ts';

/** The limits a reader applies: the caller's, else the defaults, field by field. */
export function importLimits(given?: Partial<ImportLimits>): ImportLimits {
  return {
    maxImagePixels: given?.maxImagePixels ?? DEFAULT_IMPORT_LIMITS.maxImagePixels,
    maxDatasetBytes: given?.maxDatasetBytes ?? DEFAULT_IMPORT_LIMITS.maxDatasetBytes,
  };
}

/** A byte count for people: exact, then in GiB or MiB. */
export function bytesText(n: number | bigint): string {
  const v = Number(n);
  const unit = v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(1)} GiB` : `${(v / 2 ** 20).toFixed(1)} MiB`;
  return `${n.toString()} bytes (${unit})`;
}

const RAISE_PIXELS = 'raise it with dplab data import --max-image-pixels N (the service: datasets.import maxImagePixels) if you trust the file';
const RAISE_BYTES = 'raise it with dplab data import --max-dataset-bytes N (the service: datasets.import maxDatasetBytes) if you trust the files';

/** Refuses an image whose header declares more pixels than the limit (or none). */
export function checkImagePixels(path: string, width: number, height: number, limits: ImportLimits): void {
  if (width <= 0 || height <= 0) throw new Error(`${path}: unreadable image (its header declares ${width}×${height} pixels)`);
  const px = width * height;
  if (px > limits.maxImagePixels) {
    throw new Error(
      `${path}: the image declares ${width}×${height} = ${px} pixels, more than the limit of ${limits.maxImagePixels} pixels per image; ` +
        `nothing was decoded (${RAISE_PIXELS})`,
    );
  }
}

/**
 * Refuses a dataset whose images would take more bytes than the limit (`what` says who declares
 * them, ending in a verb: "its header declares"); `declared` may be a bigint,
 * since a header's dimensions multiply past 2^53 (it is compared exactly, never rounded).
 */
export function checkDatasetBytes(where: string, declared: number | bigint, what: string, limits: ImportLimits): void {
  const big = typeof declared === 'bigint' ? declared : BigInt(Math.ceil(declared));
  if (big > BigInt(limits.maxDatasetBytes)) {
    throw new Error(
      `${where}: ${what} ${bytesText(big)} of images, more than the limit of ${bytesText(limits.maxDatasetBytes)} per dataset; ` +
        `nothing was decoded (${RAISE_BYTES})`,
    );
  }
}
