/**
 * `dplab sweep <sweep.json>`: expands an ablation grid (base setup × axes × seeds), reports every
 * invalid combination before anything starts, runs the members through the run manager, and prints
 * the result table (mean ± std across seeds of the final metrics, grouped by the axes).
 * `dplab sweep table <sweep-uuid>` prints the table of a sweep already in the archive.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive, RUN_STATUSES, type Archive } from '../archive/archive.ts';
import { resolveArchivePath } from '../archive/paths.ts';
import { expandSweep, sweepAxes, type SweepDefinition } from '../spec/sweep.ts';
import { printable } from '../spec/text.ts';
import { createSweepRuns } from '../runs/sweep.ts';
import { thisProcess } from '../runs/process.ts';
import { FINAL_METRICS, formatGroupTable, groupRuns } from '../runs/aggregate.ts';
import { BASELINE_METRICS, describeEvalProtocol, runEvalProtocol } from '../spec/metrics.ts';
import { membersFromArchive, type MemberState, type SweepExecutor } from '../runs/executor.ts';
import { createExecutor, EXECUTORS, isExecutorKind, storedExecutor } from '../runs/executor-registry.ts';
import { SLURM_FLAGS, slurmOptions } from '../runs/executor-slurm.ts';
import { readManifest } from '../runs/sweep-folder.ts';
import { parseArgs } from './args.ts';
import { likelyBackend } from '../runs/backend-probe.ts';
import { setupFootprintProblems } from '../runs/footprint.ts';
import { DEFAULT_MAX_QUEUED, queueRoomProblem } from '../runs/manager.ts';
import type { BackendPreference } from '../spec/backends.ts';

const HELP = `usage: dplab sweep <sweep.json> [--dry-run] [--executor local|slurm] [--backend NAME]
                   [--checkpoint-every N] [--by path,path] [--archive FILE] [--quiet]
         local:  [--concurrency N] [--max-queued N]
         slurm:  [--partition P] [--gpus-per-task N] [--cpus-per-task N] [--mem 8G] [--time 1-00:00:00]
                 [--max-parallel N] [--account A] [--qos Q] [--sbatch-arg=--opt=value ...]
                 [--folder DIR] [--signal-sec S] [--max-requeues N] [--detach]
       dplab sweep status|watch|cancel <sweep-uuid|folder> [--json] [--archive FILE]
       dplab sweep table <sweep-uuid> [--by path,path] [--json] [--archive FILE]

sweep.json: { "name": "...", "base": { setup }, "axes": { "optim.lr": [0.01, 0.1], ... }, "seeds": 3,
              "slurm": { "partition": "gpu", "time": "12:00:00", "gpusPerTask": 1, ... } }
(--sbatch-arg / "sbatchArgs": one --flag[=value] each, resource and scheduling options only; options
that name files or run code on the node, such as --export, --output or --chdir, are refused.)
(axes may also be a list of { "path": ..., "values": [...] }; seeds a count or a list of seeds).
--executor local (default) trains the members here, --concurrency at a time; a sweep that would pass
--max-queued runs queued or running in the archive (default ${DEFAULT_MAX_QUEUED}) is refused whole. --executor slurm writes
a sweep folder (default ./dplab-sweeps/<name>-<id>; it must be on a filesystem the compute nodes see),
submits ONE job array (task i trains member i into its own shard, requeued and resumed from its
checkpoint when preempted or near its time limit), then follows it, merging each finished shard into
the archive (--detach: submit and return; 'dplab sweep watch' follows later).
The result table groups runs by the axes (or --by fields) with mean ± std across seeds.`;

/** The `sweep` sub-command. */
export async function sweepCommand(args: string[]): Promise<number> {
  if (args[0] === 'task') return taskCommand(args.slice(1));
  const a = parseArgs(args, {
    string: ['archive', 'concurrency', 'backend', 'checkpoint-every', 'by', 'executor', 'max-queued', ...SLURM_FLAGS.filter((f) => f !== 'sbatch-arg')],
    multi: ['sbatch-arg'],
    boolean: ['help', 'dry-run', 'json', 'quiet', 'detach'],
  });
  if (a.flags.help || a.positional.length === 0) {
    console.log(HELP);
    return a.flags.help ? 0 : 2;
  }
  if (a.error) {
    console.error(`dplab sweep: ${a.error}`);
    return 2;
  }
  const by = a.strings.by?.split(',').map((x) => x.trim()).filter(Boolean);
  const sub = a.positional[0]!;
  if (['table', 'status', 'watch', 'cancel'].includes(sub)) {
    if (a.positional.length !== 2) {
      console.error(`dplab sweep ${sub}: expected one sweep uuid${sub === 'table' ? '' : ' or sweep folder'}`);
      return 2;
    }
    let archive: Archive | undefined;
    try {
      archive = openArchive(resolveArchivePath(a.strings.archive), { create: sub !== 'table' });
      const s = findSweep(archive, a.positional[1]!);
      if (sub === 'table') {
        printTable(archive, s.uuid, by ?? sweepAxes(s.definition as SweepDefinition).map((x) => x.path), a.flags.json === true);
        return 0;
      }
      return await follow(archive, s.uuid, sub as 'status' | 'watch' | 'cancel', a.flags.json === true, by);
    } catch (e) {
      console.error(`dplab sweep ${sub}: ${(e as Error).message}`);
      return 1;
    } finally {
      archive?.close();
    }
  }
  if (a.positional.length !== 1) {
    console.error('dplab sweep: expected one sweep file (dplab sweep --help)');
    return 2;
  }
  const kind = a.strings.executor ?? 'local';
  if (!isExecutorKind(kind)) {
    console.error(`dplab sweep: unknown executor '${kind}' (one of ${Object.keys(EXECUTORS).join(', ')})`);
    return 2;
  }
  const slurmGiven = SLURM_FLAGS.filter((f) => (f === 'sbatch-arg' ? a.multi[f] : a.strings[f]) !== undefined || (f === 'detach' && a.flags.detach));
  if (kind !== 'slurm' && (slurmGiven.length || a.flags.detach)) {
    console.error(`dplab sweep: ${[...slurmGiven.map((f) => `--${f}`), ...(a.flags.detach ? ['--detach'] : [])].join(', ')} only apply to --executor slurm`);
    return 2;
  }
  if (kind !== 'local' && a.strings.concurrency !== undefined) {
    console.error('dplab sweep: --concurrency applies to --executor local (with slurm use --max-parallel)');
    return 2;
  }
  const maxQueued = a.strings['max-queued'] !== undefined ? Number(a.strings['max-queued']) : DEFAULT_MAX_QUEUED;
  if (kind !== 'local' && a.strings['max-queued'] !== undefined) {
    console.error("dplab sweep: --max-queued applies to --executor local (a cluster's queue is its own)");
    return 2;
  }
  if (!(Number.isInteger(maxQueued) && maxQueued > 0)) {
    console.error(`dplab sweep: --max-queued must be a positive integer, got '${a.strings['max-queued']}'`);
    return 2;
  }
  const file = a.positional[0]!;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`dplab sweep: cannot read ${file}: ${(e as Error).message}`);
    return 2;
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
    const backend = likelyBackend((a.strings.backend ?? 'auto') as BackendPreference);
    const unfit = members.flatMap((m) => setupFootprintProblems(m.setup, backend).map((p) => ({ m, p })));
    if (unfit.length) {
      console.error(`dplab sweep: ${file} has ${unfit.length} member(s) this machine cannot run; nothing was started:`);
      for (const { m, p } of unfit.slice(0, 50)) console.error(`  run ${m.idx} (${Object.entries(m.combo).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}): ${p.path}: ${p.message}`);
      if (unfit.length > 50) console.error(`  … ${unfit.length - 50} more`);
      return 2;
    }
  }
  const def = definition!;
  const axes = sweepAxes(def).map((x) => x.path);
  const extra: Record<string, string | string[] | undefined> = { concurrency: a.strings.concurrency, 'sbatch-arg': a.multi['sbatch-arg'] };
  for (const f of SLURM_FLAGS) if (f !== 'sbatch-arg') extra[f] = a.strings[f];
  if (kind === 'slurm') {
    try {
      slurmOptions(def.slurm, extra); // a bad option is a usage error, before anything is written
    } catch (e) {
      console.error(`dplab sweep: ${(e as Error).message}`);
      return 2;
    }
  }
  if (a.flags['dry-run']) {
    for (const m of members) console.log(`${String(m.idx).padStart(4)}  ${printable(m.name)}`);
    console.log(`${members.length} run(s)`);
    return 0;
  }
  const concurrency = a.strings.concurrency !== undefined ? Number(a.strings.concurrency) : undefined;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    console.error(`dplab sweep: --concurrency must be a positive integer, got '${a.strings.concurrency}'`);
    return 2;
  }
  const every = a.strings['checkpoint-every'] !== undefined ? Number(a.strings['checkpoint-every']) : undefined;
  if (every !== undefined && !(Number.isInteger(every) && every >= 0)) {
    console.error(`dplab sweep: --checkpoint-every must be a non-negative integer, got '${a.strings['checkpoint-every']}'`);
    return 2;
  }
  let archive: Archive | undefined;
  let executor: SweepExecutor | undefined;
  try {
    archive = openArchive(resolveArchivePath(a.strings.archive));
    const arc = archive;
    executor = await createExecutor(kind, arc, null, { backend: (a.strings.backend ?? 'auto') as 'auto', checkpointEvery: every, extra });
    if (kind === 'local') {
      // The served lab's bound, checked after the executor recovered runs of dead processes and
      // before any row is written: the whole sweep is queued or none of it.
      const full = queueRoomProblem(arc, members.length, maxQueued);
      if (full) {
        console.error(`dplab sweep: ${full}`);
        return 2;
      }
    }
    // A local sweep's runs are owned by this process from the start; Slurm placeholders by their watcher.
    const { sweepId: sweepUuid, runIds: uuids } = createSweepRuns(arc, def, members, kind === 'local' ? thisProcess() : undefined);
    const launch = { sweepUuid, definition: def, members: members.map((m, i) => ({ idx: m.idx, runUuid: uuids[i]!, name: m.name, combo: m.combo, setup: m.setup })) };
    let stored: Record<string, unknown>;
    try {
      stored = await executor.start(launch);
    } catch (e) {
      arc.discardSweep(sweepUuid);
      throw e;
    }
    arc.setSweepDefinition(sweepUuid, { ...def, executor: stored });
    if (kind === 'slurm') {
      console.error(`sweep ${sweepUuid}: ${members.length} run(s) as Slurm job array ${String(stored.jobId)}; folder ${String(stored.folder)}`);
      if (a.flags.detach) {
        console.error(`follow it with: dplab sweep watch ${sweepUuid}`);
        console.log(sweepUuid);
        return 0;
      }
    } else {
      console.error(`sweep ${sweepUuid}: ${members.length} run(s), ${(executor as SweepExecutor & { concurrency?: number }).concurrency ?? 1} at a time`);
    }
    return await followWith(arc, executor, sweepUuid, members.length, a.flags.quiet === true, by ?? axes, a.flags.json === true);
  } catch (e) {
    console.error(`dplab sweep: ${(e as Error).message}`);
    return 1;
  } finally {
    await executor?.close();
    archive?.close();
  }
}

