/** `dplab runs show <run>`: one run's status, times, setup, summary against its random-init baseline, and note. */
import { BASELINE_METRICS, describeEvalProtocol, runEvalProtocol } from '../../common/metrics.ts';
import { printable } from '../../common/text.ts';
import { formatDuration, type Verb } from '../args.ts';
import { ARCHIVE, DIGITS, fmtDelta, fmtNum, fmtTime, METRIC_SHORT, oneRun, withArchive } from './common.ts';

/** The `show` verb. */
export const show: Verb = {
  usage: 'show <run> [--json]',
  options: { string: [ARCHIVE], boolean: ['json'] },
  run: (a) =>
    withArchive(a, { recover: true }, (archive) => {
      const r = archive.resolveRun(oneRun(a, 'show'));
      const metrics = archive.getMetrics(r.uuid);
      const ckpts = archive.listCheckpoints(r.uuid);
      const evals = archive.getEvals(r.uuid);
      const note = archive.getNote(r.uuid);
      if (a.flags.json) {
        const last = Object.fromEntries(metrics.map((m) => [m.name, { points: m.steps.length, lastStep: m.steps.at(-1), last: m.values.at(-1) }]));
        console.log(JSON.stringify({ ...r, note, checkpoints: ckpts, evals, metrics: last, spectra: archive.getSpectra(r.uuid).length }, null, 2));
        return 0;
      }
      const lines = [
        `run       ${r.uuid}${r.name ? `  ${printable(r.name)}` : ''}`,
        `status    ${r.status}${r.error ? `  (${r.error})` : ''}`,
        `times     created ${fmtTime(r.createdAt)} · started ${fmtTime(r.startedAt)} · ended ${fmtTime(r.endedAt)}` +
          (r.startedAt && r.endedAt ? ` · ${formatDuration((r.endedAt - r.startedAt) / 1000)}` : ''),
        `setup     hash ${r.setupHash.slice(0, 16)}… · seed ${r.seed}`,
        `backend   ${r.backend ?? '—'}${r.versions ? ` · ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}${r.appVersion ? ` · app ${r.appVersion}` : ''}`,
        `dataset   ${r.dataset ? `${r.dataset.name} (${r.dataset.hash.slice(0, 12)}…)` : '—'}`,
        `progress  step ${r.lastStep ?? 0}/${r.totalSteps ?? '?'} · checkpoints ${ckpts.map((c) => c.step).join(', ') || 'none'}`,
      ];
      if (r.summary) {
        const s = r.summary;
        lines.push(`summary   loss ${fmtNum(s.finalLoss, 4)} · ${fmtNum(s.imagesPerSec, 1)} img/s`);
        const b = s.baseline ?? null;
        lines.push(`final     ${BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} ${fmtNum(s[m], DIGITS[m])}`).join(' · ')}`);
        lines.push(`random init ${b ? BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} ${fmtNum(b[m], DIGITS[m])}`).join(' · ') : '— (not recorded: run made before step-0 evaluation)'}`);
        if (b) lines.push(`change    ${BASELINE_METRICS.map((m) => `${METRIC_SHORT[m]} ${fmtDelta(s[m], b[m], DIGITS[m])}`).join(' · ')}`);
      }
      lines.push(`protocol  ${describeEvalProtocol(runEvalProtocol(r))}`);
      if (metrics.length) lines.push(`metrics   ${metrics.map((m) => `${m.name} (${m.steps.length})`).join(', ')}`);
      if (evals.length) lines.push(`evals     ${evals.map((e) => `step ${e.step}: probe ${fmtNum(e.probeAcc)} kNN ${fmtNum(e.knnAcc)}`).join(' · ')}`);
      if (r.tags.length) lines.push(`tags      ${printable(r.tags.join(', '))}`);
      if (note) lines.push('', note);
      lines.push('', JSON.stringify(r.setup, null, 2));
      console.log(lines.join('\n'));
      return 0;
    }),
};
