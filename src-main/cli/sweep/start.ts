/**
 * `dplab sweep <sweep.json>`: expands an ablation grid (base setup × axes × seeds), reports every
 * invalid combination before anything starts, runs the members with the chosen executor, and prints
 * the result table (mean ± std across seeds of the final metrics, grouped by the axes).
 */
import { readFileSync } from 'node:fs';
import { openArchive, type Archive } from '../../archive/archive.ts';
import { resolveArchivePath } from '../../archive/paths.ts';
import { likelyBackend } from '../../runs/backend-probe.ts';
import type { SweepExecutor } from '../../runs/executor.ts';
import { createExecutor, EXECUTORS, isExecutorKind } from '../../runs/executor-registry.ts';
import { SLURM_FLAGS, slurmOptions } from '../../runs/executor-slurm.ts';
import { setupFootprintProblems } from '../../runs/footprint.ts';
import { DEFAULT_MAX_QUEUED, queueRoomProblem } from '../../runs/manager.ts';
import { thisProcess } from '../../runs/process.ts';
import { createSweepRuns, extendSweepRuns, withSeeds } from '../../runs/sweep.ts';
import { expandSweep, sweepAxes, sweepSeeds, type SweepDefinition } from '../../common/sweep.ts';
import { nextLook } from '../../math/sequential.ts';
import { allDecided } from '../../reproduce/compare.ts';
import type { Archive as ArchiveT } from '../../archive/archive.ts';
import { printable } from '../../common/text.ts';
import { backendOption, intOption, UsageError, type ParsedArgs, type Verb } from '../args.ts';
import { ARCHIVE, byOption, COMPARE_OPTIONS, compareChoice, followWith, printTable, storedChoice, sweepComparison, type CompareChoice } from './common.ts';

/** The Slurm options that take one value (`--sbatch-arg` repeats, `--detach` is a flag). */
const SLURM_VALUES = SLURM_FLAGS.filter((f) => f !== 'sbatch-arg' && f !== 'detach');

/** Starting a sweep: the verb taken when `dplab sweep` is given a file. */
export const start: Verb = {
  usage: `<sweep.json> [--dry-run] [--executor local|slurm] [--backend NAME] [--checkpoint-every N] [--by path,path] [--quiet] [--json]
  compare: [--baseline path=value] [--metric NAME] [--margin X]
  local:  [--concurrency N] [--max-queued N] [--until-decided [--max-seeds N]]
  slurm:  [--partition P] [--gpus-per-task N] [--cpus-per-task N] [--mem 8G] [--time 1-00:00:00]
          [--max-parallel N] [--account A] [--qos Q] [--sbatch-arg=--opt=value ...]
          [--folder DIR] [--signal-sec S] [--max-requeues N] [--detach]`,
  about: `sweep.json: { "name": "...", "base": { setup }, "axes": { "optim.lr": [0.01, 0.1], ... }, "seeds": 3,
              "slurm": { "partition": "gpu", "time": "12:00:00", "gpusPerTask": 1, ... } }
(axes may also be a list of { "path": ..., "values": [...] }; seeds a count or a list of seeds).
(--sbatch-arg / "sbatchArgs": one --flag[=value] each, resource and scheduling options only; options
that name files or run code on the node, such as --export, --output or --chdir, are refused.)
--executor local (default) trains the members here, --concurrency at a time; a sweep that would pass
--max-queued runs queued or running in the archive (default ${DEFAULT_MAX_QUEUED}) is refused whole. --executor slurm writes
a sweep folder (default ./dplab-sweeps/<name>-<id>; it must be on a filesystem the compute nodes see),
submits ONE job array (task i trains member i into its own shard, requeued and resumed from its
checkpoint when preempted or near its time limit), then follows it, merging each finished shard into
the archive (--detach: submit and return; 'dplab sweep watch' follows later).
The result table groups runs by the axes (or --by fields) with mean ± std across seeds; with a baseline
("baseline": { "path": "predictor.kind", "value": "none", "metric": "probeAcc", "margin": 0.01 } in the
file, or --baseline), each group's paired difference from it, repeated interval and verdict (see
'dplab sweep table --help'); a baseline, metric and margin given here are stored with the sweep.
A sweep (local or slurm) reuses finished runs of the same setup hash instead of training them again,
and says how many. --until-decided adds seeds in rounds, up to the looks of the
sequential design (3, 5, 8, 12, … seeds, at most --max-seeds, default 12), until every group is
better or not better than the baseline.`,
  options: {
    string: [ARCHIVE, 'concurrency', 'backend', 'checkpoint-every', 'by', 'executor', 'max-queued', ...COMPARE_OPTIONS, ...SLURM_VALUES],
    multi: ['sbatch-arg'],
    boolean: ['dry-run', 'json', 'quiet', 'detach', 'until-decided'],
  },
  run: startSweep,
};

