/**
 * The Slurm executor: Slurm is the distributed engine, the lab only writes a sweep folder, submits
 * ONE job array (task i trains member i into its own shard, see slurm-task.ts) and follows it with
 * `squeue` and the folder's status files, merging each finished shard into the archive as it lands.
 * The archive holds a placeholder row per member meanwhile (queued/running, Slurm's state in its
 * error column), so the Sweeps view and `dplab runs list` show the sweep like a local one.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync, chmodSync } from 'node:fs';
import { isAbsolute, resolve, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTIVE_STATUSES, FINAL_STATUSES, type RunStatus } from '../archive/archive.ts';
import { mergeShard } from '../archive/merge.ts';
import { DEFAULT_CHECKPOINT_EVERY } from './manager.ts';
import type { ExecutorFactory, MemberState, SweepExecutor, SweepLaunch } from './executor.ts';
import { folderPaths, logTail, memberShard, readManifest, readTaskStatus, updateManifest, writeAtomic, writeSweepFolder, FINAL_TASK_STATES, type SweepManifest } from './sweep-folder.ts';

/** A Slurm command failed; `message` says what the user can do. */
export class SlurmError extends Error {
  override name = 'SlurmError';
}

/** Options of a Slurm sweep: the sweep file's `slurm` block, overridden by command-line flags. */
export interface SlurmOptions {
  partition?: string;
  gpusPerTask?: number;
  cpusPerTask?: number;
  mem?: string;
  time?: string;
  maxParallel?: number;
  account?: string;
  qos?: string;
  /** Anything else, passed to sbatch as is (`--constraint=a100`). */
  sbatchArgs?: string[];
  /** The sweep folder (default ./dplab-sweeps/<name>-<uuid8>); must be on a filesystem the nodes see. */
  folder?: string;
  /** Seconds before the time limit at which a task is told (SIGUSR1) to stop and requeue (default 120). */
  signalSec?: number;
  maxRequeues?: number;
}

const KEYS: Record<string, { key: keyof SlurmOptions; kind: 'name' | 'int' | 'mem' | 'time' | 'path' | 'list' }> = {
  partition: { key: 'partition', kind: 'name' },
  'gpus-per-task': { key: 'gpusPerTask', kind: 'int' },
  'cpus-per-task': { key: 'cpusPerTask', kind: 'int' },
  mem: { key: 'mem', kind: 'mem' },
  time: { key: 'time', kind: 'time' },
  'max-parallel': { key: 'maxParallel', kind: 'int' },
  account: { key: 'account', kind: 'name' },
  qos: { key: 'qos', kind: 'name' },
  'sbatch-arg': { key: 'sbatchArgs', kind: 'list' },
  folder: { key: 'folder', kind: 'path' },
  'signal-sec': { key: 'signalSec', kind: 'int' },
  'max-requeues': { key: 'maxRequeues', kind: 'int' },
};

/** Command-line flags of the Slurm executor (each also a camelCase key of the sweep file's `slurm` block). */
export const SLURM_FLAGS = Object.keys(KEYS);

/**
 * A folder as it may appear in the job script: in an `#SBATCH --output=` line (sbatch splits those
 * lines itself: a space, quote, backslash or `#` would end or change the value, `%` is a file-name
 * pattern) and, single-quoted, in the shell part. Letters of any script are fine.
 */
const SAFE_PATH = /^[\p{L}\p{N}_./+,@=:~-]+$/u;

/**
 * The sbatch options `sbatchArgs` may add: resource and scheduling choices only. Left out on
 * purpose: what the lab's own lines set (--output, --error, --array, --job-name, --open-mode,
 * --signal, --requeue), options that name files or run code on the node (--input, --chdir,
 * --export, --export-file, --wrap, --get-user-env, --container, --bb, --bbf, --propagate) and
 * anything else: a sweep file shared by a colleague must not be able to
 * run a command (`--export=BASH_ENV=…`) or write over a file (`--output=~/.bashrc`).
 */
