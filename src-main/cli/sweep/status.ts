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
        const reused = s.members.filter((m) => m.reused).length;
        // A cluster sweep's executor knows only the members it trains; the sweep record knows the rest.
        if (reused && executor.kind !== 'local' && a.flags.json !== true) console.log(`${reused} more member(s) reused finished runs of the same setup hash (not trained by this sweep)`);
        return 0;
      }),
    ),
};
