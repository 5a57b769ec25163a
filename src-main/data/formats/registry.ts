/**
 * Dataset formats as registered blocks: each reader file calls `registerFormat` once, and import,
 * detection and the CLI's format list all read this registry.
 */
import type { ImportLimits } from '../limits.ts';
import type { StoredDataset } from '../stored.ts';

/** What a reader may be told at import time. */
export interface ReadOptions {
  /** Name the dataset will carry. */
  name: string;
  /** Target side in pixels (image folders resize to it); readers of fixed-size formats check it. */
  size?: number;
  /** Force gray (1) or colour (3); image folders otherwise pick 1 only if every image is gray. */
  channels?: 1 | 3;
  /** Override the class names a format would infer. */
  classNames?: string[];
  /** Bounds on the sizes files declare, checked before decoding (common/import-limits.ts defaults where absent). */
  limits?: Partial<ImportLimits>;
}

/** A dataset format: recognises a path and reads it, all at once, into a StoredDataset. */
export interface DatasetFormat {
  /** Identifier used by `--format`. */
  name: string;
  /** One line for `dplab data formats` and error messages: what files the format expects. */
  description: string;
  /** True when `path` looks like this format (cheap: file names, sizes, magic numbers). */
  detect(path: string): boolean;
  /** Reads everything; throws an Error naming the offending file on any inconsistency. */
  read(path: string, opts: ReadOptions): Promise<StoredDataset>;
}

const FORMATS = new Map<string, DatasetFormat>();

/** Adds a format; a second registration under the same name is a programming error. */
export function registerFormat(f: DatasetFormat): void {
  if (FORMATS.has(f.name)) throw new Error(`dataset format '${f.name}' is registered twice`);
  FORMATS.set(f.name, f);
}

/** The format called `name`, or an error listing the known ones. */
export function getFormat(name: string): DatasetFormat {
  const f = FORMATS.get(name);
  if (!f) throw new Error(`unknown dataset format '${name}'; known formats: ${[...FORMATS.keys()].join(', ')}`);
  return f;
}

/** Every registered format, in registration order. */
export function listFormats(): DatasetFormat[] {
  return [...FORMATS.values()];
}

/** The first format (in registration order) that recognises `path`, or an error listing what each expects. */
export function detectFormat(path: string): DatasetFormat {
  for (const f of FORMATS.values()) if (f.detect(path)) return f;
  const lines = listFormats().map((f) => `  ${f.name}: ${f.description}`);
  throw new Error(`${path}: no dataset format recognises this path; pass --format with one of:\n${lines.join('\n')}`);
}
