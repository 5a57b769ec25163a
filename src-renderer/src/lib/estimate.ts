/**
 * The words of a time estimate (estimate.time) as Compose, the Sweeps builder and the Paper view show
 * it before anything starts. No DOM: node:test imports it.
 */
import type { Results } from '../../../src-main/contract/index.ts';
import { formatDuration } from './format.ts';

/** An estimate.time result. */
export type TimeEstimate = Results['estimate.time'];

/** Rounds a duration for a forecast: "~40 s", "~12 min", "~2 h 10 min" (seconds of a long wait are noise); `mark` replaces "~". */
export function roughDuration(sec: number, mark = '~'): string {
  if (sec < 60) return `${mark}${Math.max(1, Math.round(sec))} s`;
  if (sec < 3600) return `${mark}${Math.round(sec / 60)} min`;
  return `${mark}${formatDuration(Math.round(sec / 60) * 60)}`;
}

/**
 * One line: the wall time, how many runs on how many at once, and what it rests on; or why there is
 * no figure. `tone` is 'long' past an hour, so a view can suggest a lighter setup.
 */
export function estimateText(e: TimeEstimate): { text: string; detail: string; tone: 'ok' | 'long' | 'unknown' } {
  const todo = e.runs - e.reused;
  const runs = `${todo} run${todo === 1 ? '' : 's'}`;
  const reused = e.reused ? ` (${e.reused} reused from the archive)` : '';
  const at = e.parallel > 1 && todo > 1 ? ` on ${e.parallel} at once` : '';
  if (todo === 0) return { text: `nothing to train${reused}`, detail: 'every run is already in the archive', tone: 'ok' };
  if (e.wallSec === null) {
    return {
      text: `time unknown for ${runs}${reused}`,
      detail: `no finished run of a similar size on ${e.backend} to measure from yet`,
      tone: 'unknown',
    };
  }
  const partial = e.unknown ? `; ${e.unknown} run${e.unknown === 1 ? '' : 's'} without a figure not counted` : '';
  const basis =
    e.basis === 'scaled'
      ? `rough: scaled by network size from ${e.basisRuns} finished run${e.basisRuns === 1 ? '' : 's'} on ${e.backend}`
      : `from ${e.basisRuns} finished run${e.basisRuns === 1 ? '' : 's'} of this shape on ${e.backend}`;
  return {
    text: `${roughDuration(e.wallSec, e.basis === 'scaled' ? '≈ ' : '~')} for ${runs}${at}${reused}`,
    detail: `${basis}; ${e.concurrency} at a time in the queue, ${e.cores} cores${partial}`,
    tone: e.wallSec > 3600 ? 'long' : 'ok',
  };
}
