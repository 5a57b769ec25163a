/**
 * `dplab data`: import datasets into the cache, list and remove them. Exit codes: 0 success,
 * 1 the operation failed (bad files, unknown name), 2 a usage error.
 */
import { intOption, runVerbs, UsageError, type ParsedArgs, type Verbs } from './args.ts';
import { existsSync } from 'node:fs';
import { CACHE_VERSION, dataDir, findCached, importDataset, listDatasets, readCacheFolder, readMeta, removeDataset, type ImportOptions } from '../data/cache.ts';
import '../data/formats/index.ts';
import { listFormats } from '../data/formats/registry.ts';
import { FASHION_MNIST_DIR, listGenerated, sampleDir } from '../data/index.ts';
import { hashStored } from '../data/stored.ts';
import { DEFAULT_IMPORT_LIMITS, IMPORT_LIMIT_MAX } from '../common/import-limits.ts';

/** --max-image-pixels: a pixel count or WxH, up to IMPORT_LIMIT_MAX. */
function pixelsFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)(?:[x×](\d+))?$/.exec(v.trim());
  const n = m ? Number(m[1]) * (m[2] !== undefined ? Number(m[2]) : 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > IMPORT_LIMIT_MAX.maxImagePixels) {
    throw new UsageError(`--max-image-pixels must be a pixel count or WxH, 1..${IMPORT_LIMIT_MAX.maxImagePixels} pixels (16384x16384) (got ${String(v)})`);
  }
  return n;
}

/** --max-dataset-bytes: bytes, with an optional binary suffix (K, M, G: KiB, MiB, GiB), up to IMPORT_LIMIT_MAX. */
function bytesFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)([KMG])?(?:i?B)?$/i.exec(v.trim());
  const scale = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 } as const;
  const n = m ? Number(m[1]) * (m[2] ? scale[m[2].toUpperCase() as keyof typeof scale] : 1) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > IMPORT_LIMIT_MAX.maxDatasetBytes) {
    throw new UsageError(`--max-dataset-bytes must be bytes with an optional K, M or G suffix, 1..${IMPORT_LIMIT_MAX.maxDatasetBytes} (64G) (got ${String(v)})`);
  }
  return n;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function list(json: boolean): number {
  const rows: Array<Record<string, unknown>> = [];
  const sample = sampleDir();
  if (existsSync(sample)) {
    const m = readMeta(sample);
    rows.push({ name: 'fashion-mnist-sample', kind: 'bundled', shape: [m.height, m.width, m.channels], classes: m.classNames.length, counts: m.counts, hash: m.hash });
  }
  rows.push({ name: 'fashion-mnist', kind: 'built-in', path: FASHION_MNIST_DIR, available: existsSync(FASHION_MNIST_DIR) });
  for (const g of listGenerated()) rows.push({ name: g.name, kind: 'built-in', note: g.note });
  for (const e of listDatasets()) {
    if (e.meta) rows.push({ name: e.name, kind: 'imported', format: e.meta.format, shape: [e.meta.height, e.meta.width, e.meta.channels], classes: e.meta.classNames.length, counts: e.meta.counts, hash: e.meta.hash, bytes: e.bytes, source: e.meta.source });
    else rows.push({ name: e.name, kind: 'damaged', error: e.error });
  }
  if (json) {
    console.log(JSON.stringify({ dataDir: dataDir(), cacheVersion: CACHE_VERSION, datasets: rows }, null, 2));
    return 0;
  }
  console.log(`datasets (cache: ${dataDir()})`);
  for (const r of rows) {
    let line = `  ${String(r.name).padEnd(22)} ${String(r.kind).padEnd(9)}`;
    if (r.shape) {
      const counts = Object.entries(r.counts as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ');
      line += ` ${(r.shape as number[]).join('×')}, ${r.classes} classes, ${counts}, sha256 ${String(r.hash).slice(0, 12)}`;
      if (typeof r.bytes === 'number') line += `, ${mb(r.bytes)}`;
    } else if (r.kind === 'built-in' && r.path) line += ` ${r.path}${r.available ? '' : ' (not installed: apt-get install dataset-fashion-mnist)'}`;
    else if (r.note) line += ` ${r.note}`;
    else if (r.error) line += ` ${r.error}`;
    console.log(line);
  }
  return 0;
}

async function runImport(a: ParsedArgs): Promise<number> {
  if (a.positional.length !== 1) throw new UsageError('data import needs exactly one PATH');
  const opts: ImportOptions = {};
  if (a.strings.format !== undefined) opts.format = a.strings.format;
  if (a.strings.name !== undefined) opts.name = a.strings.name;
  const size = intOption(a, 'size', 4, 1024);
  if (size !== undefined) opts.size = size;
  const ch = intOption(a, 'channels', 1, 3);
  if (ch !== undefined) {
    if (ch === 2) throw new UsageError('--channels must be 1 or 3');
    opts.channels = ch as 1 | 3;
  }
  if (a.flags.force) opts.force = true;
  const maxImagePixels = pixelsFlag(a.strings['max-image-pixels']);
  const maxDatasetBytes = bytesFlag(a.strings['max-dataset-bytes']);
  opts.limits = { ...(maxImagePixels !== undefined ? { maxImagePixels } : {}), ...(maxDatasetBytes !== undefined ? { maxDatasetBytes } : {}) };
  const t0 = performance.now();
  const meta = await importDataset(a.positional[0]!, opts);
  const secs = (performance.now() - t0) / 1000;
  const counts = Object.entries(meta.counts).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`imported '${meta.name}' (${meta.format}): ${meta.height}×${meta.width}×${meta.channels}, ${meta.classNames.length} classes, ${counts}; sha256 ${meta.hash}; ${secs.toFixed(1)} s`);
  return 0;
}

