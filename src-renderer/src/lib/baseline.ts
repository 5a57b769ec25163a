/**
 * A run's final metrics beside its random-init baseline (the same measurement at step 0), as the run
 * view and the compare table show them, so "better than untrained" is visible at a glance.
 */
import type { RunSummary } from '../../../src-main/common/events.ts';
import { BASELINE_METRICS, describeEvalProtocol, runEvalProtocol, type BaselineMetric } from '../../../src-main/common/metrics.ts';
import { formatMetric, PERCENT_METRICS } from './format.ts';

/** One metric: its final value, its value at random init and the change, each formatted. */
export interface BaselineCell {
  metric: BaselineMetric;
  final: string;
  /** '—' when the run recorded no baseline (made before step-0 evaluation, or not finished). */
  init: string;
  /** Final − init ("+3.1 pts" for accuracies, "+0.120" otherwise); null without both values. */
  delta: string | null;
}

/** The cells of every baseline metric of a run summary. */
export function baselineCells(summary: RunSummary | null | undefined): BaselineCell[] {
  return BASELINE_METRICS.map((metric) => {
    const f = summary?.[metric] ?? null;
    const b = summary?.baseline?.[metric] ?? null;
    let delta: string | null = null;
    if (f !== null && b !== null) {
      const d = f - b;
      const sign = d >= 0 ? '+' : '−';
      delta = PERCENT_METRICS.has(metric) ? `${sign}${Math.abs(d * 100).toFixed(1)} pts` : `${sign}${Math.abs(d).toFixed(3)}`;
    }
    return { metric, final: formatMetric(metric, f), init: formatMetric(metric, b), delta };
  });
}

/** The evaluation protocol of a run in words (its summary's record, else its setup's). */
export function protocolText(run: { setup: unknown; summary: RunSummary | null }): string {
  return describeEvalProtocol(runEvalProtocol(run));
}
