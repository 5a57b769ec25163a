/**
 * Sorting and filtering of the runs table (pure, so it is tested and stays fast for thousands of
 * rows: one pass to filter, one sort with precomputed keys).
 */
import type { RunRow } from '../../../src-main/contract/index.ts';
import { getAtPath } from '../../../src-main/common/setup.ts';

/** A sortable column: a built-in key, a summary metric ("summary.knnAcc") or a setup path ("setup.optim.lr"). */
export type SortKey = string;

/** Value of a row under a sort key (numbers and strings compare; null sorts last). */
export function sortValue(r: RunRow, key: SortKey, live?: { step: number; totalSteps: number }): number | string | null {
  switch (key) {
    case 'created':
      return r.createdAt;
    case 'status':
      return r.status;
    case 'name':
      return (r.name ?? r.id).toLowerCase();
    case 'sweep':
      return r.sweep ? sweepLabel(r.sweep).toLowerCase() : null;
    case 'progress': {
      const step = live?.step ?? r.lastStep ?? 0;
      const total = live?.totalSteps ?? r.totalSteps ?? 0;
      return total > 0 ? step / total : 0;
    }
  }
  if (key.startsWith('summary.')) {
    const v = (r.summary as Record<string, unknown> | null)?.[key.slice(8)];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
  if (key.startsWith('setup.')) {
    const v = getAtPath(r.setup, key.slice(6));
    if (v === undefined || v === null) return null;
    return typeof v === 'number' ? v : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return null;
}

/** What the table calls a sweep: its name, else its id's first 8 characters. */
export function sweepLabel(sw: { id: string; name: string | null }): string {
  return sw.name || `sweep ${sw.id.slice(0, 8)}`;
}

/**
 * The order rows fall into when the sort key does not tell them apart, the same on every load (the
 * list's own order changes as runs start and end): newest group first, where the runs of one sweep
 * are one group dated by the sweep, kept together in grid order (its index, which puts seeds of a
 * setup next to each other), then creation time and id. `groupDir` -1 lists the oldest group first.
 */
export function stableCompare(a: RunRow, b: RunRow, groupDir: 1 | -1 = 1): number {
  const ta = a.sweep?.createdAt ?? a.createdAt;
  const tb = b.sweep?.createdAt ?? b.createdAt;
  if (ta !== tb) return groupDir * (tb - ta);
  const ga = a.sweep?.id ?? '';
  const gb = b.sweep?.id ?? '';
  if (ga !== gb) return ga < gb ? -1 : 1;
  const ia = a.sweep?.index ?? 0;
  const ib = b.sweep?.index ?? 0;
  if (ia !== ib) return ia - ib;
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Rows sorted by a key, nulls last whatever the direction; ties (and the 'created' key itself) in
 * the stable order of `stableCompare`, so a sweep's runs never shuffle between loads.
 */
export function sortRuns(rows: readonly RunRow[], key: SortKey, dir: 'asc' | 'desc'): RunRow[] {
  const s = dir === 'asc' ? 1 : -1;
  if (key === 'created') return [...rows].sort((a, b) => stableCompare(a, b, dir === 'asc' ? -1 : 1));
  const keyed = rows.map((r) => ({ r, v: sortValue(r, key) }));
  keyed.sort((a, b) => {
    if (a.v === null && b.v === null) return stableCompare(a.r, b.r);
    if (a.v === null) return 1;
    if (b.v === null) return -1;
    const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
    return c !== 0 ? s * c : stableCompare(a.r, b.r);
  });
  return keyed.map((k) => k.r);
}

/** Whether run `r` belongs to sweep `id`: made by it, or reused by it. */
export function inSweep(r: RunRow, id: string): boolean {
  return r.sweep?.id === id || !!r.sweep?.alsoIn?.some((s) => s.id === id);
}

/** The sweep filter's value for runs made by no sweep. */
export const NO_SWEEP = '(none)';

/**
 * Rows matching a free-text query: every word must appear in the run's id, name, status, tags,
 * sweep or predictor kind; `tag:x` and `status:x` words match exactly. `sweep` keeps the runs of
 * one sweep (its id), or of none (NO_SWEEP); '' keeps all.
 */
export function filterRuns(rows: readonly RunRow[], query: string, statuses?: ReadonlySet<string>, sweep = ''): RunRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((r) => {
    if (statuses && statuses.size && !statuses.has(r.status)) return false;
    if (sweep && (sweep === NO_SWEEP ? !!r.sweep : !inSweep(r, sweep))) return false;
    if (!words.length) return true;
    const hay = [r.id, r.name ?? '', r.status, ...r.tags, r.sweep ? sweepLabel(r.sweep) : '', String(getAtPath(r.setup, 'predictor.kind') ?? ''), String(getAtPath(r.setup, 'method') ?? ''), r.dataset?.name ?? String(getAtPath(r.setup, 'data.dataset') ?? '')]
      .join(' ')
      .toLowerCase();
    return words.every((w) => {
      if (w.startsWith('tag:')) return r.tags.some((t) => t.toLowerCase() === w.slice(4));
      if (w.startsWith('status:')) return r.status === w.slice(7);
      return hay.includes(w);
    });
  });
}

/** Statuses where a run may still change (cancel applies; the row updates live) and those it can be resumed from. */
export { ACTIVE_STATUSES, RESUMABLE_STATUSES } from '../../../src-main/common/events.ts';

/** The best value of a metric over a series, by the metric's direction. */
export function bestOf(values: readonly (number | null)[], better: 'higher' | 'lower'): number | null {
  let best: number | null = null;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (best === null || (better === 'higher' ? v > best : v < best)) best = v;
  }
  return best;
}

/**
 * What a resume does, said plainly: a run continues from its newest checkpoint, so steps logged
 * after it are trained again.
 */
export function resumeMessage(fromStep: number, lastStep: number | null): string {
  if (fromStep <= 0) return `Resumed from the start (no checkpoint yet${lastStep ? `; steps 1–${lastStep} are trained again` : ''})`;
  const redo = lastStep !== null && lastStep > fromStep ? `; steps ${fromStep + 1}–${lastStep} are trained again` : '';
  return `Resumed from step ${fromStep} (last checkpoint)${redo}`;
}
