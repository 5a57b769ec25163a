/**
 * `dplab runs <verb>`: browsing and managing the archive's runs, one file per verb in `runs/`, each
 * parsed against its own options (an option of another verb is refused, not ignored). Runs are named
 * by uuid or a unique prefix of it (≥ 4 characters).
 */
import { runVerbs, type Verbs } from './args.ts';
import { cancel } from './runs/cancel.ts';
import { reportRunsError } from './runs/common.ts';
import { compare } from './runs/compare.ts';
import { exportVerb } from './runs/export.ts';
import { list } from './runs/list.ts';
import { note } from './runs/note.ts';
import { resume } from './runs/resume.ts';
import { rm } from './runs/rm.ts';
import { show } from './runs/show.ts';
import { tag } from './runs/tag.ts';

/** The verbs of `dplab runs`, in the order the help lists them. */
export const RUNS_VERBS: Verbs = {
  command: 'runs',
  verbs: { list, show, compare, export: exportVerb, rm, tag, note, resume, cancel },
  common: '[--archive FILE]',
  footer: '<run> is a uuid or a unique prefix of one.',
  onError: reportRunsError,
};

/** The `runs` sub-command. */
export function runsCommand(args: string[]): Promise<number> {
  return runVerbs(RUNS_VERBS, args);
}
