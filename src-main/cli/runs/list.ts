/** `dplab runs list`: the archive's runs, newest first, filtered by status, tag or sweep. */
import { RUN_STATUSES, type RunStatus } from '../../archive/archive.ts';
import { intOption, UsageError, type Verb } from '../args.ts';
import { ARCHIVE, fmtNum, fmtTime, textTable, withArchive } from './common.ts';

/** The `list` verb. */
export const list: Verb = {
  usage: 'list [--status S[,S]] [--tag T] [--sweep UUID] [--limit N] [--json]',
  about: `--status: one or more of ${RUN_STATUSES.join(', ')}, comma-separated.`,
  options: { string: [ARCHIVE, 'status', 'tag', 'sweep', 'limit'], boolean: ['json'] },
  run: (a) => {
    const status = a.strings.status?.split(',').map((x) => x.trim()) as RunStatus[] | undefined;
    for (const st of status ?? []) if (!RUN_STATUSES.includes(st)) throw new UsageError(`unknown status '${st}' (one of ${RUN_STATUSES.join(', ')})`);
    const limit = intOption(a, 'limit', 1);
    if (a.positional.length) throw new UsageError(`list takes no runs (got '${a.positional[0]}')`);
    return withArchive(a, { create: true, recover: true }, (archive) => {
      const runs = archive.listRuns({ status, tag: a.strings.tag, sweep: a.strings.sweep, limit });
      if (a.flags.json) {
        console.log(JSON.stringify(runs, null, 2));
        return 0;
      }
      if (!runs.length) {
        console.log(`no runs in ${archive.file}`);
        return 0;
      }
      console.log(
        textTable({
          columns: ['run', 'status', 'created', 'steps', 'loss', 'collapse', 'probe', 'name', 'tags'],
          rows: runs.map((r) => [
            r.uuid.slice(0, 8), r.status, fmtTime(r.createdAt), r.lastStep === null ? '—' : `${r.lastStep}/${r.totalSteps ?? '?'}`,
            fmtNum(r.summary?.finalLoss, 4), fmtNum(r.summary?.collapseStd), fmtNum(r.summary?.probeAcc), r.name ?? '', r.tags.join(','),
          ]),
        }),
      );
      return 0;
    });
  },
};
