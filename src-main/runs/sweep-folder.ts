/**
 * The folder of a cluster sweep: self-contained on the shared filesystem, so a task on any node, the
 * lab on the login node and a desktop after `rsync` all read the same files.
 *
 *   manifest.json     the sweep (uuid, definition, members with their run uuids), the job id
 *   setups/<i>.json   member i's setup
 *   job.sh            the job array's script (task i trains member i)
 *   logs/<i>.log      task i's output (appended across requeues)
 *   shards/<i>.sqlite task i's own archive: one run with its metrics and checkpoints
 *   status/<i>.json   task i's progress and outcome (plain files: no SQLite locking over NFS)
 *   CANCELLED         written by `dplab sweep cancel` before it calls scancel
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepDefinition } from '../common/sweep.ts';
import { parseSetup } from '../common/setup.ts';
import { setupHash } from '../common/hash.ts';
import { ShardRefused, type ShardMember } from '../archive/merge.ts';

/** The manifest of a sweep folder. */
export interface SweepManifest {
  version: 1;
  sweepUuid: string;
  name: string | null;
  definition: SweepDefinition;
  createdAt: number;
  /** Slurm's job id of the array (set once sbatch accepted it). */
  jobId: string | null;
  backend: string;
  checkpointEvery: number;
  /** Times a member is requeued after its task ended without finishing, before it counts as failed. */
  maxRequeues: number;
  /** `setupHash` is written since the lab checks shards against it (older folders: hashed from setups/<i>.json). */
  members: { idx: number; runUuid: string; name: string; combo: Record<string, unknown>; setupHash?: string }[];
}

/** What task i reports in status/<i>.json. */
export interface TaskStatus {
  state: 'starting' | 'running' | 'requeued' | 'completed' | 'failed' | 'diverged' | 'cancelled';
  step: number | null;
  totalSteps: number | null;
  /** SLURM_RESTART_COUNT of the attempt that wrote this. */
  restarts: number;
  host: string;
  jobId: string | null;
  updatedAt: number;
  /** Step of the checkpoint this attempt resumed from (null: started from scratch). */
  resumedFrom: number | null;
  /** When this attempt's process started (ms since epoch). */
  startedAt: number;
  /** Seconds from this attempt's start to its first training step. */
  firstStepSec: number | null;
  error: string | null;
}

/** Final task states: the shard holds the finished run. */
export const FINAL_TASK_STATES: ReadonlySet<TaskStatus['state']> = new Set(['completed', 'failed', 'diverged', 'cancelled']);

/** Paths inside a sweep folder. */
export const folderPaths = (folder: string) => ({
  manifest: join(folder, 'manifest.json'),
  jobScript: join(folder, 'job.sh'),
  cancelled: join(folder, 'CANCELLED'),
  setup: (i: number) => join(folder, 'setups', `${i}.json`),
  log: (i: number) => join(folder, 'logs', `${i}.log`),
  shard: (i: number) => join(folder, 'shards', `${i}.sqlite`),
  status: (i: number) => join(folder, 'status', `${i}.json`),
});

/** Writes a file whole or not at all (write beside it, then rename). */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Creates the folder's layout and writes the manifest and the setups. */
export function writeSweepFolder(folder: string, manifest: SweepManifest, setups: unknown[]): void {
  for (const d of ['setups', 'logs', 'shards', 'status']) mkdirSync(join(folder, d), { recursive: true });
  const p = folderPaths(folder);
  manifest.members.forEach((m, i) => writeAtomic(p.setup(m.idx), JSON.stringify(setups[i], null, 2) + '\n'));
  writeAtomic(p.manifest, JSON.stringify(manifest, null, 2) + '\n');
}

/** Reads a sweep folder's manifest; the error says what is wrong with the folder. */
export function readManifest(folder: string): SweepManifest {
  const file = folderPaths(folder).manifest;
  if (!existsSync(file)) throw new Error(`${folder} is not a sweep folder (no manifest.json)`);
  const m = JSON.parse(readFileSync(file, 'utf8')) as SweepManifest;
  if (m.version !== 1 || typeof m.sweepUuid !== 'string' || !Array.isArray(m.members)) throw new Error(`${file} is not a sweep manifest this lab reads`);
  return m;
}

/** Updates the manifest (the job id after submission). */
export function updateManifest(folder: string, patch: Partial<SweepManifest>): SweepManifest {
  const m = { ...readManifest(folder), ...patch };
  writeAtomic(folderPaths(folder).manifest, JSON.stringify(m, null, 2) + '\n');
  return m;
}

/** Task i's status file, or null when the task has not written one (never started, or the folder is not visible to it). */
export function readTaskStatus(folder: string, i: number): TaskStatus | null {
  try {
    return JSON.parse(readFileSync(folderPaths(folder).status(i), 'utf8')) as TaskStatus;
  } catch {
    return null;
  }
}

/** The last `n` non-empty lines of task i's log ('' when there is no log). */
export function logTail(folder: string, i: number, n = 5): string {
  try {
    const text = readFileSync(folderPaths(folder).log(i), 'utf8');
    return text.trimEnd().split('\n').filter((l) => l.trim()).slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Member `idx` of the folder's sweep and the path of its shard, checked to be a regular file in the
 * folder's own shards/ folder (neither the file nor shards/ a symbolic link, the real path inside the
 * folder's real path): a shard is opened only where its task wrote it. What the shard must hold comes
 * from the manifest and the member's setup file, which the lab wrote. Throws ShardRefused.
 */
export function memberShard(folder: string, idx: number, manifest: SweepManifest = readManifest(folder)): { file: string; member: ShardMember } {
  const m = manifest.members.find((x) => x.idx === idx);
  if (!m || typeof m.runUuid !== 'string') throw new ShardRefused(`the sweep in ${folder} has no member ${idx}`);
  const root = realpathSync(folder);
  const dir = join(folder, 'shards');
  const file = folderPaths(folder).shard(idx);
  const d = lstatSync(dir, { throwIfNoEntry: false });
  if (!d || !d.isDirectory()) throw new ShardRefused(`${dir} is not a folder${d?.isSymbolicLink() ? ' (a symbolic link)' : ''}; shards are read only from the sweep folder itself`);
  const f = lstatSync(file, { throwIfNoEntry: false });
  if (!f) throw new ShardRefused(`${file}: no such file`);
  if (!f.isFile()) throw new ShardRefused(`${file} is not a regular file${f.isSymbolicLink() ? ' (a symbolic link)' : ''}; shards are read only from the sweep folder itself`);
  const real = realpathSync(file);
  if (real !== join(root, 'shards', `${idx}.sqlite`)) throw new ShardRefused(`${file} resolves to ${real}, outside the sweep folder ${root}`);
  let hash = m.setupHash;
  if (typeof hash !== 'string') {
    // Folders written before the manifest recorded hashes: the setup file the task trains from.
    try {
      hash = setupHash(parseSetup(JSON.parse(readFileSync(folderPaths(folder).setup(idx), 'utf8')), { stored: true }));
    } catch (e) {
      throw new ShardRefused(`${folderPaths(folder).setup(idx)}: cannot read member ${idx}'s setup: ${(e as Error).message}`);
    }
  }
  const definition = { ...manifest.definition, executor: { kind: 'slurm', folder: root, jobId: manifest.jobId, imported: true } };
  return {
    file,
    member: { sweepUuid: manifest.sweepUuid, idx, runUuid: m.runUuid, setupHash: hash, combo: m.combo ?? {}, sweep: { name: manifest.name ?? null, definition, createdAt: manifest.createdAt ?? Date.now() } },
  };
}
