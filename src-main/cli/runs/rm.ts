/** `dplab runs rm <run>...`: deletes runs from the archive. */
import { printable } from '../../common/text.ts';
import type { Verb } from '../args.ts';
import { ARCHIVE, someRuns, withArchive } from './common.ts';

/** The `rm` verb. */
export const rm: Verb = {
  usage: 'rm <run>...',
  options: { string: [ARCHIVE] },
  run: (a) =>
    withArchive(a, {}, async (archive) => {
      const runs = someRuns(a, 'rm').map((r) => archive.resolveRun(r));
      // Through a manager: a run whose owner process lives is refused, one whose owner is gone is recovered first.
      const { RunManager } = await import('../../runs/manager.ts');
      const m = new RunManager(archive, { concurrency: 1 });
      try {
        for (const r of runs) {
          m.delete(r.uuid);
          console.log(`removed ${r.uuid}${r.name ? ` (${printable(r.name)})` : ''}`);
        }
      } finally {
        await m.close();
      }
      return 0;
    }),
};
