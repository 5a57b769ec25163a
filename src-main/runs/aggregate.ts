/**
 * The result table of a sweep: runs grouped by any setup fields, with mean ± std across the group
 * (normally across seeds) of each final metric. Pure, so the CLI, the server and tests share it.
 */
import { assertSetupPath, canonicalJson, getAtPath } from '../common/setup.ts';
import { printable } from '../common/text.ts';

/** Final metrics taken from a run's summary (names as in RunSummary). */
export const FINAL_METRICS = ['finalLoss', 'collapseStd', 'effectiveRank', 'probeAcc', 'knnAcc'] as const;

/** What grouping needs of a run. */
export interface RunForGrouping {
  uuid: string;
  status: string;
  setup: unknown;
  /** Final metrics by name (from the run summary); null/absent when not measured. */
  summary: Record<string, unknown> | null;
}

/** Mean and sample standard deviation (n − 1) of one metric in a group; std is null below 2 values. */
export interface Stat {
  mean: number | null;
  std: number | null;
  n: number;
}

/** One group of the result table. */
export interface GroupRow {
  /** Values of the grouping fields, by field path. */
  key: Record<string, unknown>;
  runs: string[];
  /** How many runs of the group ended in each status. */
  statuses: Record<string, number>;
  metrics: Record<string, Stat>;
}

/** Mean and sample std of the finite values. */
export function meanStd(values: readonly number[]): Stat {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null, n };
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return canonicalJson(a ?? null) < canonicalJson(b ?? null) ? -1 : canonicalJson(a ?? null) > canonicalJson(b ?? null) ? 1 : 0;
}

/**
 * Groups runs by the values at `by` (dotted setup paths) and aggregates `metrics` over each group.
 * Groups are sorted by their key values (numbers numerically); runs without a value in a metric
 * (e.g. failed ones) do not count toward it.
 */
export function groupRuns(runs: readonly RunForGrouping[], by: readonly string[], metrics: readonly string[] = FINAL_METRICS): GroupRow[] {
  for (const p of by) assertSetupPath(p);
  const groups = new Map<string, { key: Record<string, unknown>; runs: RunForGrouping[] }>();
  for (const r of runs) {
    const key: Record<string, unknown> = {};
    for (const p of by) key[p] = getAtPath(r.setup, p) ?? null;
    const k = canonicalJson(by.map((p) => key[p]));
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, runs: [] }));
    g.runs.push(r);
  }
  const rows: GroupRow[] = [...groups.values()].map((g) => {
    const statuses: Record<string, number> = {};
    for (const r of g.runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const m: Record<string, Stat> = {};
    for (const name of metrics) {
      const vals = g.runs.map((r) => r.summary?.[name]).filter((v): v is number => typeof v === 'number');
      m[name] = meanStd(vals);
    }
    return { key: g.key, runs: g.runs.map((r) => r.uuid), statuses, metrics: m };
  });
  rows.sort((a, b) => {
    for (const p of by) {
      const c = compareKeys(a.key[p], b.key[p]);
      if (c) return c;
    }
    return 0;
  });
  return rows;
}

/**
 * Each group's random-init baseline: mean ± std of `metrics` over its runs' step-0 evaluation
 * (`summary.baseline`), runs that recorded none not counting; one entry per row of `rows`, in order.
 */
export function groupBaselines(rows: readonly GroupRow[], runs: readonly RunForGrouping[], metrics: readonly string[]): Record<string, Stat>[] {
  const byId = new Map(runs.map((r) => [r.uuid, r]));
  return rows.map((g) => {
    const out: Record<string, Stat> = {};
    for (const name of metrics) {
      const vals = g.runs.map((u) => {
        const b = byId.get(u)?.summary?.baseline;
        return b !== null && typeof b === 'object' && Object.hasOwn(b, name) ? (b as Record<string, unknown>)[name] : undefined;
      });
      out[name] = meanStd(vals.filter((v): v is number => typeof v === 'number'));
    }
    return out;
  });
}

/** Formats `mean ± std` with 4 significant digits ('—' when absent). */
export function formatStat(s: Stat): string {
  if (s.mean === null) return '—';
  const f = (x: number) => (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toPrecision(4));
  return s.std === null ? f(s.mean) : `${f(s.mean)} ± ${f(s.std)}`;
}

/** The result table as aligned text: one line per group, `n` runs, then each metric. */
export function formatGroupTable(rows: readonly GroupRow[], by: readonly string[], metrics: readonly string[] = FINAL_METRICS): string {
  const header = [...by, 'n', ...metrics];
  // A string key (`--by name`) may be an archived name with a line break: escaped, one group stays one line.
  const body = rows.map((r) => [...by.map((p) => (typeof r.key[p] === 'string' ? printable(r.key[p] as string) : canonicalJson(r.key[p]))), String(r.runs.length), ...metrics.map((m) => formatStat(r.metrics[m]!))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
