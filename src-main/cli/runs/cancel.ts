/** `dplab runs cancel <run>`: cancels a queued run, or asks the process training it to stop. */
import type { Verb } from '../args.ts';
import { ARCHIVE, oneRun, withArchive } from './common.ts';

/** The `cancel` verb. */
export const cancel: Verb = {
  usage: 'cancel <run>',
  options: { string: [ARCHIVE] },
  run: (a) =>
    withArchive(a, {}, async (archive) => {
      const r = archive.resolveRun(oneRun(a, 'cancel'));
      const { RunManager } = await import('../../runs/manager.ts');
      const m = new RunManager(archive, { concurrency: 1 });
      m.recover();
      const ok = m.cancel(r.uuid);
      await m.close();
      const now = archive.getRun(r.uuid)!;
      if (!ok) console.log(`run ${r.uuid} is ${now.status}: nothing to cancel`);
      else if (now.status === 'running') console.log(`asked the process running ${r.uuid} to cancel it`);
      else console.log(`run ${r.uuid} is ${now.status}`);
      return 0;
    }),
};
