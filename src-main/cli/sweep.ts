/**
 * `dplab sweep <sweep.json>` starts an ablation grid; `dplab sweep table|status|watch|cancel|task`
 * handle one already started. One file per verb in `sweep/`, each parsed against its own options
 * (an option another verb reads is refused, not ignored).
 */
import { runVerbs, type Verbs } from './args.ts';
import { cancel } from './sweep/cancel.ts';
import { start } from './sweep/start.ts';
import { status } from './sweep/status.ts';
import { table } from './sweep/table.ts';
import { task } from './sweep/task.ts';
import { watch } from './sweep/watch.ts';

/** The verbs of `dplab sweep`; a first argument that names none is a sweep file to start. */
export const SWEEP_VERBS: Verbs = {
  command: 'sweep',
  verbs: { status, watch, cancel, table, task },
  fallback: start,
  common: '[--archive FILE]',
  footer: start.about,
};

/** The `sweep` sub-command. */
export function sweepCommand(args: string[]): Promise<number> {
  return runVerbs(SWEEP_VERBS, args);
}