const SBATCH_ALLOWED = new Set([
  'account', 'acctg-freq', 'begin', 'cluster-constraint', 'clusters', 'comment', 'constraint', 'contiguous', 'core-spec',
  'cores-per-socket', 'cpu-freq', 'cpus-per-gpu', 'deadline', 'dependency', 'distribution', 'exclude', 'exclusive',
  'extra-node-info', 'gpu-bind', 'gpu-freq', 'gpus', 'gpus-per-node', 'gpus-per-socket', 'gres', 'gres-flags', 'hint',
  'hold', 'kill-on-invalid-dep', 'licenses', 'mail-type', 'mail-user', 'mcs-label', 'mem-bind', 'mem-per-cpu',
  'mem-per-gpu', 'mincpus', 'nice', 'nodelist', 'nodes', 'ntasks', 'ntasks-per-core', 'ntasks-per-gpu',
  'ntasks-per-node', 'ntasks-per-socket', 'oversubscribe', 'partition', 'power', 'priority', 'qos', 'reservation',
  'sockets-per-node', 'spread-job', 'switches', 'threads-per-core', 'time-min', 'tmp', 'use-min-nodes', 'wckey',
]);

/** Why `a` is not one allowed sbatch option token (`--flag` or `--flag=value`), or null. */
function sbatchArgIssue(a: string): string | null {
  const m = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(a);
  if (!m) return 'one token, --flag or --flag=value, long form';
  if (!SBATCH_ALLOWED.has(m[1]!)) return `--${m[1]} is not one of the options a sweep may add: ${[...SBATCH_ALLOWED].map((o) => `--${o}`).join(', ')}`;
  const value = m[2];
  if (value !== undefined && !/^[\w.,:+@=/|&*[\]!%-]{1,200}$/.test(value)) {
    return 'its value may hold letters, digits and _ . , : + @ = / | & * [ ] ! % - only (no spaces, quotes, $, #, backslashes or control characters)';
  }
  return null;
}

function check(kind: string, flag: string, v: unknown): unknown {
  const bad = (why: string) => new SlurmError(`slurm option ${flag}: ${why}, got ${JSON.stringify(v)}`);
  switch (kind) {
    case 'int': {
      const n = typeof v === 'string' ? Number(v) : v;
      if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > 1e6) throw bad('expected a non-negative integer');
      return n;
    }
    case 'name':
      if (typeof v !== 'string' || !/^[\w.,+-]{1,100}$/.test(v)) throw bad('expected a Slurm name (letters, digits, _ . , + -)');
      return v;
    case 'mem':
      if (typeof v !== 'string' || !/^\d+[KMGT]?$/i.test(v)) throw bad('expected a size like 8G or 16000M');
      return v;
    case 'time':
      if (typeof v !== 'string' || !/^(\d+-)?\d+(:\d+){0,2}$/.test(v)) throw bad('expected a Slurm time: minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]]');
      return v;
    case 'path':
      if (typeof v !== 'string' || v.length === 0 || v.length > 1024 || !SAFE_PATH.test(v)) {
        throw bad('expected a folder path of letters, digits and _ . / + , @ = : ~ - (it is written into the job script; no spaces, quotes, $, #, % or control characters)');
      }
      return v;
    case 'list': {
      const list = Array.isArray(v) ? v : [v];
      for (const a of list) {
        const why = typeof a === 'string' ? sbatchArgIssue(a) : 'not a string';
        if (why) throw new SlurmError(`slurm option ${flag}: each value must be one sbatch option like --constraint=a100 (${why}), got ${JSON.stringify(a)}`);
      }
      return list;
    }
  }
  return v;
}