function verify(name: string): number {
  const dir = findCached(name);
  if (!dir) throw new Error(`no dataset called '${name}' in ${dataDir()} (see dplab data list)`);
  const { data, meta } = readCacheFolder(dir);
  const h = hashStored(data);
  if (h !== meta.hash) {
    console.error(`dplab data verify: '${name}' is damaged: content hash ${h} differs from the recorded ${meta.hash}`);
    return 1;
  }
  console.log(`'${name}' is intact: sha256 ${h}`);
  return 0;
}

/** The one NAME a verb takes. */
function oneName(a: ParsedArgs, verb: string): string {
  if (a.positional.length !== 1) throw new UsageError(`data ${verb} needs exactly one NAME`);
  return a.positional[0]!;
}

/** The verbs of `dplab data`, each with its own options. */
export const DATA_VERBS: Verbs = {
  command: 'data',
  verbs: {
    list: {
      usage: 'list [--json]',
      about: 'Built-in and imported datasets.',
      options: { boolean: ['json'] },
      run: (a) => {
        if (a.positional.length) throw new UsageError(`data list takes no arguments (got ${a.positional.join(' ')})`);
        return list(a.flags.json === true);
      },
    },
    import: {
      usage: `import PATH [--format F] [--name N] [--size N] [--channels 1|3] [--force]
         [--max-image-pixels N|WxH] [--max-dataset-bytes N[K|M|G]]`,
      about: `Reads PATH once into the cache (all or nothing); files declaring more than the limits
(default ${DEFAULT_IMPORT_LIMITS.maxImagePixels} pixels = 4096x4096 per image, 4G per dataset) are refused before decoding.`,
      options: { string: ['format', 'name', 'size', 'channels', 'max-image-pixels', 'max-dataset-bytes'], boolean: ['force'] },
      run: runImport,
    },
    rm: {
      usage: 'rm NAME',
      about: 'Deletes an imported dataset.',
      options: {},
      run: (a) => {
        const name = oneName(a, 'rm');
        removeDataset(name);
        console.log(`removed '${name}'`);
        return 0;
      },
    },
    verify: {
      usage: 'verify NAME',
      about: "Recomputes an imported dataset's content hash.",
      options: {},
      run: (a) => verify(oneName(a, 'verify')),
    },
    formats: {
      usage: 'formats',
      about: 'The formats import understands.',
      options: {},
      run: (a) => {
        if (a.positional.length) throw new UsageError(`data formats takes no arguments (got ${a.positional.join(' ')})`);
        for (const f of listFormats()) console.log(`  ${f.name.padEnd(9)} ${f.description}`);
        return 0;
      },
    },
  },
  footer: `The cache is $DPLAB_DATA_DIR, else the user data folder (now: ${dataDir()}).`,
};

/** Entry point of `dplab data`. Exit codes: 0 success, 1 the operation failed (bad files, unknown name), 2 a usage error. */
export function dataCommand(args: string[]): Promise<number> {
  return runVerbs(DATA_VERBS, args);
}