/** The options given that only one executor reads, refused for the other. */
function checkExecutorOptions(a: ParsedArgs, kind: string): void {
  const slurmGiven = [...SLURM_VALUES.filter((f) => a.strings[f] !== undefined), ...(a.multi['sbatch-arg'] ? ['sbatch-arg'] : []), ...(a.flags.detach ? ['detach'] : [])];
  if (kind !== 'slurm' && slurmGiven.length) throw new UsageError(`${slurmGiven.map((f) => `--${f}`).join(', ')} ${slurmGiven.length > 1 ? 'apply' : 'applies'} only to --executor slurm`);
  if (kind !== 'local' && a.strings.concurrency !== undefined) throw new UsageError('--concurrency applies to --executor local (with slurm use --max-parallel)');
  if (kind !== 'local' && a.strings['max-queued'] !== undefined) throw new UsageError("--max-queued applies to --executor local (a cluster's queue is its own)");
}

async function startSweep(a: ParsedArgs): Promise<number> {
  if (a.positional.length !== 1) throw new UsageError('expected one sweep file');
  const kind = a.strings.executor ?? 'local';
  if (!isExecutorKind(kind)) throw new UsageError(`unknown executor '${kind}' (one of ${Object.keys(EXECUTORS).join(', ')})`);
  checkExecutorOptions(a, kind);
  const maxQueued = intOption(a, 'max-queued', 1) ?? DEFAULT_MAX_QUEUED;
  intOption(a, 'concurrency', 1); // read by the local executor from `extra`
  const checkpointEvery = intOption(a, 'checkpoint-every', 0);
  const backend = backendOption(a);
  const file = a.positional[0]!;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const { members, issues, definition } = expandSweep(raw);
  if (issues.length) {
    console.error(`dplab sweep: ${file} has ${issues.length} problem(s); nothing was started:`);
    for (const i of issues.slice(0, 50)) {
      const where = i.idx < 0 ? 'sweep' : `run ${i.idx} (${Object.entries(i.combo).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')})`;
      console.error(`  ${where}: ${i.path || '(setup)'}: ${i.message}`);
    }
    if (issues.length > 50) console.error(`  … ${issues.length - 50} more`);
    return 2;
  }
  if (kind === 'local') {
    // dplab run's memory preflight for each member this machine would train (a Slurm node's
    // memory is its own, so cluster sweeps are not judged here).
    const unfit = members.flatMap((m) => setupFootprintProblems(m.setup, likelyBackend(backend)).map((p) => ({ m, p })));
    if (unfit.length) {
      console.error(`dplab sweep: ${file} has ${unfit.length} member(s) this machine cannot run; nothing was started:`);
      for (const { m, p } of unfit.slice(0, 50)) console.error(`  run ${m.idx} (${Object.entries(m.combo).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}): ${p.path}: ${p.message}`);
      if (unfit.length > 50) console.error(`  … ${unfit.length - 50} more`);
      return 2;
    }
  }
  let def = definition!;
  const extra: Record<string, string | string[] | undefined> = { concurrency: a.strings.concurrency, 'sbatch-arg': a.multi['sbatch-arg'] };
  for (const f of SLURM_VALUES) extra[f] = a.strings[f];
  if (kind === 'slurm') {
    try {
      slurmOptions(def.slurm, extra); // a bad option is a usage error, before anything is written
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const choice = compareChoice(a, def);
  const untilDecided = a.flags['until-decided'] === true;
  if (untilDecided && !choice) throw new UsageError('--until-decided compares every group with a baseline: name one with --baseline path=value (or "baseline" in the sweep file)');
  if (untilDecided && kind !== 'local') throw new UsageError('--until-decided adds seeds to a local sweep (--executor local)');
  if (!untilDecided && a.strings['max-seeds'] !== undefined) throw new UsageError('--max-seeds goes with --until-decided');
  if (choice && !(byOption(a) ?? sweepAxes(def).map((x) => x.path)).includes(choice.baseline.path)) throw new UsageError(`--baseline ${choice.baseline.path} is not one of the grouping fields; add it to --by`);
  // The baseline, metric and margin given on the command line are the sweep's own from now on:
  // stored with it (and in a cluster sweep's folder), so 'sweep table' and the app judge it the same way.
  if (choice) def = { ...def, baseline: storedChoice(choice) };
  if (a.flags['dry-run']) {
    for (const m of members) console.log(`${String(m.idx).padStart(4)}  ${printable(m.name)}`);
    console.log(`${members.length} run(s)`);
    return 0;
  }
  let archive: Archive | undefined;
  let executor: SweepExecutor | undefined;
  try {
    archive = openArchive(resolveArchivePath(a.strings[ARCHIVE]));
    const arc = archive;
    executor = await createExecutor(kind, arc, null, { backend, checkpointEvery, extra });
    if (kind === 'local') {
      // The served lab's bound, checked after the executor recovered runs of dead processes and
      // before any row is written: the whole sweep is queued or none of it.
      const full = queueRoomProblem(arc, members.length, maxQueued);
      if (full) {
        console.error(`dplab sweep: ${full}`);
        return 2;
      }
    }
    // A local sweep's runs are owned by this process from the start; Slurm placeholders by their
    // watcher. Either executor reuses finished runs of the same setup hash: only the others train
    // (a cluster sweep's job array has a task for each of those, by member index).
    const created = createSweepRuns(arc, def, members, kind === 'local' ? thisProcess() : undefined);
    const { sweepId: sweepUuid, runIds: uuids } = created;
    const fresh = new Set(created.newRunIds);
    const launch = { sweepUuid, definition: def, members: members.flatMap((m, i) => (fresh.has(uuids[i]!) ? [{ idx: m.idx, runUuid: uuids[i]!, name: m.name, combo: m.combo, setup: m.setup }] : [])) };
    let stored: Record<string, unknown>;
    try {
      stored = await executor.start(launch);
    } catch (e) {
      arc.discardSweep(sweepUuid);
      throw e;
    }
    arc.setSweepDefinition(sweepUuid, { ...def, executor: stored });
    if (kind === 'slurm') {
      const reused = `${created.reused} reused (finished runs of the same setup hash)`;
      console.error(
        created.newRunIds.length
          ? `sweep ${sweepUuid}: ${members.length} run(s) as Slurm job array ${String(stored.jobId)}: ${created.newRunIds.length} to train, ${reused}; folder ${String(stored.folder)}`
          : `sweep ${sweepUuid}: ${members.length} run(s), no Slurm job: 0 to train, ${reused}; folder ${String(stored.folder)}`,
      );
      if (a.flags.detach) {
        console.error(`follow it with: dplab sweep watch ${sweepUuid}`);
        console.log(sweepUuid);
        return 0;
      }
    } else {
      console.error(`sweep ${sweepUuid}: ${members.length} run(s): ${created.newRunIds.length} to train, ${(executor as SweepExecutor & { concurrency?: number }).concurrency ?? 1} at a time; ${created.reused} reused (finished runs of the same setup hash)`);
    }
    const by = byOption(a) ?? sweepAxes(def).map((x) => x.path);
    if (!untilDecided) return await followWith(arc, executor, sweepUuid, created.newRunIds.length, a.flags.quiet === true, by, a.flags.json === true, choice);
    return await decideInRounds(arc, executor, sweepUuid, def, by, choice!, a, created.newRunIds.length);
  } finally {
    await executor?.close();
    archive?.close();
  }
}

/**
 * `--until-decided`: follows the first round, then adds seeds to every group up to the next look
 * of the sequential design (nextLook: 3, 5, 8, 12, … ≤ --max-seeds) while some group is neither
 * better nor not better than the baseline; Ctrl-C cancels the round in flight and stops.
 */
async function decideInRounds(archive: ArchiveT, executor: SweepExecutor, sweepUuid: string, first: SweepDefinition, by: string[], choice: CompareChoice, a: ParsedArgs, toTrain: number): Promise<number> {
  let def = first;
  const quiet = a.flags.quiet === true;
  let todo = toTrain;
  for (;;) {
    const code = await followWith(archive, executor, sweepUuid, todo, quiet, by, false, choice, true);
    if (code === 130) return code;
    if (archive.listRuns({ sweep: sweepUuid, status: 'cancelled' }).length) {
      console.error('the sweep was cancelled; no more rounds');
      return 130;
    }
    const groups = sweepComparison(archive.listRuns({ sweep: sweepUuid, order: 'oldest' }), by, choice);
    const n = sweepSeeds(def).length;
    const next = allDecided(groups) ? null : nextLook(n, choice.maxSeeds);
    if (next === null) {
      console.error(allDecided(groups) ? `every group is decided at ${n} seed(s)` : `stopped at --max-seeds ${choice.maxSeeds}: ${groups.filter((g) => !g.isBaseline && g.word === 'undecided').length} group(s) still undecided`);
      printTable(archive, sweepUuid, by, a.flags.json === true, choice);
      return code;
    }
    const had = new Set(sweepSeeds(def));
    def = withSeeds(def, next);
    const { members, issues } = expandSweep(def);
    if (issues.length) throw new Error(`the sweep with ${next} seeds has ${issues.length} problem(s): ${issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    const fresh = members.filter((m) => !had.has(m.combo.seed as number));
    const full = queueRoomProblem(archive, fresh.length, intOption(a, 'max-queued', 1) ?? DEFAULT_MAX_QUEUED);
    if (full) {
      console.error(`dplab sweep: ${full}`);
      return 2;
    }
    const out = extendSweepRuns(archive, sweepUuid, { ...def, executor: (archive.getSweep(sweepUuid)!.definition as SweepDefinition).executor }, fresh, thisProcess());
    const added = new Set(out.newRunIds);
    const idxOf = new Map(archive.getSweep(sweepUuid)!.members.map((m) => [m.runUuid, m.idx]));
    console.error(`round to ${next} seeds: ${out.newRunIds.length} run(s) to train, ${out.reused} reused`);
    await executor.start({ sweepUuid, definition: def, members: fresh.flatMap((m, i) => (added.has(out.runIds[i]!) ? [{ idx: idxOf.get(out.runIds[i]!) ?? m.idx, runUuid: out.runIds[i]!, name: m.name, combo: m.combo, setup: m.setup }] : [])) });
    todo = out.newRunIds.length;
  }
}
