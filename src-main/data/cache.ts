/**
 * The import cache: one folder per dataset holding uint8 image tensors and int32 labels as flat
 * files (raw, or gzip for the bundled sample) plus meta.json with shape, class names, counts and
 * the content hash. Imports are all-or-nothing: everything is written to a temporary folder next
 * to the target and renamed into place only when complete.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { kMaxLength } from 'node:buffer';
import { createHash } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { readBytes, readBytesInto, writeBytes } from './binio.ts';
import './formats/index.ts';
import { detectFormat, getFormat, type ReadOptions } from './formats/registry.ts';
import { listGenerated } from './generated.ts';
import type { ImportLimits } from './limits.ts';
import { hashStored, imageBytes, labelBytes, labelsFromBytes, SPLIT_NAMES, type SplitName, type StoredDataset } from './stored.ts';
import type { Split } from './types.ts';
import { processAlive } from './process-alive.ts';

/** Version of the on-disk layout; readers refuse newer ones. */
export const CACHE_VERSION = 1;

/** meta.json of a cached dataset. */
export interface CacheMeta {
  kind: 'dplab-dataset';
  version: number;
  name: string;
  height: number;
  width: number;
  channels: 1 | 3;
  classNames: string[];
  /** Images per stored split (absent splits are left out). */
  counts: Partial<Record<SplitName, number>>;
  /** File names (relative to the dataset folder) of each split's images and labels. */
  files: Partial<Record<SplitName, { images: string; labels: string }>>;
  /** sha256 of the content (see `hashStored`). */
  hash: string;
  /** Where it was imported from, and with which format. */
  source: string;
  format: string;
  importedAt: string;
}

/** A file of the dataset folder: a plain name, so a damaged or hostile meta.json cannot point outside it. */
const fileName = z.string().regex(/^[A-Za-z0-9_][\w.-]*$/, 'must be a plain file name inside the dataset folder').refine((n) => !n.includes('..'), 'must not contain ..');
const splitName = z.enum(SPLIT_NAMES as unknown as [SplitName, ...SplitName[]]);

/** meta.json as read back: every field checked, before any file it names is opened. */
const CacheMetaSchema = z.object({
  kind: z.literal('dplab-dataset'),
  version: z.number().int().min(1),
  name: z.string().min(1),
  height: z.number().int().min(1).max(4096),
  width: z.number().int().min(1).max(4096),
  channels: z.union([z.literal(1), z.literal(3)]),
  classNames: z.array(z.string()),
  counts: z.partialRecord(splitName, z.number().int().min(0)),
  files: z.partialRecord(splitName, z.object({ images: fileName, labels: fileName })),
  hash: z.string(),
  source: z.string(),
  format: z.string(),
  importedAt: z.string(),
});

/** Names the lab resolves itself; an import may not shadow them. */
export const RESERVED_NAMES = [...listGenerated().map((g) => g.name), 'fashion-mnist', 'fashion-mnist-sample'];

/**
 * The cache folder: $DPLAB_DATA_DIR, else the platform's user data folder
 * ($XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support on macOS, %APPDATA% on Windows)
 * + directpred-lab/datasets.
 */
export function dataDir(): string {
  const env = process.env.DPLAB_DATA_DIR;
  if (env) return env;
  let base: string;
  if (process.platform === 'darwin') base = join(homedir(), 'Library', 'Application Support');
  else if (process.platform === 'win32') base = process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming');
  else base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'directpred-lab', 'datasets');
}

/** Checks a dataset name (it becomes a folder name). */
export function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new Error(`dataset name '${name}' is invalid: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (RESERVED_NAMES.includes(name)) throw new Error(`dataset name '${name}' is reserved for the lab's built-in dataset of that name (usable without import); choose another with --name`);
}

