/** `dplab sweep table <sweep-uuid>`: the result table of a sweep already in the archive, and its groups against a baseline. */
import type { SweepDefinition } from '../../common/sweep.ts';
import type { Verb } from '../args.ts';
import { ARCHIVE, axesOf, byOption, COMPARE_OPTIONS, compareChoice, printTable, withSweep } from './common.ts';

/** The `table` verb. */
export const table: Verb = {
  usage: 'table <sweep-uuid> [--by path,path] [--baseline path=value] [--metric NAME] [--margin X] [--max-seeds N] [--json]',
  about: `Groups the sweep's runs by its axes (or the --by setup fields) with mean ± std across seeds.
With a baseline (--baseline predictor.kind=none, or the sweep file's "baseline"), each group is paired
by seed with the group that has the baseline's value on that axis (the same values on the others) and
judged as the paper's claims are: the mean paired difference of --metric (default probeAcc), its
group-sequential 95% repeated interval (designed up to --max-seeds, default 12) and a verdict at
--margin (default: the seed noise, the std over seeds of the baseline group): better, not better
or undecided.`,
  options: { string: [ARCHIVE, 'by', ...COMPARE_OPTIONS], boolean: ['json'] },
  run: (a) =>
    withSweep(a, 'table', false, (archive, s) => {
      printTable(archive, s.uuid, byOption(a) ?? axesOf(s), a.flags.json === true, compareChoice(a, s.definition as SweepDefinition));
      return 0;
    }),
};
