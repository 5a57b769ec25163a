/**
 * Which run the Live run view shows when the user has not named one: the run that is training, not
 * the newest row (during a sweep that is a queued run with empty charts).
 */

/** What the choice reads of a run row. */
export interface PickRow {
  id: string;
  status: string;
  createdAt: number;
  startedAt: number | null;
}

/** Runs training now, the latest started first (the picker's order; id breaks ties so it is stable). */
export function trainingRuns<R extends PickRow>(rows: readonly R[]): R[] {
  return rows
    .filter((r) => r.status === 'running')
    .sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The run to show: the latest started of those training; with none training, the queued run that
 * trains next (the oldest queued, while its trainer starts); with none queued, the newest run.
 */
export function runToFollow(rows: readonly PickRow[]): string | null {
  const training = trainingRuns(rows)[0];
  if (training) return training.id;
  const queued = rows.filter((r) => r.status === 'queued').sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))[0];
  if (queued) return queued.id;
  let newest: PickRow | null = null;
  for (const r of rows) if (!newest || r.createdAt > newest.createdAt) newest = r;
  return newest?.id ?? null;
}
