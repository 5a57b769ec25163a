/**
 * The run manager: the one writer of the archive while runs train, and the one run lifecycle (the
 * app, `dplab serve`, `dplab sweep`, `dplab runs resume` and `dplab run` all go through it). Each run
 * trains in a trainer (its own process, or this one for `dplab run`); a FIFO queue starts at most
 * `concurrency` at once. Trainers send their events in batches (one archive transaction each),
 * checkpoints (the newest K kept), and a heartbeat.
 *
 * Ownership: a queued or running run names its owner process (pid + start time, runs/process.ts),
 * written in the same statement that queues or starts it. No other process marks it dead while that
 * owner lives, and resume/delete refuse it. A trainer that dies without finishing leaves its run
 * 'interrupted', resumable from the newest checkpoint; `recover()` does the same for queued and
 * running runs whose owner is gone (a closed or killed app, server or CLI).
 *
 * Archive writes from event handlers (trainer messages, exits, the timer) never throw out of the
 * handler: a failed write is recorded ('failure' event, `failures`, stderr) and the process goes on.
 */
import { EventEmitter } from 'node:events';
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Archive, RunRecord, RunStatus } from '../archive/archive.ts';
import type { SweepDefinition, SweepMember } from '../common/sweep.ts';
import { createSweepRuns, extendSweepRuns, type SweepRuns } from './sweep.ts';
import { ACTIVE_STATUSES, FINAL_STATUSES, RESUMABLE_STATUSES, type TrainerEvent } from '../common/events.ts';
import type { Setup } from '../common/setup.ts';
import type { BackendPreference } from '../common/backends.ts';
import { setupHash } from '../common/hash.ts';
import { machineCores, threadShare } from '../common/backends.ts';
import type { Port } from './port.ts';
import { trainerEnv } from './env.ts';
import type { FromTrainer, ToTrainer } from './protocol.ts';
import { ownerLives, thisProcess } from './process.ts';

/** A started trainer process as the manager sees it. */
export interface TrainerHandle {
  port: Port<FromTrainer, ToTrainer>;
  pid: number;
  kill(signal?: NodeJS.Signals): void;
  onExit(handler: (code: number | null, signal: string | null, stderrTail: string) => void): void;
}

/** Starts a trainer process; Node uses `forkTrainer`, Electron will pass a utilityProcess launcher. */
export type TrainerLauncher = () => TrainerHandle;

const ENTRY = fileURLToPath(new URL('./trainer-process.ts', import.meta.url));

/** Forks trainer-process.ts under tsx with structured-clone IPC; keeps the tail of its stderr for error reports. */
export function forkTrainer(): TrainerHandle {
  const child: ChildProcess = fork(ENTRY, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: trainerEnv(),
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-4000);
  });
  return {
    pid: child.pid ?? -1,
    port: {
      send: (msg) =>
        new Promise<void>((resolve, reject) => {
          if (!child.connected) return reject(new Error('trainer process is gone'));
          child.send(msg as object, (err) => (err ? reject(err) : resolve()));
        }),
      onMessage: (h) => child.on('message', (m) => h(m as FromTrainer)),
      onClose: (h) => child.once('disconnect', h),
      close: () => child.connected && child.disconnect(),
    },
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    onExit: (h) => child.once('exit', (code, signal) => h(code, signal, tail)),
  };
}

/** Options of the run manager. */
export interface RunManagerOptions {
  /** Runs training at once; default: cores − 1 (at least 1). The runs share the cores' threads (see `threads`). */
  concurrency?: number;
  backend?: BackendPreference;
  /**
   * Threads per trainer (wasm). Default: the cores divided among the runs that start together
   * (min(concurrency, running + queued)), so a sweep of N concurrent runs shares the cores.
   */
  threads?: number;
  /** Steps between checkpoints (0: none). */
  checkpointEvery?: number;
  /** Checkpoints kept per run (the newest). */
  keepCheckpoints?: number;
  heartbeatMs?: number;
  /** A running trainer silent this long is killed and its run marked interrupted. */
  staleMs?: number;
  /**
   * The clock (ms) trainers' silences are measured on (default Date.now): tests inject one to judge
   * staleness at exact times instead of sleeping through real ones.
   */
  now?: () => number;
  /** Event batches: at most this many ms apart / this many events. */
  batchMs?: number;
  batchMax?: number;
  /** Seconds a cancelled trainer gets to stop by itself before it is killed. */
  cancelGraceMs?: number;
  launch?: TrainerLauncher;
  /**
   * Most runs queued or running in the archive at once, whatever process queued them (default
   * DEFAULT_MAX_QUEUED): a submit, sweep or resume that would pass it is refused whole, naming the count.
   */
  maxQueued?: number;
}