/** Writes a dataset into `dir` (which must not exist yet); returns its meta. */
export function writeCacheFolder(dir: string, d: StoredDataset, format: string, opts: { gzip?: boolean; hash?: string } = {}): CacheMeta {
  mkdirSync(dir, { recursive: false });
  const per = imageBytes(d);
  const meta: CacheMeta = {
    kind: 'dplab-dataset',
    version: CACHE_VERSION,
    name: d.name,
    height: d.height,
    width: d.width,
    channels: d.channels,
    classNames: d.classNames,
    counts: {},
    files: {},
    hash: opts.hash ?? hashStored(d),
    source: d.source,
    format,
    importedAt: new Date().toISOString(),
  };
  const ext = opts.gzip ? '.gz' : '';
  for (const name of SPLIT_NAMES) {
    const s = d[name];
    if (!s) continue;
    if (s.images.length !== s.count * per || s.labels.length !== s.count) {
      throw new Error(`${d.source}: split '${name}' has ${s.images.length} bytes and ${s.labels.length} labels for ${s.count} images of ${per} bytes`);
    }
    const files = { images: `${name}.images.u8${ext}`, labels: `${name}.labels.i32${ext}` };
    const lb = labelBytes(s.labels);
    writeBytes(join(dir, files.images), opts.gzip ? gzipSync(s.images, { level: 9 }) : s.images);
    writeBytes(join(dir, files.labels), opts.gzip ? gzipSync(lb, { level: 9 }) : lb);
    meta.counts[name] = s.count;
    meta.files[name] = files;
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

/** Reads meta.json of a cached dataset, checking its kind and version. */
export function readMeta(dir: string): CacheMeta {
  const p = join(dir, 'meta.json');
  if (!existsSync(p)) throw new Error(`${p} is missing: ${dir} is not a cached dataset (re-import it with dplab data import)`);
  let raw: { kind?: unknown; version?: unknown };
  try {
    raw = JSON.parse(readFileSync(p, 'utf8')) as typeof raw;
  } catch (e) {
    throw new Error(`${p}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (raw?.kind !== 'dplab-dataset') throw new Error(`${p}: not a DirectPred Lab dataset (kind ${JSON.stringify(raw?.kind)})`);
  if (typeof raw.version === 'number' && raw.version > CACHE_VERSION) throw new Error(`${p}: cache version ${raw.version} is newer than this lab understands (${CACHE_VERSION})`);
  const r = CacheMetaSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${p}: field ${i.path.join('.') || '(meta)'} ${i.message} (dataset damaged: remove and re-import it)`);
  }
  return r.data as CacheMeta;
}

/**
 * Loads a cached dataset. File lengths are checked against meta.json; with `verify` the content
 * hash is recomputed and compared (slower: one sha256 pass over the data).
 */
export function readCacheFolder(dir: string, opts: { verify?: boolean } = {}): { data: StoredDataset; meta: CacheMeta } {
  const meta = readMeta(dir);
  const per = meta.height * meta.width * meta.channels;
  const d: Partial<StoredDataset> & { [k: string]: unknown } = {
    name: meta.name,
    height: meta.height,
    width: meta.width,
    channels: meta.channels,
    classNames: meta.classNames,
    source: meta.source,
  };
  // train and unlabeled share one buffer (train first) so pretrain = train ∪ unlabeled is a view, not
  // a second copy: STL-10's pool is 2.76 GB at 96×96.
  const sharing = meta.files.train !== undefined && meta.files.unlabeled !== undefined;
  const buffers = sharing ? [(meta.counts.train ?? 0) + (meta.counts.unlabeled ?? 0)] : [];
  for (const name of SPLIT_NAMES) if (meta.files[name] && !(sharing && (name === 'train' || name === 'unlabeled'))) buffers.push(meta.counts[name] ?? 0);
  for (const images of buffers) {
    if (images * per > kMaxLength) {
      throw new Error(`${join(dir, 'meta.json')}: ${images} images of ${meta.height}×${meta.width}×${meta.channels} make one buffer of ${images * per} bytes, more than the ${kMaxLength} a typed array may hold here; re-import the dataset smaller (--size)`);
    }
  }
  const shared = sharing ? new Uint8Array(buffers[0]! * per) : undefined;
  for (const name of SPLIT_NAMES) {
    const files = meta.files[name];
    if (!files) continue;
    const count = meta.counts[name] ?? 0;
    const ip = join(dir, files.images);
    const lp = join(dir, files.labels);
    if (!existsSync(ip)) throw new Error(`${ip} is missing (dataset '${meta.name}' is damaged: remove and re-import it)`);
    if (!existsSync(lp)) throw new Error(`${lp} is missing (dataset '${meta.name}' is damaged: remove and re-import it)`);
    let images: Uint8Array;
    const bad = (found: number | string) => new Error(`${ip}: expected ${count * per} bytes (${count} images of ${per}), found ${found}`);
    // Never more than meta.json declares: a gzip file (the bundled sample's) inflates only that far.
    const tooMany = (e: unknown) => bad(`more (${(e as Error).message})`);
    if (shared && (name === 'train' || name === 'unlabeled')) {
      const at = name === 'train' ? 0 : (meta.counts.train ?? 0) * per;
      let n: number;
      try {
        n = readBytesInto(ip, shared, at);
      } catch (e) {
        throw tooMany(e);
      }
      if (n !== count * per) throw bad(n);
      images = shared.subarray(at, at + n);
    } else {
      try {
        images = readBytes(ip, count * per, `meta.json declares`);
      } catch (e) {
        throw tooMany(e);
      }
      if (images.length !== count * per) throw bad(images.length);
    }
    const lbytes = readBytes(lp, count * 4, `meta.json declares (${count} int32 labels)`);
    if (lbytes.length !== count * 4) throw new Error(`${lp}: expected ${count * 4} bytes (${count} int32 labels), found ${lbytes.length}`);
    const split: Split = { images, labels: labelsFromBytes(lbytes), count };
    d[name] = split;
  }
  if (!d.train || !d.test) throw new Error(`${join(dir, 'meta.json')}: a dataset needs 'train' and 'test' splits`);
  const data = d as StoredDataset;
  if (opts.verify) {
    const h = hashStored(data);
    if (h !== meta.hash) throw new Error(`${dir}: content hash ${h} differs from the recorded ${meta.hash}: the files changed after import`);
  }
  return { data, meta };
}

/** Options of `importDataset`. */
export interface ImportOptions {
  /** Format name; detected from the path when absent. */
  format?: string;
  /** Dataset name; defaults to the last path component. */
  name?: string;
  size?: number;
  channels?: 1 | 3;
  /** Replace an existing dataset of the same name. */
  force?: boolean;
  /** Bounds on the sizes the files declare (per image, per dataset), checked before decoding; the defaults where absent. */
  limits?: Partial<ImportLimits>;
  /** Cache root; `dataDir()` when absent. */
  cacheDir?: string;
  /**
   * Digits that end the temporary folder's name (default: the time in ms); a caller that may
   * terminate the import (the service's worker pool) picks a unique one so it can remove the
   * folder afterwards with `removeImportTemp`.
   */
  stamp?: string;
}

/**
 * Temporary folders of imports: `.import-<name>-<pid>-<stamp>-h<host>`, plus `.old` for the
 * replaced dataset during a forced swap. The host tag keeps a cache on a filesystem shared by
 * several machines (a cluster's home) from judging another machine's live import by a local pid;
 * names without it (older imports) are judged as this machine's.
 */
const IMPORT_TEMP = /^\.import-(.+)-(\d+)-(\d+)(?:-h([0-9a-f]{8}))?(\.old)?$/;

interface ImportTemp {
  entry: string;
  name: string;
  pid: number;
  stamp: string;
  host: string | undefined;
  old: boolean;
}

function parseImportTemp(entry: string): ImportTemp | undefined {
  const m = IMPORT_TEMP.exec(entry);
  if (!m) return undefined;
  return { entry, name: m[1]!, pid: Number(m[2]), stamp: m[3]!, host: m[4], old: m[5] !== undefined };
}

let hostTagValue: string | undefined;
function hostTag(): string {
  return (hostTagValue ??= createHash('sha256').update(hostname()).digest('hex').slice(0, 8));
}

/**
 * Removes the temporary folders `which` picks, losing nothing: a `.old` folder whose dataset is
 * missing (the import stopped between its two renames) is renamed back into place. Best effort:
 * a folder that cannot be removed stays for the next listing. Returns the entries handled.
 */
function dropImportTemps(root: string, which: (t: ImportTemp) => boolean): string[] {
  if (!existsSync(root)) return [];
  const temps = readdirSync(root)
    .map(parseImportTemp)
    .filter((t): t is ImportTemp => t !== undefined && which(t));
  const done: string[] = [];
  for (const t of [...temps.filter((t) => t.old), ...temps.filter((t) => !t.old)]) {
    const dir = join(root, t.entry);
    try {
      const target = join(root, t.name);
      if (t.old && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(t.name) && !existsSync(target)) renameSync(dir, target);
      else rmSync(dir, { recursive: true, force: true });
      done.push(t.entry);
    } catch {
      // Left for the next listing; listing and importing never fail over a leftover.
    }
  }
  return done;
}

/**
 * Removes what imports that crashed left in the cache (their process, on this machine, is gone);
 * a live import's folder, this process's included, is never touched. Listing and importing call it.
 */
export function cleanStaleImports(cacheDir?: string): string[] {
  return dropImportTemps(cacheDir ?? dataDir(), (t) => (t.host === undefined || t.host === hostTag()) && !processAlive(t.pid));
}

/** Removes the temporary folders of this process's import `stamp`, once that import has stopped (cancelled, timed out, failed). */
export function removeImportTemp(stamp: string, cacheDir?: string): string[] {
  return dropImportTemps(cacheDir ?? dataDir(), (t) => t.pid === process.pid && t.stamp === stamp && (t.host === undefined || t.host === hostTag()));
}

/**
 * Reads `path` with a registered format and stores it in the cache under its name. Nothing is left
 * behind on failure: the data go to a temporary sibling folder that is renamed at the very end,
 * removed when the import throws, by `removeImportTemp` when its worker is terminated, and by
 * `cleanStaleImports` when its process died.
 */
export async function importDataset(path: string, opts: ImportOptions = {}): Promise<CacheMeta> {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder`);
  if (!statSync(path).isDirectory() && /\.(tar\.gz|tgz|tar|zip)$/i.test(path)) {
    throw new Error(`${path} is an archive: extract it first and import the folder it contains (e.g. cifar-10-batches-bin, stl10_binary)`);
  }
  const root = opts.cacheDir ?? dataDir();
  const name = opts.name ?? defaultName(path);
  checkName(name);
  const target = join(root, name);
  if (existsSync(target) && !opts.force) throw new Error(`a dataset called '${name}' already exists in ${root}; remove it (dplab data rm ${name}) or pass --force`);
  const format = opts.format ? getFormat(opts.format) : detectFormat(path);
  const ro: ReadOptions = { name };
  if (opts.size !== undefined) ro.size = opts.size;
  if (opts.channels !== undefined) ro.channels = opts.channels;
  if (opts.limits !== undefined) ro.limits = opts.limits;
  const data = await format.read(path, ro);
  mkdirSync(root, { recursive: true });
  cleanStaleImports(root);
  if (opts.stamp !== undefined && !/^\d{1,30}$/.test(opts.stamp)) throw new Error(`import stamp '${opts.stamp}' must be 1-30 digits (it ends the temporary folder's name)`);
  const stamp = opts.stamp ?? String(Date.now());
  const tmp = join(root, `.import-${name}-${process.pid}-${stamp}-h${hostTag()}`);
  try {
    const meta = writeCacheFolder(tmp, data, format.name);
    if (existsSync(target)) {
      // Swap in two renames so a crash never leaves neither version.
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    return meta;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

function defaultName(path: string): string {
  const base = path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? 'dataset';
  return base.replace(/\.[A-Za-z0-9]+$/, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'dataset';
}

/** Every cached dataset's meta (damaged folders are reported with their error instead). */
export function listDatasets(cacheDir?: string): Array<{ name: string; meta?: CacheMeta; error?: string; bytes: number }> {
  const root = cacheDir ?? dataDir();
  if (!existsSync(root)) return [];
  cleanStaleImports(root);
  const out: Array<{ name: string; meta?: CacheMeta; error?: string; bytes: number }> = [];
  for (const entry of readdirSync(root).sort()) {
    if (entry.startsWith('.')) continue;
    const dir = join(root, entry);
    if (!statSync(dir).isDirectory()) continue;
    const bytes = readdirSync(dir).reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    try {
      out.push({ name: entry, meta: readMeta(dir), bytes });
    } catch (e) {
      out.push({ name: entry, error: (e as Error).message, bytes });
    }
  }
  return out;
}

/** Folder of a cached dataset, or undefined when none has that name. */
export function findCached(name: string, cacheDir?: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) return undefined;
  const dir = join(cacheDir ?? dataDir(), name);
  return existsSync(join(dir, 'meta.json')) ? dir : undefined;
}

/** Deletes a cached dataset; an error when there is none of that name. */
export function removeDataset(name: string, cacheDir?: string): void {
  const root = cacheDir ?? dataDir();
  const dir = join(root, name);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name) || !existsSync(dir)) throw new Error(`no dataset called '${name}' in ${root} (see dplab data list)`);
  rmSync(dir, { recursive: true, force: true });
}