/** Resolves the Slurm options from the sweep file's `slurm` block and the flags (flags win); throws SlurmError naming a bad one. */
export function slurmOptions(block: unknown, flags: Record<string, string | string[] | undefined> = {}): SlurmOptions {
  const out: SlurmOptions = {};
  if (block !== undefined) {
    if (block === null || typeof block !== 'object' || Array.isArray(block)) throw new SlurmError('the sweep file\'s "slurm" block must be an object');
    for (const [k, v] of Object.entries(block)) {
      const spec = Object.values(KEYS).find((s) => s.key === k);
      if (!spec) throw new SlurmError(`unknown key "${k}" in the sweep file's slurm block (one of ${Object.values(KEYS).map((s) => s.key).join(', ')})`);
      (out as Record<string, unknown>)[spec.key] = check(spec.kind, k, v);
    }
  }
  for (const [flag, v] of Object.entries(flags)) {
    if (v === undefined || !Object.prototype.hasOwnProperty.call(KEYS, flag)) continue;
    const spec = KEYS[flag]!;
    (out as Record<string, unknown>)[spec.key] = spec.kind === 'list' ? [...(out.sbatchArgs ?? []), ...(check('list', `--${flag}`, v) as string[])] : check(spec.kind, `--${flag}`, Array.isArray(v) ? v[v.length - 1] : v);
  }
  return out;
}

/** Most bytes of output kept from one Slurm command (squeue of a large array is a few hundred KB). */
const SLURM_MAX_OUTPUT = 8 * 2 ** 20;

/**
 * Runs a Slurm client command without blocking the event loop (the service's loop is Electron's
 * main process): a slow login node delays only this promise. Bounded in time (default 60 s, then
 * killed) and in output, and killed when `signal` aborts (the service closing); ENOENT becomes the
 * "not on PATH" message users need.
 */
export function slurm(cmd: string, args: string[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ code: number; out: string; err: string }> {
  const timeout = opts.timeoutMs ?? 60_000;
  return new Promise((res, rej) => {
    execFile(cmd, args, { encoding: 'utf8', timeout, maxBuffer: SLURM_MAX_OUTPUT, killSignal: 'SIGKILL', ...(opts.signal ? { signal: opts.signal } : {}) }, (error, stdout, stderr) => {
      if (!error) return res({ code: 0, out: stdout, err: stderr });
      const e = error as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string | null };
      if (e.code === 'ABORT_ERR') return rej(new SlurmError(`${cmd} ${args.join(' ')} was stopped: the lab is closing`));
      if (e.code === 'ENOENT') {
        return rej(new SlurmError(`'${cmd}' is not on PATH: run this on the cluster's login node (where Slurm's client commands are installed), or use --executor local`));
      }
      if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return rej(new SlurmError(`${cmd} ${args.join(' ')} wrote more than ${SLURM_MAX_OUTPUT} bytes; stopped`));
      if (e.killed || e.signal) return rej(new SlurmError(`${cmd} ${args.join(' ')} did not answer within ${Math.round(timeout / 1000)} s (${e.signal ?? 'killed'}); is the Slurm controller reachable?`));
      if (typeof e.code === 'number') return res({ code: e.code, out: stdout, err: stderr });
      rej(new SlurmError(`${cmd} did not run: ${e.message}`));
    });
  });
}

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Text for a comment line of the job script: a JSON string literal with every character outside
 * printable ASCII escaped, so no line feed, carriage return, NUL or Unicode line separator in a
 * name can end the comment (what follows a line break is run as a command, and sbatch stops
 * reading `#SBATCH` lines at the first line that is not a comment).
 */