/** Steps between checkpoints when no one says (`--checkpoint-every`); 0 keeps none. */
export const DEFAULT_CHECKPOINT_EVERY = 100;

/** Default bound on the runs queued or running in one archive (a sweep may expand to 10,000). */
export const DEFAULT_MAX_QUEUED = 500;

/** A request refused because the archive's queue is full (nothing was recorded). */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

/**
 * Why queueing `adding` more runs in `archive` would pass `limit` queued-or-running runs, or null
 * when there is room. Counts every process's runs (the archive is one queue to the machine), so the
 * CLI's local sweeps and the served lab share the bound.
 */
export function queueRoomProblem(archive: Archive, adding: number, limit: number): string | null {
  const have = archive.countRuns([...ACTIVE_STATUSES]);
  if (have + adding <= limit) return null;
  const what = adding === 1 ? 'one more run' : `${adding} more runs`;
  return have >= limit
    ? `the archive ${archive.file} already has ${have} queued or running runs (limit ${limit}); wait for some to finish or cancel some`
    : `${what} would pass the limit of ${limit} queued or running runs in the archive ${archive.file} (it has ${have}); nothing was queued: wait, cancel some, or queue fewer`;
}

/** Default concurrency from the core count. */
export function defaultConcurrency(): number {
  return Math.max(1, machineCores(process.env, availableParallelism()) - 1);
}

interface Active {
  uuid: string;
  handle: TrainerHandle;
  lastBeat: number;
  /**
   * Longest silence seen between two messages (ms). A trainer cannot send heartbeats while a
   * synchronous tfjs step runs, so a run with long steps (ResNet-18 on 96×96 images on wasm) is
   * judged against its own pace, not only against staleMs.
   */
  longestGap: number;
  /** Whether a training step has been reported yet (start-up and the first step get a long grace). */
  stepped: boolean;
  lastStep: number;
  cancelling: boolean;
  done: boolean;
  error?: string;
  killTimer?: NodeJS.Timeout;
}

/** Runs queued or running in a manager of this process (another manager here must not take them for stranded). */
const HELD = new Set<string>();

/** A failed archive write or handler in the manager, kept instead of crashing the process. */
export interface ManagerFailure {
  uuid: string | null;
  message: string;
  at: number;
}

/** Whether the owner recorded on `r` is a live process other than a dead manager of this one. */
function ownedElsewhere(r: RunRecord): boolean {
  const me = thisProcess();
  if (r.ownerPid === me.pid && r.ownerStart === me.start) return HELD.has(r.uuid);
  return ownerLives(r.ownerPid, r.ownerStart);
}

/**
 * Queues, starts, cancels and resumes runs. Emits 'event' (uuid, TrainerEvent) for every trainer
 * event and 'status' (uuid, status) on every status change.
 */
