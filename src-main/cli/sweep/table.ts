/** `dplab sweep table <sweep-uuid>`: the result table of a sweep already in the archive. */
import type { Verb } from '../args.ts';
import { ARCHIVE, axesOf, byOption, printTable, withSweep } from './common.ts';

/** The `table` verb. */
export const table: Verb = {
  usage: 'table <sweep-uuid> [--by path,path] [--json]',
  about: "Groups the sweep's runs by its axes (or the --by setup fields) with mean ± std across seeds.",
  options: { string: [ARCHIVE, 'by'], boolean: ['json'] },
  run: (a) =>
    withSweep(a, 'table', false, (archive, s) => {
      printTable(archive, s.uuid, byOption(a) ?? axesOf(s), a.flags.json === true);
      return 0;
    }),
};
