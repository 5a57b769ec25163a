/**
 * One task of a cluster sweep's job array (`dplab sweep task <folder> <i>`, called by job.sh):
 * trains member i into its own shard (shards/<i>.sqlite, a one-run archive with its checkpoints),
 * through a run manager so the trainer is a child process whose death the task sees. On a new
 * attempt (Slurm requeued the task) it resumes from the shard's newest checkpoint.
 *
 * - SIGUSR1 (sent `--signal` seconds before the time limit) and a trainer that died: the task
 *   requeues itself (`scontrol requeue`), up to the manifest's maxRequeues, and the next attempt resumes.
 * - SIGTERM (scancel, preemption): the trainer stops; with the folder's CANCELLED marker the member
 *   ends 'cancelled', otherwise it stays resumable and the lab following the sweep requeues it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { openArchive, type Archive } from '../archive/archive.ts';
import { parseSetup } from '../common/setup.ts';
import { setupHash } from '../common/hash.ts';
import { threadShare, type BackendPreference } from '../common/backends.ts';
import { RunManager } from './manager.ts';
import { FINAL_TASK_STATES, folderPaths, readManifest, writeAtomic, type TaskStatus } from './sweep-folder.ts';

/** Exit code of a task that asked Slurm to requeue it (Slurm normally kills it first). */
export const REQUEUE_EXIT = 75;

/**
 * The CPUs Slurm allocated to this task (SLURM_CPUS_PER_TASK, else SLURM_CPUS_ON_NODE), or null
 * outside an allocation. A cluster that does not bind tasks to their CPUs (TaskPlugin=task/none)
 * leaves the whole node visible, and a trainer sized to it would crowd the jobs beside it.
 */
export function allocatedCpus(env: NodeJS.ProcessEnv = process.env): number | null {
  for (const v of [env.SLURM_CPUS_PER_TASK, env.SLURM_CPUS_ON_NODE]) {
    const n = Number(v);
    if (v && Number.isInteger(n) && n > 0) return n;
  }
  return null;
}