export function scriptComment(s: string): string {
  return JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Checks every option again where the script is written, so options that skipped `slurmOptions` cannot reach it unchecked. */
function recheck(o: SlurmOptions): void {
  for (const spec of Object.values(KEYS)) {
    const v = o[spec.key];
    if (v === undefined) continue;
    // slurmOptions turns "4" into 4; the writer takes only what it would have produced.
    if (spec.kind === 'int' && typeof v !== 'number') throw new SlurmError(`slurm option ${spec.key}: expected a non-negative integer, got ${JSON.stringify(v)}`);
    check(spec.kind, spec.key, v);
  }
}

/**
 * The `--array` indices of the members to train, as Slurm's range list (`0-3`, `1,3,5-7`): task i
 * trains member i, and members a sweep reused (finished runs of the same setup hash) have no task.
 */
export function arraySpec(indices: readonly number[]): string {
  const xs = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(j === i ? String(xs[i]) : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** A path of this installation (node, bin/dplab.mjs) for the script's `exec` line: single-quoted; one holding a control character is refused. */
function installPath(what: string, p: string): string {
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new SlurmError(`the ${what} path ${JSON.stringify(p)} holds a control character: it cannot be written into a job script`);
  return shq(p);
}

/**
 * The job array's script: self-contained (absolute paths to node, dplab and the folder). Nothing
 * user-supplied reaches it unchecked: the sweep's name only as an escaped comment and (letters,
 * digits, _ . - only) in the job name; every option checked again here (`check`), the folder an
 * absolute path of a safe character set and single-quoted in the shell part; so a hostile name or
 * option can neither run a command nor drop an `#SBATCH` line.
 */
export function jobScript(m: SweepManifest, folder: string, o: SlurmOptions): string {
  const dplab = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
  const idx = m.members.map((x) => x.idx);
  if (!UUID.test(m.sweepUuid)) throw new SlurmError(`sweep id ${JSON.stringify(m.sweepUuid)} is not a uuid`);
  if (idx.length < 1) throw new SlurmError('a Slurm sweep needs at least one member');
  if (!idx.every((i) => Number.isInteger(i) && i >= 0)) throw new SlurmError(`member indices ${JSON.stringify(idx.slice(0, 20))} are not non-negative integers`);
  check('path', 'folder', folder);
  if (!isAbsolute(folder)) throw new SlurmError(`the sweep folder ${JSON.stringify(folder)} must be an absolute path in the job script`);
  recheck(o);
  const name = typeof m.name === 'string' ? m.name : null;
  const lines = [
    '#!/bin/bash',
    `# DirectPred Lab sweep ${name === null ? '(no name)' : scriptComment(name)} (${m.sweepUuid}): task i trains member i (setups/i.json) into shards/i.sqlite.`,
    `#SBATCH --job-name=dplab-${(name ?? 'sweep').replace(/[^\w.-]/g, '_').slice(0, 40)}`,
    `#SBATCH --array=${arraySpec(idx)}${o.maxParallel ? `%${o.maxParallel}` : ''}`,
    `#SBATCH --output=${folder}/logs/%a.log`,
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    `#SBATCH --signal=B:USR1@${o.signalSec ?? 120}`,
  ];
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.cpusPerTask) lines.push(`#SBATCH --cpus-per-task=${o.cpusPerTask}`);
  if (o.gpusPerTask) lines.push(`#SBATCH --gpus-per-task=${o.gpusPerTask}`);
  if (o.mem) lines.push(`#SBATCH --mem=${o.mem}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  if (o.account) lines.push(`#SBATCH --account=${o.account}`);
  if (o.qos) lines.push(`#SBATCH --qos=${o.qos}`);
  for (const a of o.sbatchArgs ?? []) lines.push(`#SBATCH ${a}`);
  lines.push(
    '',
    `folder=${shq(folder)}`,
    'i="$SLURM_ARRAY_TASK_ID"',
    'echo "dplab-task: member $i on $(hostname) (attempt $((${SLURM_RESTART_COUNT:-0} + 1))) at $(date -u +%FT%TZ)"',
    'if [ ! -r "$folder/setups/$i.json" ]; then',
    '  echo "dplab-task: cannot find the setup $folder/setups/$i.json on $(hostname): the sweep folder must be on a filesystem the compute nodes see (a shared home or project folder), not a local disk of the login node" >&2',
    '  exit 66',
    'fi',
    `exec ${installPath('node', process.execPath)} ${installPath('dplab', dplab)} sweep task "$folder" "$i"`,
    '',
  );
  return lines.join('\n');
}

/** One row of squeue for an array task. */
interface QueueRow {
  state: string;
  reason: string;
}

/** squeue's view of the array: task index → state and reason (pending and running tasks only). */
async function queue(jobId: string, signal?: AbortSignal): Promise<Map<number, QueueRow>> {
  const r = await slurm('squeue', ['-h', '-r', '-j', jobId, '-o', '%K|%T|%r'], signal ? { signal } : {});
  const out = new Map<number, QueueRow>();
  if (r.code !== 0) {
    if (/Invalid job id/i.test(r.err)) return out; // the whole array left Slurm's memory
    throw new SlurmError(`squeue -j ${jobId} failed: ${r.err.trim()}`);
  }
  for (const line of r.out.split('\n')) {
    const [k, state, reason] = line.trim().split('|');
    if (k === undefined || state === undefined || !/^\d+$/.test(k)) continue;
    out.set(Number(k), { state, reason: reason ?? '' });
  }
  return out;
}

/** Builds the Slurm executor; for an existing sweep, `stored` holds its folder. */
export const slurmExecutor: ExecutorFactory = (archive, sweepUuid, opts, stored): SweepExecutor => {
  let folder = typeof stored?.folder === 'string' ? stored.folder : null;
  // The job id the lab recorded when sbatch accepted the array: the one scontrol may act on.
  const recordedJob = typeof stored?.jobId === 'string' && /^\d+$/.test(stored.jobId) ? stored.jobId : null;
  const requeued = new Map<number, number>();
  const sig = opts.signal ? { signal: opts.signal } : {};
  const released = new Set<string>();
  const seen = new Map<string, string>();

  const manifest = () => {
    if (!folder) throw new SlurmError('this sweep has no folder yet');
    const m = readManifest(folder);
    // A folder holding another sweep (moved, or named by something other than this lab) is not followed.
    if (sweepUuid && m.sweepUuid !== sweepUuid) throw new SlurmError(`${folder} holds sweep ${m.sweepUuid}, not ${sweepUuid}; it is not followed`);
    if (recordedJob && m.jobId !== recordedJob) throw new SlurmError(`${folder}/manifest.json names job ${String(m.jobId)}, the lab recorded ${recordedJob}; it is not followed`);
    return m;
  };

  /** Brings the placeholder row of a member to `status` (only when it changes; never over a merged run). */
  const place = (runUuid: string, status: RunStatus, detail: string | null, step: number | null, total: number | null) => {
    const r = archive.getRun(runUuid);
    if (!r) return;
    if (r.backend !== null) return; // merged: the shard's run, not a placeholder (only trainers record a backend)
    if (r.status !== status || r.error !== detail) {
      archive.setStatus(runUuid, status, {
        error: detail,
        ownerPid: ACTIVE_STATUSES.has(status) ? process.pid : null,
        ...(FINAL_STATUSES.has(status) ? { endedAt: Date.now() } : {}),
        ...(status === 'running' && r.startedAt === null ? { startedAt: Date.now() } : {}),
      });
    }
    archive.heartbeat(runUuid);
    if (status === 'running' && step !== null && total !== null && step !== r.lastStep) {
      archive.appendEvents(runUuid, [{ type: 'progress', step, totalSteps: total, epoch: 0, etaSec: null }]);
    }
  };

  const poll = async (): Promise<MemberState[]> => {
    const m = manifest();
    const f = folder!;
    const p = folderPaths(f);
    const q = m.jobId ? await queue(m.jobId, opts.signal) : new Map<number, QueueRow>();
    const cancelled = existsSync(p.cancelled);
    const states: MemberState[] = [];
    for (const mem of m.members) {
      const i = mem.idx;
      const ts = readTaskStatus(f, i);
      const row = q.get(i);
      const job = m.jobId ? `${m.jobId}_${i}` : '';
      let st: MemberState = { idx: i, runUuid: mem.runUuid, name: mem.name, status: 'queued', step: ts?.step ?? null, totalSteps: ts?.totalSteps ?? null, detail: null };
      if (ts && FINAL_TASK_STATES.has(ts.state) && existsSync(p.shard(i))) {
        let mergeError: string | null = null;
        const had = archive.getRun(mem.runUuid);
        if (!(had && had.backend !== null && FINAL_STATUSES.has(had.status))) {
          try {
            // Only member i's own run, checked against what the lab recorded; one small transaction.
            const { file, member } = memberShard(f, i, m);
            mergeShard(archive, file, member);
          } catch (e) {
            mergeError = `its shard ${p.shard(i)} could not be merged: ${(e as Error).message}`;
          }
          await new Promise((res) => setImmediate(res)); // requests waiting on the loop go between two merges
        }
        const r = archive.getRun(mem.runUuid);
        if (mergeError) {
          place(mem.runUuid, 'failed', mergeError, null, null);
          states.push({ ...st, status: 'failed', detail: mergeError });
          continue;
        }
        const tail = ts.state === 'failed' || ts.state === 'diverged' ? logTail(f, i) : '';
        const detail = `${job} ${ts.state.toUpperCase()}${ts.error ? `: ${ts.error}` : ''}${tail ? `; last lines of ${p.log(i)}:\n${tail}` : ''}`;
        st = { ...st, status: r?.status ?? (ts.state as RunStatus), step: r?.lastStep ?? ts.step, totalSteps: r?.totalSteps ?? ts.totalSteps, detail };
      } else if (row) {
        if (row.state === 'PENDING' && row.reason === 'BeginTime' && ts?.state === 'requeued' && !released.has(`${i}:${ts.restarts}`)) {
          // The task requeued itself to resume (time limit near, trainer died); Slurm would hold it ~2 min.
          released.add(`${i}:${ts.restarts}`);
          await slurm('scontrol', ['update', `jobid=${job}`, 'StartTime=now'], sig);
        }
        const running = row.state === 'RUNNING' || row.state === 'COMPLETING';
        const detail = `${job} ${row.state}${row.reason && row.reason !== 'None' ? ` (${row.reason})` : ''}${ts?.restarts ? ` · attempt ${ts.restarts + 1}` : ''}`;
        st = { ...st, status: running ? 'running' : 'queued', detail };
        place(mem.runUuid, st.status, detail, running ? (ts?.step ?? null) : null, ts?.totalSteps ?? null);
      } else if (cancelled) {
        st = { ...st, status: 'cancelled', detail: `${job} CANCELLED (dplab sweep cancel)` };
        place(mem.runUuid, 'cancelled', st.detail, null, null);
      } else if (ts && ts.state !== 'starting' && (ts.restarts + (requeued.get(i) ?? 0)) < m.maxRequeues && m.jobId) {
        // The task ended without finishing and without being cancelled by the lab (scancel, node
        // lost, killed): requeue it; the next attempt resumes from the shard's newest checkpoint.
        const r = await slurm('scontrol', ['requeue', job], sig);
        if (r.code === 0) {
          await slurm('scontrol', ['update', `jobid=${job}`, 'StartTime=now'], sig); // Slurm otherwise holds a requeued job back ~2 min
          requeued.set(i, (requeued.get(i) ?? 0) + 1);
        }
        st = { ...st, status: 'queued', detail: `${job} REQUEUED after it ended at step ${ts.step ?? 0}${r.code === 0 ? '' : ` (scontrol requeue failed: ${r.err.trim()})`}` };
        place(mem.runUuid, 'queued', st.detail, null, null);
      } else if (!m.jobId) {
        st = { ...st, detail: 'not submitted' };
      } else {
        const tail = logTail(f, i);
        const why = !existsSync(p.log(i))
          ? `task ${job} ended without writing its log ${p.log(i)}: the sweep folder is probably not on a filesystem the compute nodes see`
          : /cannot find the setup/.test(tail)
            ? tail.split('\n').filter((l) => /cannot find the setup/.test(l)).pop()!.replace(/^dplab-task: /, '')
            : `task ${job} failed${ts?.error ? ` (${ts.error})` : ''}; last lines of ${p.log(i)}:\n${tail}`;
        st = { ...st, status: 'failed', detail: why };
        place(mem.runUuid, 'failed', why, null, null);
      }
      states.push(st);
    }
    return states;
  };

  return {
    kind: 'slurm',
    async start(launch: SweepLaunch) {
      const o = slurmOptions((launch.definition as { slurm?: unknown }).slurm, opts.extra ?? {});
      folder = resolve(o.folder ?? join('dplab-sweeps', `${(launch.definition.name ?? 'sweep').replace(/[^\w.-]/g, '_').slice(0, 40)}-${launch.sweepUuid.slice(0, 8)}`));
      check('path', 'folder', folder);
      if (existsSync(folderPaths(folder).manifest)) throw new SlurmError(`${folder} already holds a sweep; choose another --folder`);
      const manifest: SweepManifest = {
        version: 1,
        sweepUuid: launch.sweepUuid,
        name: launch.definition.name ?? null,
        definition: { ...launch.definition, executor: { kind: 'slurm', folder } } as SweepManifest['definition'],
        createdAt: Date.now(),
        jobId: null,
        backend: opts.backend ?? 'auto',
        checkpointEvery: opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
        maxRequeues: o.maxRequeues ?? 3,
        // The setup hash the archive recorded: a shard's run must carry it to be merged.
        members: launch.members.map((m) => ({ idx: m.idx, runUuid: m.runUuid, name: m.name, combo: m.combo, setupHash: archive.getRun(m.runUuid)?.setupHash ?? '' })),
      };
      writeSweepFolder(folder, manifest, launch.members.map((m) => m.setup));
      // Every member was a finished run the archive held: the folder records the sweep, no job is submitted.
      if (!launch.members.length) return { kind: 'slurm', folder, jobId: null };
      const script = folderPaths(folder).jobScript;
      writeFileSync(script, jobScript(manifest, folder, o));
      chmodSync(script, 0o755);
      const r = await slurm('sbatch', ['--parsable', script], sig);
      const jobId = r.out.trim().split(';')[0] ?? '';
      if (r.code !== 0 || !/^\d+$/.test(jobId)) {
        const words = (r.err || r.out).trim().split('\n').filter(Boolean).join(' · ');
        throw new SlurmError(`sbatch refused the job array: ${words || `exit code ${r.code}`}`);
      }
      updateManifest(folder, { jobId });
      return { kind: 'slurm', folder, jobId };
    },
    poll,
    async follow(onChange, signal) {
      const every = Number(process.env.DPLAB_SLURM_POLL_MS ?? 2000);
      let wake = () => {};
      signal?.addEventListener('abort', () => wake(), { once: true });
      for (;;) {
        const states = await poll();
        for (const s of states) {
          const key = `${s.status}|${s.step}|${s.detail}`;
          if (seen.get(s.runUuid) !== key) {
            seen.set(s.runUuid, key);
            onChange(s);
          }
        }
        if (states.every((s) => FINAL_STATUSES.has(s.status) && s.status !== 'interrupted') || signal?.aborted) return states;
        await new Promise<void>((res) => {
          const t = setTimeout(res, every);
          wake = () => (clearTimeout(t), res());
        });
      }
    },
    async cancel() {
      const m = manifest();
      writeAtomic(folderPaths(folder!).cancelled, `${new Date().toISOString()}\n`);
      if (m.jobId) {
        const r = await slurm('scancel', [m.jobId], sig);
        if (r.code !== 0 && !/Invalid job id|already completing or completed/i.test(r.err)) throw new SlurmError(`scancel ${m.jobId} failed: ${r.err.trim()}`);
      }
    },
    async close() {},
  };
};
