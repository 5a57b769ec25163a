/**
 * The committed reproduction report (docs/reproduction/report.md), bundled with the app and read
 * once: the Paper view shows its results as a reference for a claim this archive holds no runs of.
 */
import text from '../../../docs/reproduction/report.md?raw';
import { parseReport, type ReferenceReport } from '../../../src-main/reproduce/reference.ts';

let parsed: ReferenceReport | null = null;

/** The committed report, parsed on first use. */
export function committedReport(): ReferenceReport {
  parsed ??= parseReport(text);
  return parsed;
}
