/** `dplab sweep task <folder> <i>`: one task of a cluster sweep's job array (called by its job.sh). */
import { UsageError, type Verb } from '../args.ts';

/** The `task` verb. */
export const task: Verb = {
  usage: 'task <sweep-folder> <member-index>   (run by the job script of a Slurm sweep)',
  options: {},
  run: async (a) => {
    if (a.positional.length !== 2 || !/^\d+$/.test(a.positional[1]!)) throw new UsageError('expected a sweep folder and a member index');
    const { runSweepTask } = await import('../../runs/slurm-task.ts');
    return runSweepTask(a.positional[0]!, Number(a.positional[1]));
  },
};