/** Runs task `idx` of the sweep in `folder`; resolves with the process exit code. */
export async function runSweepTask(folder: string, idx: number): Promise<number> {
  const p = folderPaths(folder);
  const manifest = readManifest(folder);
  const member = manifest.members.find((m) => m.idx === idx);
  if (!member) throw new Error(`the sweep in ${folder} has no member ${idx}`);
  // Written (validated) when the sweep was made, perhaps by an older lab.
  const setup = parseSetup(JSON.parse(readFileSync(p.setup(idx), 'utf8')), { stored: true });
  const restarts = Number(process.env.SLURM_RESTART_COUNT ?? 0) || 0;
  const jobId = process.env.SLURM_ARRAY_JOB_ID ? `${process.env.SLURM_ARRAY_JOB_ID}_${idx}` : (process.env.SLURM_JOB_ID ?? null);
  const t0 = Math.round(performance.timeOrigin); // the process start: node and the CLI's loading count too
  const status: TaskStatus = { state: 'starting', step: null, totalSteps: null, restarts, host: hostname(), jobId, updatedAt: t0, startedAt: t0, resumedFrom: null, firstStepSec: null, error: null };
  const write = (patch: Partial<TaskStatus> = {}) => {
    Object.assign(status, patch, { updatedAt: Date.now() });
    writeAtomic(p.status(idx), JSON.stringify(status) + '\n');
  };

  const shard = openArchive(p.shard(idx));
  // A rollback journal, not WAL: the shard sits on a network filesystem and is read from other hosts.
  shard.useRollbackJournal();
  ensureMember(shard, manifest.sweepUuid, manifest, member, setup);
  let run = shard.getRun(member.runUuid)!;
  if (FINAL_TASK_STATES.has(run.status as TaskStatus['state'])) {
    // An earlier attempt finished; Slurm ran the task again (e.g. a requeue that raced the end).
    write({ state: run.status as TaskStatus['state'], step: run.lastStep, totalSteps: run.totalSteps });
    shard.close();
    return run.status === 'completed' ? 0 : 1;
  }
  if (run.status === 'running') shard.setStatus(run.uuid, 'interrupted', { pid: null, ownerPid: null }); // a previous attempt that was killed
  run = shard.getRun(member.runUuid)!;
  const ckpt = shard.latestCheckpoint(run.uuid);
  write({ state: 'running', resumedFrom: ckpt?.step ?? null, step: ckpt?.step ?? null, totalSteps: run.totalSteps });
  console.log(`dplab-task: member ${idx} (${member.name}) ${ckpt ? `resumes from its checkpoint at step ${ckpt.step}` : 'starts from step 0'}`);

  const cpus = allocatedCpus();
  const threads = cpus === null ? {} : { threads: threadShare(Math.min(cpus, availableParallelism()), 1) };
  const manager = new RunManager(shard, { concurrency: 1, backend: manifest.backend as BackendPreference, checkpointEvery: manifest.checkpointEvery, ...threads });
  let lastWrite = 0;
  manager.on('event', (_u: string, e: { type: string; step?: number; totalSteps?: number }) => {
    if (e.type !== 'progress') return;
    if (status.firstStepSec === null) status.firstStepSec = (Date.now() - t0) / 1000;
    status.step = e.step ?? status.step;
    status.totalSteps = e.totalSteps ?? status.totalSteps;
    if (Date.now() - lastWrite > 1000) {
      lastWrite = Date.now();
      write();
    }
  });
  let stopping: 'time limit' | 'terminated' | null = null;
  const onSignal = (why: 'time limit' | 'terminated') => () => {
    if (stopping) return;
    stopping = why;
    console.log(`dplab-task: ${why === 'time limit' ? 'SIGUSR1: the time limit is near' : 'SIGTERM'}; stopping the trainer`);
    if (existsSync(p.cancelled)) manager.cancel(run.uuid); // ends 'cancelled' with what it has
    else void manager.close(); // killed: stays resumable from the newest checkpoint
  };
  process.on('SIGUSR1', onSignal('time limit'));
  process.on('SIGTERM', onSignal('terminated'));

  if (run.status === 'queued') manager.enqueue(run.uuid);
  else manager.resume(run.uuid);
  await manager.waitFor(run.uuid);
  await manager.close();
  const end = shard.getRun(run.uuid)!;
  const final = FINAL_TASK_STATES.has(end.status as TaskStatus['state']);
  if (final) {
    shard.close();
    write({ state: end.status as TaskStatus['state'], step: end.lastStep, totalSteps: end.totalSteps, error: end.error });
    console.log(`dplab-task: member ${idx} ${end.status}${end.error ? `: ${end.error}` : ''}`);
    return end.status === 'completed' ? 0 : 1;
  }
  // Not finished: the trainer died, or the time limit / a termination stopped it.
  if (end.status === 'running') shard.setStatus(end.uuid, 'interrupted', { pid: null, ownerPid: null });
  const why = stopping ?? `its trainer ended without finishing (${end.error ?? 'no reason given'})`;
  if (existsSync(p.cancelled)) {
    // `dplab sweep cancel`: the member ends cancelled with what it recorded (its trainer may have got
    // Slurm's SIGTERM before this process could ask it to stop).
    shard.setStatus(end.uuid, 'cancelled', { endedAt: Date.now(), error: 'cancelled (dplab sweep cancel)' });
    shard.close();
    write({ state: 'cancelled', step: end.lastStep, error: 'cancelled (dplab sweep cancel)' });
    return 143;
  }
  if (stopping === 'terminated') {
    shard.close();
    write({ state: 'requeued', step: end.lastStep, error: `terminated at step ${end.lastStep ?? 0}` });
    return 143;
  }
  if (restarts >= manifest.maxRequeues) {
    shard.setStatus(end.uuid, 'failed', { error: `gave up after ${restarts} requeue(s): ${why}` });
    shard.close();
    write({ state: 'failed', step: end.lastStep, error: `gave up after ${restarts} requeue(s): ${why}` });
    return 1;
  }
  shard.close();
  write({ state: 'requeued', step: end.lastStep, error: why });
  console.log(`dplab-task: member ${idx} stopped at step ${end.lastStep ?? 0} (${why}); requeueing it to resume from its checkpoint`);
  if (jobId) {
    const r = spawnSync('scontrol', ['requeue', jobId], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) console.log(`dplab-task: scontrol requeue ${jobId} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  }
  return REQUEUE_EXIT;
}

/** Creates the member's run and its sweep link in the shard on the first attempt. */
function ensureMember(shard: Archive, sweepUuid: string, manifest: ReturnType<typeof readManifest>, member: ReturnType<typeof readManifest>['members'][number], setup: ReturnType<typeof parseSetup>): void {
  if (shard.getRun(member.runUuid)) return;
  shard.createSweepWithRuns({
    uuid: sweepUuid,
    name: manifest.name,
    definition: manifest.definition,
    members: [{ run: { uuid: member.runUuid, name: member.name, setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed, createdAt: manifest.createdAt }, idx: member.idx, combo: member.combo }],
  });
}
