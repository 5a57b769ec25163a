/**
 * `dplab sweep watch <sweep-uuid|folder>`: follows a cluster sweep to the end (merging finished
 * shards), then prints the result table; a local sweep's state is printed once, since its trainers
 * belong to the process that started it.
 */
import type { Verb } from '../args.ts';
import { ARCHIVE, axesOf, byOption, followWith, importedSweep, printStates, withStoredExecutor, withSweep } from './common.ts';

/** The `watch` verb. */
export const watch: Verb = {
  usage: 'watch <sweep-uuid|folder> [--by path,path] [--json]',
  about: 'Follows a cluster sweep until every member ends, then prints the result table (grouped by the axes or --by fields).',
  options: { string: [ARCHIVE, 'by'], boolean: ['json'] },
  run: (a) =>
    withSweep(a, 'watch', true, (archive, s) =>
      importedSweep(archive, s, 'watch', a.flags.json === true) ??
      withStoredExecutor(archive, s, async (executor) => {
        if (executor.kind === 'local') {
          printStates(await executor.poll(), a.flags.json === true);
          return 0;
        }
        // Members the sweep reused were finished before it started: the executor trains the rest.
        return followWith(archive, executor, s.uuid, s.members.filter((m) => !m.reused).length, false, byOption(a) ?? axesOf(s), a.flags.json === true);
      }),
    ),
};
