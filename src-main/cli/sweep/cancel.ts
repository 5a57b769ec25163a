/** `dplab sweep cancel <sweep-uuid|folder>`: stops every member that has not ended (scancel for a cluster sweep). */
import { membersFromArchive } from '../../runs/executor.ts';
import { storedExecutor } from '../../runs/executor-registry.ts';
import type { Verb } from '../args.ts';
import { ARCHIVE, importedSweep, printStates, withStoredExecutor, withSweep } from './common.ts';

/** The `cancel` verb. */
export const cancel: Verb = {
  usage: 'cancel <sweep-uuid|folder> [--json]',
  options: { string: [ARCHIVE], boolean: ['json'] },
  run: (a) =>
    withSweep(a, 'cancel', true, async (archive, s) => {
      const imported = importedSweep(archive, s, 'cancel', a.flags.json === true);
      if (imported !== undefined) return imported;
      if (storedExecutor(s.definition).kind === 'local') {
        // A local sweep's trainers belong to the process that started it (`dplab sweep` or `dplab serve`): ask through the archive.
        let n = 0;
        for (const m of membersFromArchive(archive, s.uuid)) {
          if (m.status === 'queued') archive.setStatus(m.runUuid, 'cancelled', { endedAt: Date.now() });
          else if (m.status === 'running') archive.requestCancel(m.runUuid);
          else continue;
          n++;
        }
        console.error(`asked ${n} member(s) of sweep ${s.uuid} to stop`);
        return 0;
      }
      return withStoredExecutor(archive, s, async (executor, stored) => {
        await executor.cancel();
        console.error(`cancelled sweep ${s.uuid}${stored.jobId ? ` (scancel ${String(stored.jobId)})` : ''}`);
        printStates(await executor.poll(), a.flags.json === true);
        return 0;
      });
    }),
};
