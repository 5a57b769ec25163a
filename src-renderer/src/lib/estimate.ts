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
 * no figure; or, while a probe run measures this machine's pace (`measuring`), that it does. `tone`
 * is 'long' past an hour, so a view can suggest a lighter setup.
 */
export function estimateText(e: TimeEstimate, measuring = false): { text: string; detail: string; tone: 'ok' | 'long' | 'unknown' } {
  const todo = e.runs - e.reused;
  const runs = `${todo} run${todo === 1 ? '' : 's'}`;
  const reused = e.reused ? ` (${e.reused} reused from the archive)` : '';
  const at = e.parallel > 1 && todo > 1 ? ` on ${e.parallel} at once` : '';
  if (todo === 0) return { text: `nothing to train${reused}`, detail: 'every run is already in the archive', tone: 'ok' };
  const p = e.probe;
  if (measuring) {
    return { text: 'measuring…', detail: `timing a short probe run of this setup on ${e.backend} (nothing is recorded)`, tone: 'unknown' };
  }
  if (e.wallSec === null) {
    const why =
      p?.status === 'failed' || p?.status === 'unfit' || p?.status === 'off'
        ? (p.message ?? 'the probe failed')
        : p?.status === 'superseded'
          ? 'its probe run was stopped by a newer estimate'
          : `no finished run of a similar size on ${e.backend} to measure from yet`;
    return { text: `time unknown for ${runs}${reused}`, detail: why, tone: 'unknown' };
  }
  const partial = e.unknown ? `; ${e.unknown} run${e.unknown === 1 ? '' : 's'} without a figure not counted` : '';
  const probeSteps = p?.steps !== undefined ? `a ${p.steps}-step probe` : 'a probe';
  const basis =
    e.basis === 'scaled'
      ? `rough: scaled by network size from ${e.basisRuns} ${p?.steps !== undefined ? `measured run${e.basisRuns === 1 ? '' : 's'} (${probeSteps} among them)` : `finished run${e.basisRuns === 1 ? '' : 's'}`} on ${e.backend}`
      : e.basis === 'probe'
        ? `this machine's pace on ${e.backend}, measured by ${probeSteps}${p?.perStepSec !== undefined && p.fixedSec !== undefined ? `: ${p.perStepSec < 1 ? p.perStepSec.toFixed(3) : p.perStepSec.toFixed(1)} s a step + ${Math.round(p.fixedSec)} s of start-up, data and evaluation` : ''} (checkpoints not counted)`
        : `from ${e.basisRuns} finished run${e.basisRuns === 1 ? '' : 's'} of this shape on ${e.backend}`;
  // Short, beside the start button (the detail says it in full).
  const measured = e.basis === 'probe' ? ` (${p?.steps !== undefined ? `${p.steps}-step ` : ''}probe)` : '';
  return {
    text: `${roughDuration(e.wallSec, e.basis === 'scaled' || e.basis === 'probe' ? '≈ ' : '~')} for ${runs}${at}${reused}${measured}`,
    detail: `${basis}; ${e.concurrency} at a time in the queue, ${e.cores} cores${partial}`,
    tone: e.wallSec > 3600 ? 'long' : 'ok',
  };
}
