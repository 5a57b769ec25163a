/**
 * `dplab runs export <run>... | --all`: runs, metrics or spectra as CSV or JSON, or whole run bundles
 * (re-importable with `dplab archive import`), to stdout, a file or a folder.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../../archive/archive.ts';
import { exportChunks, exportRunBundle, metricsTable, runsTable, spectraTable, toCsv } from '../../archive/export.ts';
import { UsageError, type Verb } from '../args.ts';
import { ARCHIVE, withArchive } from './common.ts';

/** The `export` verb. */
export const exportVerb: Verb = {
  usage: 'export <run>... | --all  [--format csv|json] [--what runs|metrics|spectra|bundle] [--out FILE|DIR]',
  about: `csv: runs (one line per run), metrics (one line per step) or spectra (long form);
json: the full run bundle by default (re-importable with 'dplab archive import').
Several runs with metrics/spectra need --out DIR (one file per run).`,
  options: { string: [ARCHIVE, 'format', 'what', 'out'], boolean: ['all'] },
  run: (a) => {
    const s = a.strings;
    const all = a.flags.all === true;
    const format = s.format ?? (s.out?.endsWith('.json') ? 'json' : 'csv');
    if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, got '${format}'`);
    const what = s.what ?? (format === 'json' ? 'bundle' : 'runs');
    if (!['runs', 'metrics', 'spectra', 'bundle'].includes(what)) throw new UsageError(`--what must be runs, metrics, spectra or bundle, got '${what}'`);
    if (what === 'bundle' && format !== 'json') throw new UsageError('--what bundle is JSON only');
    if (!all && a.positional.length === 0) throw new UsageError('export needs runs or --all');
    if (all && a.positional.length) throw new UsageError(`export takes runs or --all, not both (got '${a.positional[0]}' with --all)`);
    return withArchive(a, {}, async (archive) => {
      const runs: RunRecord[] = all ? archive.listRuns({ order: 'oldest' }) : a.positional.map((r) => archive.resolveRun(r));
      const write = (text: string, file?: string) => {
        if (file) writeFileSync(file, text);
        else process.stdout.write(text);
      };
      if (what === 'runs') {
        write(format === 'csv' ? toCsv(runsTable(runs, (uuid) => archive.getNote(uuid))) : JSON.stringify(runs, null, 2) + '\n', s.out);
      } else if (what === 'bundle') {
        if (runs.length === 1 && !all) write(JSON.stringify(exportRunBundle(archive, runs[0]!.uuid)) + '\n', s.out);
        // Several runs: one run at a time into the file or stdout, so memory stays that of one run.
        else await streamOut(exportChunks(archive, runs.map((r) => r.uuid), 'json'), s.out);
      } else {
        const one = (r: RunRecord): string => {
          if (what === 'metrics') {
            const m = archive.getMetrics(r.uuid);
            return format === 'csv' ? toCsv(metricsTable(m)) : JSON.stringify(m) + '\n';
          }
          const sp = archive.getSpectra(r.uuid);
          return format === 'csv' ? toCsv(spectraTable(sp)) : JSON.stringify(sp) + '\n';
        };
        if (runs.length === 1 && !all) write(one(runs[0]!), s.out);
        else {
          if (!s.out) throw new UsageError(`exporting ${what} of several runs needs --out DIR`);
          mkdirSync(s.out, { recursive: true });
          for (const r of runs) writeFileSync(join(s.out, `${r.uuid}-${what}.${format}`), one(r));
          console.error(`wrote ${runs.length} file(s) to ${s.out}`);
        }
      }
      if (s.out && !(what !== 'runs' && what !== 'bundle' && (runs.length > 1 || all))) console.error(`wrote ${s.out}`);
      return 0;
    });
  },
};

/** Writes chunks to stdout (waiting for it to drain) or atomically to `file` (a temporary name, then renamed). */
async function streamOut(chunks: Iterable<string>, file?: string): Promise<void> {
  if (!file) {
    for (const c of chunks) if (!process.stdout.write(c)) await new Promise((ok) => process.stdout.once('drain', ok));
    return;
  }
  const tmp = `${file}.part-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) writeSync(fd, c);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