/** Finds a sweep by uuid, unique uuid prefix, or sweep folder. */
function findSweep(archive: Archive, ref: string) {
  let uuid = ref;
  if (existsSync(join(ref, 'manifest.json'))) {
    uuid = readManifest(ref).sweepUuid;
    if (!archive.getSweep(uuid)) throw new Error(`the sweep in ${ref} is not in ${archive.file}; merge it first with 'dplab archive import ${ref}'`);
  } else if (!archive.getSweep(ref) && /^[0-9a-f-]{4,}$/i.test(ref)) {
    const hits = archive.listSweeps().filter((s) => s.uuid.startsWith(ref.toLowerCase()));
    if (hits.length > 1) throw new Error(`'${ref}' matches ${hits.length} sweeps; give more of the uuid`);
    if (hits.length === 1) uuid = hits[0]!.uuid;
  }
  const s = archive.getSweep(uuid);
  if (!s) throw new Error(`no sweep ${ref} in ${archive.file}`);
  return s;
}

/** `status`, `watch` and `cancel` of a sweep already started, with the executor it was started with. */
async function follow(archive: Archive, sweepUuid: string, sub: 'status' | 'watch' | 'cancel', json: boolean, by?: string[]): Promise<number> {
  const s = archive.getSweep(sweepUuid)!;
  const { kind, stored, imported } = storedExecutor(s.definition);
  if (imported) {
    // Another archive's record: its folder and job are not this lab's to read, requeue or cancel.
    if (sub !== 'status') {
      console.error(
        `dplab sweep ${sub}: sweep ${sweepUuid} came from another archive; its folder ${String(stored.folder ?? '(none)')} and Slurm job ${String(stored.jobId ?? '(none)')} are not followed or cancelled from here (merge its finished shards with 'dplab archive import FOLDER')`,
      );
      return 1;
    }
    printStates(membersFromArchive(archive, sweepUuid), json);
    return 0;
  }
  if (kind === 'local' && sub !== 'status') {
    // A local sweep's trainers belong to the process that started it (`dplab sweep` or `dplab serve`).
    if (sub === 'cancel') {
      let n = 0;
      for (const m of membersFromArchive(archive, sweepUuid)) {
        if (m.status === 'queued') archive.setStatus(m.runUuid, 'cancelled', { endedAt: Date.now() });
        else if (m.status === 'running') archive.requestCancel(m.runUuid);
        else continue;
        n++;
      }
      console.error(`asked ${n} member(s) of sweep ${sweepUuid} to stop`);
      return 0;
    }
  }
  const executor = await createExecutor(kind, archive, sweepUuid, {}, stored);
  try {
    if (sub === 'cancel') {
      await executor.cancel();
      console.error(`cancelled sweep ${sweepUuid}${stored.jobId ? ` (scancel ${String(stored.jobId)})` : ''}`);
      const states = await executor.poll();
      printStates(states, json);
      return 0;
    }
    if (sub === 'status' || kind === 'local') {
      const states = await executor.poll();
      printStates(states, json);
      return 0;
    }
    const axes = by ?? sweepAxes(s.definition as SweepDefinition).map((x) => x.path);
    return await followWith(archive, executor, sweepUuid, s.members.length, false, axes, json);
  } finally {
    if (kind !== 'local') await executor.close();
  }
}