export class RunManager extends EventEmitter {
  /** Most trainer processes at once; `setConcurrency` changes it. */
  concurrency: number;
  private readonly opts: Required<Omit<RunManagerOptions, 'concurrency' | 'threads'>> & { threads?: number };
  /** The bound on queued-or-running runs in the archive (`maxQueued`). */
  readonly maxQueued: number;
  private readonly queue: string[] = [];
  private readonly active = new Map<string, Active>();
  private readonly waiters = new Map<string, { resolve: (r: RunRecord) => void; reject: (e: Error) => void }[]>();
  /** Failures recorded instead of thrown (newest last, at most 100). */
  readonly failures: ManagerFailure[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly archive: Archive,
    opts: RunManagerOptions = {},
  ) {
    super();
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? defaultConcurrency()));
    this.maxQueued = Math.max(1, Math.floor(opts.maxQueued ?? DEFAULT_MAX_QUEUED));
    this.opts = {
      backend: opts.backend ?? 'auto',
      threads: opts.threads,
      checkpointEvery: opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
      keepCheckpoints: opts.keepCheckpoints ?? 3,
      heartbeatMs: opts.heartbeatMs ?? 1000,
      staleMs: opts.staleMs ?? 120_000,
      now: opts.now ?? Date.now,
      batchMs: opts.batchMs ?? 250,
      batchMax: opts.batchMax ?? 2000,
      cancelGraceMs: opts.cancelGraceMs ?? 15_000,
      launch: opts.launch ?? forkTrainer,
      maxQueued: this.maxQueued,
    };
    this.timer = setInterval(() => this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Uuids of the runs training now. */
  get running(): string[] {
    return [...this.active.keys()];
  }

  /** Uuids waiting to start, in order. */
  get queued(): string[] {
    return [...this.queue];
  }

  /**
   * Marks queued and running runs whose owner process is gone as 'interrupted' (resumable: from
   * the newest checkpoint, or from the start when a queued run never began); returns their uuids.
   * A run whose owner lives is never touched, however long its trainer has been silent. Safe to
   * call any time, from any process (`dplab runs list` does): each change is a compare-and-set on
   * the status and owner it saw.
   */
  recover(): string[] {
    const out: string[] = [];
    const now = Date.now();
    for (const r of this.archive.listRuns({ status: [...ACTIVE_STATUSES] })) {
      if (this.active.has(r.uuid) || this.queue.includes(r.uuid) || ownedElsewhere(r)) continue;
      const why =
        r.status === 'running'
          ? `interrupted: its process ended without finishing (last step ${r.lastStep ?? 'none'})`
          : `interrupted before it started: the process that queued it${r.ownerPid ? ` (pid ${r.ownerPid})` : ''} has ended; resume it to run it`;
      if (this.archive.interruptStale(r, why, r.status === 'running' ? (r.heartbeatAt ?? now) : now)) {
        this.emitStatus(r.uuid, 'interrupted');
        out.push(r.uuid);
      }
    }
    return out;
  }

  /**
   * Throws QueueFullError when `adding` more runs would pass `maxQueued` queued-or-running runs in
   * the archive. Runs whose owner died still count as queued until recovered, so a full queue is
   * recovered once before it is judged.
   */
  checkRoom(adding: number): void {
    if (queueRoomProblem(this.archive, adding, this.maxQueued) === null) return;
    if (!this.archive.readonly) this.recover();
    const why = queueRoomProblem(this.archive, adding, this.maxQueued);
    if (why !== null) throw new QueueFullError(why);
  }

  /** Adds a run for `setup` to the archive and the queue; returns its uuid. */
  submit(setup: Setup, opts: { name?: string } = {}): string {
    if (this.closed) throw new Error('the run manager is closed');
    this.checkRoom(1);
    const run = this.archive.createRun({ name: opts.name ?? setup.name ?? null, setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed, owner: thisProcess() });
    this.push(run.uuid);
    return run.uuid;
  }

  /**
   * Creates a sweep's member runs (owned by this process) and the sweep in one transaction and
   * queues them in order; a failure leaves nothing behind. Members whose setup the archive holds
   * as a completed run reuse it (`reused` counts them) and are not queued.
   */
  submitSweep(def: SweepDefinition, members: SweepMember[]): SweepRuns {
    if (this.closed) throw new Error('the run manager is closed');
    this.checkRoom(members.length); // all or nothing: no run is recorded when the sweep does not fit
    return this.queueMembers(createSweepRuns(this.archive, def, members, thisProcess()));
  }

  /** Adds a round of seeds to a sweep (`extendSweepRuns`) and queues the new runs, as `submitSweep` does. */
  extendSweep(sweepUuid: string, def: SweepDefinition, members: SweepMember[]): SweepRuns {
    if (this.closed) throw new Error('the run manager is closed');
    this.checkRoom(members.length);
    return this.queueMembers(extendSweepRuns(this.archive, sweepUuid, def, members, thisProcess()));
  }

  private queueMembers(out: SweepRuns): SweepRuns {
    for (const u of out.newRunIds) this.push(u, false);
    this.pump();
    return out;
  }

  /** Queues a run already in the archive with status 'queued' and no live owner; throws when it is not. */
  enqueue(uuid: string, pump = true): void {
    if (this.closed) throw new Error('the run manager is closed');
    if (this.queue.includes(uuid) || this.active.has(uuid)) return;
    if (!this.archive.queueRun(uuid, thisProcess())) {
      const r = this.archive.getRun(uuid);
      throw new Error(r ? `run ${uuid} is ${r.status}${r.ownerPid ? ` (owned by process ${r.ownerPid})` : ''}; only a queued run without a live owner can be queued` : `no run ${uuid} in ${this.archive.file}`);
    }
    this.push(uuid, pump);
  }

  /**
   * Queues several such runs (a sweep's members), then starts what may start: the runs that start
   * together are seen together, so they share the cores.
   */
  enqueueAll(uuids: readonly string[]): void {
    for (const u of uuids) this.enqueue(u, false);
    this.pump();
  }

  private push(uuid: string, pump = true): void {
    HELD.add(uuid);
    this.queue.push(uuid);
    this.emitStatus(uuid, 'queued');
    if (pump) this.pump();
  }

  /**
   * Queues an interrupted, cancelled or failed run to continue from its newest checkpoint (from the
   * start when it has none). Completed and diverged runs are not resumed; a queued or running run is
   * refused while its owner process lives (it would train twice), and recovered first when not.
   */
  resume(uuid: string): void {
    if (this.closed) throw new Error('the run manager is closed');
    let r = this.archive.getRun(uuid);
    if (!r) throw new Error(`no run ${uuid} in ${this.archive.file}`);
    if (this.active.has(uuid) || this.queue.includes(uuid)) throw new Error(`run ${uuid} is already ${r.status} in this process`);
    if (ACTIVE_STATUSES.has(r.status)) {
      if (ownedElsewhere(r)) throw new Error(`run ${uuid} is ${r.status} in process ${r.ownerPid}, which is alive; it cannot be resumed while that process owns it (cancel it first)`);
      this.recover();
      r = this.archive.getRun(uuid) ?? r;
    }
    if (RESUMABLE_STATUSES.has(r.status)) this.checkRoom(1);
    if (!RESUMABLE_STATUSES.has(r.status) || !this.archive.queueRun(uuid, thisProcess(), [...RESUMABLE_STATUSES])) {
      const now = this.archive.getRun(uuid)?.status ?? r.status;
      throw new Error(`run ${uuid} is ${now}; only interrupted, cancelled or failed runs can be resumed`);
    }
    this.push(uuid);
  }

  /**
   * Deletes a run and everything stored for it; false when there is none. Refused while it is
   * queued or running with a live owner (cancel it first); a run whose owner is gone is recovered
   * first and then deleted.
   */
  delete(uuid: string): boolean {
    if (this.active.has(uuid) || this.queue.includes(uuid)) throw new Error(`run ${uuid} is queued or running in this process; cancel it first`);
    const r = this.archive.getRun(uuid);
    if (!r) return false;
    if (ACTIVE_STATUSES.has(r.status) && !ownedElsewhere(r)) this.recover();
    return this.archive.deleteRun(uuid);
  }

  /** Cancels a queued or running run; returns false when there was nothing to cancel. */
  cancel(uuid: string): boolean {
    const qi = this.queue.indexOf(uuid);
    if (qi >= 0) {
      this.queue.splice(qi, 1);
      this.finish(uuid, 'cancelled');
      return true;
    }
    const a = this.active.get(uuid);
    if (a) {
      if (!a.cancelling) {
        a.cancelling = true;
        a.handle.port.send({ type: 'cancel' }).catch(() => {});
        a.killTimer = setTimeout(() => a.handle.kill('SIGKILL'), this.opts.cancelGraceMs);
      }
      return true;
    }
    const r = this.archive.getRun(uuid);
    if (r?.status === 'queued') {
      // Queued elsewhere: the owner's start is a compare-and-set on 'queued', so it will not start it.
      this.finish(uuid, 'cancelled');
      return true;
    }
    if (r?.status === 'running') {
      this.archive.requestCancel(uuid); // another process owns it; its manager polls this flag
      return true;
    }
    return false;
  }

  /** Resolves with the run's record once it reaches a final status. */
  waitFor(uuid: string): Promise<RunRecord> {
    const r = this.archive.getRun(uuid);
    if (!r) return Promise.reject(new Error(`no run ${uuid} in ${this.archive.file}`));
    if (FINAL_STATUSES.has(r.status) && !this.active.has(uuid) && !this.queue.includes(uuid)) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(uuid) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(uuid, list);
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops the manager: runs still queued are marked interrupted (resumable, so a closed app does not
   * strand the rest of a sweep); running trainers are killed and their runs marked interrupted.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const uuid of this.queue.splice(0)) {
      this.guard(uuid, () => {
        const r = this.archive.getRun(uuid);
        if (r?.status === 'queued') this.archive.interruptStale(r, 'interrupted before it started: its manager closed; resume it to run it');
        this.settle(uuid, 'interrupted');
      });
    }
    const exits = [...this.active.values()].map((a) => new Promise<void>((resolve) => a.handle.onExit(() => resolve())));
    for (const a of this.active.values()) a.handle.kill('SIGKILL');
    await Promise.all(exits);
  }

  /** Changes how many runs train at once (a sweep may ask for its own); starts queued runs if allowed. */
  setConcurrency(n: number): void {
    this.concurrency = Math.max(1, Math.floor(n));
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency && this.queue.length) {
      const uuid = this.queue.shift()!;
      try {
        this.start(uuid);
      } catch (e) {
        this.active.delete(uuid);
        this.guard(uuid, () => this.finish(uuid, 'failed', `could not start the trainer: ${(e as Error).message}`));
      }
    }
    if (this.queue.length === 0 && this.active.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** This run's share of the cores: the runs training together now, this one included. */
  private threadsForNext(): number {
    if (this.opts.threads !== undefined) return this.opts.threads;
    const together = Math.min(this.concurrency, this.active.size + this.queue.length);
    return threadShare(machineCores(process.env, availableParallelism()), together);
  }

  private start(uuid: string): void {
    // Status 'running', heartbeat and owner in one write, and only if the run is still queued for us.
    if (!this.archive.claimRun(uuid, thisProcess())) {
      const now = this.archive.getRun(uuid);
      this.settle(uuid, now?.status ?? 'cancelled');
      return;
    }
    const run = this.archive.getRun(uuid)!;
    const ckpt = this.archive.latestCheckpoint(uuid);
    const handle = this.opts.launch();
    const a: Active = { uuid, handle, lastBeat: this.opts.now(), longestGap: 0, stepped: false, lastStep: ckpt?.step ?? 0, cancelling: false, done: false };
    this.active.set(uuid, a);
    this.archive.setTrainerPid(uuid, handle.pid);
    this.emitStatus(uuid, 'running');
    handle.port.onMessage((m) => this.onMessage(a, m));
    handle.onExit((code, signal, tail) => this.onExit(a, code, signal, tail));
    handle.port
      .send({
        type: 'start',
        runUuid: uuid,
        setup: run.setup,
        backend: this.opts.backend,
        threads: this.threadsForNext(),
        checkpointEvery: this.opts.checkpointEvery,
        resumeFrom: ckpt ? new Uint8Array(ckpt.data.buffer, ckpt.data.byteOffset, ckpt.data.byteLength) : undefined,
        batchMs: this.opts.batchMs,
        batchMax: this.opts.batchMax,
        heartbeatMs: this.opts.heartbeatMs,
      })
      .catch(() => handle.kill('SIGKILL'));
  }

  private onMessage(a: Active, m: FromTrainer): void {
    const now = this.opts.now();
    a.longestGap = Math.max(a.longestGap, now - a.lastBeat);
    a.lastBeat = now;
    if (m.type === 'events' && m.events.some((e) => e.type === 'progress')) a.stepped = true;
    try {
      switch (m.type) {
        case 'events':
          this.archive.appendEvents(a.uuid, m.events);
          for (const e of m.events) {
            if (e.type === 'progress' || e.type === 'scalars') a.lastStep = Math.max(a.lastStep, e.step);
            this.emit('event', a.uuid, e as TrainerEvent);
          }
          break;
        case 'checkpoint':
          this.archive.putCheckpoint(a.uuid, m.step, m.data, this.opts.keepCheckpoints);
          a.handle.port.send({ type: 'checkpoint-saved', step: m.step }).catch(() => {});
          break;
        case 'heartbeat':
          this.archive.heartbeat(a.uuid);
          break;
        case 'done':
          a.done = true;
          if (this.archive.getRun(a.uuid)?.status === 'running') {
            this.archive.setStatus(a.uuid, m.summary.outcome, { endedAt: Date.now(), error: m.summary.error ?? null });
          }
          break;
        case 'error':
          a.error = m.message;
          break;
      }
    } catch (e) {
      // The archive could not take the write (disk full, …): stop the run rather than lose data silently.
      a.error = `archive write failed: ${(e as Error).message}`;
      this.recordFailure(a.uuid, a.error);
      a.handle.kill('SIGKILL');
    }
  }

  private onExit(a: Active, code: number | null, signal: string | null, tail: string): void {
    if (a.killTimer) clearTimeout(a.killTimer);
    this.active.delete(a.uuid);
    this.guard(a.uuid, () => {
      if (a.done) {
        const r = this.archive.getRun(a.uuid);
        this.settle(a.uuid, r?.status ?? 'completed');
      } else if (a.error) {
        this.finish(a.uuid, 'failed', a.error);
      } else if (a.cancelling) {
        this.finish(a.uuid, 'cancelled', null);
      } else {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const last = tail.trim().split('\n').slice(-3).join(' | ');
        this.finish(a.uuid, 'interrupted', `trainer process ended (${how}) after step ${a.lastStep}${last ? `: ${last}` : ''}`);
      }
    });
    this.pump();
  }

  private finish(uuid: string, status: RunStatus, error?: string | null): void {
    this.archive.setStatus(uuid, status, { endedAt: Date.now(), ...(error !== undefined ? { error } : {}) });
    this.settle(uuid, status);
  }

  /** Tells listeners and waiters that a run left this manager (or changed status); never throws. */
  private settle(uuid: string, status: RunStatus): void {
    if (FINAL_STATUSES.has(status)) HELD.delete(uuid);
    this.emitStatus(uuid, status);
    const w = this.waiters.get(uuid);
    if (!w) return;
    this.waiters.delete(uuid);
    let r: RunRecord | undefined;
    let err: Error | undefined;
    try {
      r = this.archive.getRun(uuid);
    } catch (e) {
      err = e as Error;
    }
    for (const f of w) {
      if (r) f.resolve(r);
      else f.reject(new Error(`run ${uuid} ended ${status} but cannot be read back from ${this.archive.file}: ${err?.message ?? 'it is no longer there'}`));
    }
  }

  /** Emits 'status'; a listener that throws is recorded, not passed up into a trainer's handler. */
  private emitStatus(uuid: string, status: RunStatus): void {
    try {
      this.emit('status', uuid, status);
    } catch (e) {
      this.recordFailure(uuid, `a status listener failed: ${(e as Error).message}`);
    }
  }

  /** Runs `fn` (archive writes inside an event handler); a failure is recorded and the run settled as failed. */
  private guard(uuid: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.recordFailure(uuid, (e as Error).message);
      if (this.waiters.has(uuid)) this.settle(uuid, 'failed');
      else HELD.delete(uuid);
    }
  }

  private recordFailure(uuid: string | null, message: string): void {
    const f: ManagerFailure = { uuid, message, at: Date.now() };
    this.failures.push(f);
    if (this.failures.length > 100) this.failures.shift();
    console.error(`dplab: run manager${uuid ? ` (run ${uuid})` : ''}: ${message}`);
    try {
      this.emit('failure', f);
    } catch {
      /* a failing listener of failures has nothing left to tell */
    }
  }

  private tick(): void {
    try {
      this.checkTrainers();
    } catch (e) {
      this.recordFailure(null, `checking trainers failed: ${(e as Error).message}`);
    }
  }

  private checkTrainers(): void {
    const now = this.opts.now();
    for (const a of this.active.values()) {
      // Silent past its allowance: treat as dead. Before the first step: start-up, data loading and a
      // first (possibly very long) step get 10× staleMs; after it, 4× the longest silence seen so far.
      const allowance = a.stepped ? Math.max(this.opts.staleMs, 4 * a.longestGap) : 10 * this.opts.staleMs;
      if (now - a.lastBeat > allowance) a.handle.kill('SIGKILL');
    }
    if (this.active.size) for (const u of this.archive.cancelRequested([...this.active.keys()])) this.cancel(u);
  }
}
