/**
 * One loss scale for runs overlaid on one axis. Setups of version 1 averaged the two symmetric loss
 * terms (`lossReduction` "mean": 0–4 for 2 − 2cos); version 2 sums them as the official code does
 * ("sum": 0–8). The value logged is the same quantity either way, halved under "mean", so a mean
 * run's loss × 2 is exactly its value on the summed scale: mixed runs are shown there, with a note
 * saying which were doubled. Runs that all share a reduction are shown as logged, on their scale.
 */
import { getAtPath, migrateSetup } from '../../../../src-main/common/setup.ts';
import { lossScaleLabel } from '../../../../src-main/common/metrics.ts';

/** How a run's two symmetric loss terms were combined, from its setup as stored (any version). */
export function lossReductionOf(setup: unknown): 'sum' | 'mean' {
  let s: unknown = setup;
  try {
    s = migrateSetup(setup); // a version-1 setup gets "mean", as it was trained
  } catch {
    // newer than this lab: read as stored
  }
  return getAtPath(s, 'lossReduction') === 'mean' ? 'mean' : 'sum';
}

/** The loss scale of a set of runs for one axis, and what to tell the reader. */
export interface LossScale {
  /** What each run's logged loss is multiplied by to be on the common scale (1: as logged). */
  factors: Map<string, number>;
  /** The scale, for the axis title and the table header ("2 − 2cos, two terms summed: 0–8"). */
  label: string;
  /** Shown beside the chart when runs were converted or do not compare; null when nothing was changed. */
  note: string | null;
}

/** The common loss scale of `runs` (see the module comment). */
export function lossScale(runs: readonly { id: string; label?: string; setup: unknown }[]): LossScale {
  const reductions = runs.map((r) => lossReductionOf(r.setup));
  const kinds = [...new Set(runs.map((r) => (getAtPath(r.setup, 'loss') === 'mse' ? 'mse' : 'cosine')))];
  const mixed = reductions.includes('mean') && reductions.includes('sum');
  const common = mixed ? 'sum' : (reductions[0] ?? 'sum');
  const factors = new Map(runs.map((r, i) => [r.id, mixed && reductions[i] === 'mean' ? 2 : 1]));
  const label = kinds.length > 1 ? `2 − 2cos and squared error mixed, two terms ${common === 'sum' ? 'summed' : 'averaged'}` : lossScaleLabel({ loss: kinds[0] ?? 'cosine', lossReduction: common });
  const notes: string[] = [];
  if (mixed) {
    const doubled = runs.filter((_, i) => reductions[i] === 'mean');
    const names = doubled.map((r) => r.label ?? r.id.slice(0, 8));
    notes.push(
      `Loss shown on one scale, the two symmetric terms summed (official code; setup v2): ${doubled.length} of ${runs.length} runs averaged them ` +
        `(lossReduction "mean", setup v1${kinds.includes('cosine') ? ': 0–4 instead of 0–8' : ''}), so their loss is shown ×2: ${names.join(', ')}.`,
    );
  }
  if (kinds.length > 1) notes.push('The runs use different losses (2 − 2cos and ‖p − z‖²): their loss values do not compare.');
  return { factors, label, note: notes.length ? notes.join(' ') : null };
}
