/** `dplab sweep status <sweep-uuid|folder>`: each member's state now, as its executor sees it. */
import type { Verb } from '../args.ts';
import { ARCHIVE, importedSweep, printStates, withStoredExecutor, withSweep } from './common.ts';

/** The `status` verb. */
export const status: Verb = {
  usage: 'status <sweep-uuid|folder> [--json]',
  options: { string: [ARCHIVE], boolean: ['json'] },
  run: (a) =>
    withSweep(a, 'status', true, (archive, s) =>
      importedSweep(archive, s, 'status', a.flags.json === true) ??
      withStoredExecutor(archive, s, async (executor) => {
        printStates(await executor.poll(), a.flags.json === true);
        return 0;
      }),
    ),
};
