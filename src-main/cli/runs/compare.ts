/**
 * `dplab runs compare <run>...`: each run's final metrics beside its random-init baseline (step 0),
 * and the protocol its probe and kNN were measured with, flagged when the runs differ in it.
 */
import type { BaselineMetric } from '../../common/metrics.ts';
import { BASELINE_METRICS, describeEvalProtocol, runEvalProtocol } from '../../common/metrics.ts';
import type { Verb } from '../args.ts';
import { ARCHIVE, DIGITS, fmtNum, METRIC_SHORT, someRuns, textTable, withArchive } from './common.ts';

/** The `compare` verb. */
export const compare: Verb = {
  usage: 'compare <run>... [--json]',
  about: "Final metrics beside each run's random-init baseline (step 0), with the evaluation protocol of each run.",
  options: { string: [ARCHIVE], boolean: ['json'] },
  run: (a) =>
    withArchive(a, {}, (archive) => {
      const runs = someRuns(a, 'compare').map((r) => archive.resolveRun(r));
      const rows = runs.map((r) => {
        const s = r.summary;
        const protocol = runEvalProtocol(r);
        const final = Object.fromEntries(BASELINE_METRICS.map((m) => [m, s?.[m] ?? null])) as Record<BaselineMetric, number | null>;
        return { uuid: r.uuid, name: r.name, status: r.status, finalLoss: s?.finalLoss ?? null, final, baseline: s?.baseline ?? null, evalProtocol: protocol, protocol: describeEvalProtocol(protocol) };
      });
      if (a.flags.json) {
        console.log(JSON.stringify(rows, null, 2));
        return 0;
      }
      console.log(
        textTable({
          columns: ['run', 'status', 'loss', ...BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} (init → final)`), 'name'],
          rows: rows.map((x) => [
            x.uuid.slice(0, 8), x.status, fmtNum(x.finalLoss, 4),
            ...BASELINE_METRICS.map((m) => `${fmtNum(x.baseline?.[m], DIGITS[m])} → ${fmtNum(x.final[m], DIGITS[m])}`),
            x.name ?? '',
          ]),
        }),
      );
      const protocols = [...new Set(rows.map((x) => x.protocol))];
      if (protocols.length === 1) console.log(`protocol: ${protocols[0]}`);
      else {
        console.log('protocols differ, so probe and kNN accuracies are not comparable across these runs:');
        for (const x of rows) console.log(`  ${x.uuid.slice(0, 8)}  ${x.protocol}`);
      }
      if (rows.some((x) => !x.baseline)) console.log('— as random init: the run recorded no step-0 evaluation (made before it was recorded, or not finished)');
      return 0;
    }),
};
