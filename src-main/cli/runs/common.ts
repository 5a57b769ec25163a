/**
 * What the verbs of `dplab runs` share: opening the archive (seeing dead owners first where asked),
 * resolving run names, and the text formats of their tables.
 */
import { openArchive, type Archive } from '../../archive/archive.ts';
import type { Table } from '../../archive/export.ts';
import { resolveArchivePath } from '../../archive/paths.ts';
import type { BaselineMetric } from '../../common/metrics.ts';
import { printable } from '../../common/text.ts';
import { UsageError, type ParsedArgs } from '../args.ts';

/** The option every verb takes: which archive file. */
export const ARCHIVE = 'archive';

/**
 * Opens the archive of `--archive` (else $DPLAB_ARCHIVE, else the data folder), runs `fn` on it and
 * closes it. `recover`: a run whose process died still reads 'running' until a manager looks, so
 * verbs that show statuses let one look first (not on a read-only archive).
 */
export async function withArchive<T>(a: ParsedArgs, opts: { create?: boolean; recover?: boolean }, fn: (archive: Archive) => T | Promise<T>): Promise<T> {
  const archive = openArchive(resolveArchivePath(a.strings[ARCHIVE]), { create: opts.create ?? false });
  try {
    if (opts.recover && !archive.readonly) {
      const { RunManager } = await import('../../runs/manager.ts');
      const m = new RunManager(archive, { concurrency: 1 });
      m.recover();
      await m.close();
    }
    return await fn(archive);
  } finally {
    archive.close();
  }
}

/** Every archive error names the file (SQLite's own messages do not). */
export function reportRunsError(verb: string, e: Error, a: ParsedArgs): number {
  const file = resolveArchivePath(a.strings[ARCHIVE]);
  console.error(`dplab runs ${verb}: ${e.message.includes(file) ? e.message : `${e.message} (archive ${file})`}`);
  return 1;
}

/** The one run a verb takes. */
export function oneRun(a: ParsedArgs, verb: string): string {
  if (a.positional.length !== 1) throw new UsageError(`${verb} takes exactly one run`);
  return a.positional[0]!;
}

/** The runs a verb takes, at least one. */
export function someRuns(a: ParsedArgs, verb: string): string[] {
  if (!a.positional.length) throw new UsageError(`${verb} needs at least one run`);
  return a.positional;
}

/** A number with `digits` decimals, '—' when missing. */
export const fmtNum = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));
/** The signed change from `b` to `v`, '—' when either is missing. */
export const fmtDelta = (v: number | null | undefined, b: number | null | undefined, digits: number) =>
  v === null || v === undefined || b === null || b === undefined ? '—' : `${v - b >= 0 ? '+' : '−'}${Math.abs(v - b).toFixed(digits)}`;
/** A time stamp (ms) as UTC `YYYY-MM-DD hh:mm:ss`. */
export const fmtTime = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
/** Short column names of the baseline metrics. */
export const METRIC_SHORT: Record<BaselineMetric, string> = { probeAcc: 'probe', knnAcc: 'kNN', collapseStd: 'collapse std', effectiveRank: 'eff. rank' };
/** Decimals each baseline metric is printed with. */
export const DIGITS: Record<BaselineMetric, number> = { probeAcc: 3, knnAcc: 3, collapseStd: 3, effectiveRank: 2 };

/** A table as aligned text columns. */
export function textTable(t: Table): string {
  // Names archived before control characters were refused may hold a line break: escaped, one row stays one line.
  const cells = [t.columns, ...t.rows.map((r) => r.map((c) => (c === null ? '—' : printable(String(c)))))];
  const w = t.columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd()).join('\n');
}