/** Follows an executor to the end, printing each member that finishes, then the result table. */
async function followWith(archive: Archive, executor: SweepExecutor, sweepUuid: string, total: number, quiet: boolean, by: string[], json: boolean): Promise<number> {
  let finished = 0;
  const done = new Set<string>();
  const controller = new AbortController();
  const onSigint = () => {
    if (executor.kind === 'local') console.error('cancelling the sweep…');
    else console.error(`stopped following; the sweep goes on (dplab sweep watch ${sweepUuid}, or dplab sweep cancel ${sweepUuid})`);
    if (executor.kind === 'local') void executor.cancel();
    else controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const states = await executor.follow((m) => {
      if (quiet) return;
      if (['queued', 'running'].includes(m.status)) {
        if (executor.kind !== 'local' && m.detail) console.error(`          ${m.detail.split('\n')[0]}  ${printable(m.name ?? m.runUuid)}${m.step !== null && m.totalSteps ? ` ${m.step}/${m.totalSteps}` : ''}`);
        return;
      }
      if (done.has(m.runUuid)) return;
      done.add(m.runUuid);
      finished++;
      console.error(`[${finished}/${total}] ${m.status.padEnd(11)} ${printable(m.name ?? m.runUuid)}${m.status !== 'completed' && m.detail ? `\n${m.detail}` : ''}`);
    }, controller.signal);
    if (controller.signal.aborted) return 130;
    printTable(archive, sweepUuid, by, json);
    return states.some((m) => m.status === 'failed' || m.status === 'interrupted') ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function printStates(states: MemberState[], json: boolean): void {
  if (json) {
    console.log(JSON.stringify(states, null, 2));
    return;
  }
  for (const m of states) {
    const prog = m.step !== null && m.totalSteps ? `${m.step}/${m.totalSteps}` : '';
    console.log(`${String(m.idx).padStart(4)}  ${m.status.padEnd(10)} ${prog.padEnd(11)} ${printable(m.name ?? m.runUuid)}${m.detail ? `  ${m.detail.replace(/\n/g, '\n        ')}` : ''}`);
  }
  const count = (st: string) => states.filter((m) => m.status === st).length;
  console.log(RUN_STATUSES.filter((x) => count(x)).map((x) => `${count(x)} ${x}`).join(' · '));
}

/** `dplab sweep task <folder> <i>`: one task of a cluster sweep's job array (called by its job.sh). */
async function taskCommand(args: string[]): Promise<number> {
  if (args.length !== 2 || !/^\d+$/.test(args[1]!)) {
    console.error('usage: dplab sweep task <sweep-folder> <member-index>  (run by the job script of a Slurm sweep)');
    return 2;
  }
  try {
    const { runSweepTask } = await import('../runs/slurm-task.ts');
    return await runSweepTask(args[0]!, Number(args[1]));
  } catch (e) {
    console.error(`dplab sweep task: ${(e as Error).message}`);
    return 1;
  }
}

function printTable(archive: Archive, sweepUuid: string, by: string[], json: boolean): void {
  const runs = archive.listRuns({ sweep: sweepUuid, order: 'oldest' });
  const rows = groupRuns(runs.map((r) => ({ uuid: r.uuid, status: r.status, setup: r.setup, summary: r.summary as unknown as Record<string, unknown> | null })), by);
  // The same groups at random init (each run's step-0 evaluation), and the protocols measured with.
  const withBaseline = runs.filter((r) => r.summary?.baseline);
  const baseline = withBaseline.length
    ? groupRuns(withBaseline.map((r) => ({ uuid: r.uuid, status: r.status, setup: r.setup, summary: r.summary!.baseline as unknown as Record<string, unknown> })), by, BASELINE_METRICS)
    : null;
  const protocols = [...new Set(runs.map((r) => describeEvalProtocol(runEvalProtocol(r))))];
  if (json) console.log(JSON.stringify({ sweep: sweepUuid, by, groups: rows, baseline, protocols }, null, 2));
  else {
    console.log(formatGroupTable(rows, by, FINAL_METRICS));
    if (baseline) console.log(`\nrandom init (step 0, before any update), same groups:\n${formatGroupTable(baseline, by, BASELINE_METRICS)}`);
    console.log(protocols.length === 1 ? `protocol: ${protocols[0]}` : `protocols differ (probe and kNN not comparable across them): ${protocols.join(' | ')}`);
  }
}
