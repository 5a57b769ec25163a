/** `dplab runs resume <run>`: continues a run from its newest checkpoint in this process, printing progress. */
import { backendOption, formatDuration, intOption, type Verb } from '../args.ts';
import { ARCHIVE, oneRun, withArchive } from './common.ts';

/** The `resume` verb. */
export const resume: Verb = {
  usage: 'resume <run> [--backend NAME] [--checkpoint-every N] [--quiet]',
  about: 'Continues from the newest checkpoint (or the start, without one); Ctrl-C cancels it again.',
  options: { string: [ARCHIVE, 'backend', 'checkpoint-every'], boolean: ['quiet'] },
  run: (a) => {
    const ref = oneRun(a, 'resume');
    const backend = backendOption(a);
    const checkpointEvery = intOption(a, 'checkpoint-every', 0);
    const quiet = a.flags.quiet === true;
    return withArchive(a, {}, async (archive) => {
      const r = archive.resolveRun(ref);
      const { RunManager } = await import('../../runs/manager.ts');
      const m = new RunManager(archive, { concurrency: 1, backend, checkpointEvery });
      m.recover();
      const fresh = archive.getRun(r.uuid)!;
      const ck = archive.latestCheckpoint(r.uuid);
      m.resume(r.uuid);
      if (!quiet) console.error(`resuming ${r.uuid} from ${ck ? `step ${ck.step}` : 'the start (no checkpoint)'} (was ${fresh.status})`);
      let lastPrint = 0;
      m.on('event', (_u: string, e) => {
        if (quiet || e.type !== 'progress') return;
        if (Date.now() - lastPrint > 5000 || e.step === e.totalSteps) {
          lastPrint = Date.now();
          console.error(`step ${e.step}/${e.totalSteps}  ETA ${e.etaSec === null ? '—' : formatDuration(e.etaSec)}`);
        }
      });
      const onSigint = () => m.cancel(r.uuid);
      process.once('SIGINT', onSigint);
      try {
        const done = await m.waitFor(r.uuid);
        console.log(JSON.stringify(done.summary ?? { status: done.status, error: done.error }, null, 2));
        return done.status === 'completed' ? 0 : done.status === 'cancelled' ? 130 : done.status === 'diverged' ? 4 : 1;
      } finally {
        process.off('SIGINT', onSigint);
        await m.close();
      }
    });
  },
};
