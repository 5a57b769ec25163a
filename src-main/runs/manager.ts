/**
 * The run manager: the one writer of the archive while runs train. Each run trains in its own
 * process (trainer-process.ts); a FIFO queue starts at most `concurrency` at once. Trainers send
 * their events in batches (one archive transaction each), checkpoints (the newest K kept), and a
 * heartbeat. A trainer that dies without finishing leaves its run 'interrupted', resumable from the
 * newest checkpoint; on start, `recover()` does the same for runs whose owner process is gone.
 */
import { EventEmitter } from 'node:events';
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Archive, RunRecord, RunStatus } from '../archive/archive.ts';
import { FINAL_STATUSES } from '../archive/archive.ts';
import type { Setup } from '../spec/setup.ts';
import type { TrainerEvent } from '../spec/events.ts';
import type { BackendPreference } from '../spec/backends.ts';
import { setupHash } from '../spec/hash.ts';
import type { Port } from './port.ts';
import { trainerEnv } from './env.ts';
import type { FromTrainer, ToTrainer } from './protocol.ts';

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
  /** Runs training at once; default: cores − 1 (at least 1), as each wasm trainer uses one core. */
  concurrency?: number;
  backend?: BackendPreference;
  /** Steps between checkpoints (0: none). */
  checkpointEvery?: number;
  /** Checkpoints kept per run (the newest). */
  keepCheckpoints?: number;
  heartbeatMs?: number;
  /** A running trainer silent this long is killed and its run marked interrupted. */
  staleMs?: number;
  /** Event batches: at most this many ms apart / this many events. */
  batchMs?: number;
  batchMax?: number;
  /** Seconds a cancelled trainer gets to stop by itself before it is killed. */
  cancelGraceMs?: number;
  launch?: TrainerLauncher;
}

/** Default concurrency from the core count. */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
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

/** True when a process with this id exists (signal 0 probes without touching it). */
export function processAlive(pid: number | null): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Queues, starts, cancels and resumes runs. Emits 'event' (uuid, TrainerEvent) for every trainer
 * event and 'status' (uuid, status) on every status change.
 */
export class RunManager extends EventEmitter {
  /** Most trainer processes at once; `setConcurrency` changes it. */
  concurrency: number;
  private readonly opts: Required<Omit<RunManagerOptions, 'concurrency'>>;
  private readonly queue: string[] = [];
  private readonly active = new Map<string, Active>();
  private readonly waiters = new Map<string, ((r: RunRecord) => void)[]>();
  private idleWaiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly archive: Archive,
    opts: RunManagerOptions = {},
  ) {
    super();
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? defaultConcurrency()));
    this.opts = {
      backend: opts.backend ?? 'auto',
      checkpointEvery: opts.checkpointEvery ?? 100,
      keepCheckpoints: opts.keepCheckpoints ?? 3,
      heartbeatMs: opts.heartbeatMs ?? 1000,
      staleMs: opts.staleMs ?? 120_000,
      batchMs: opts.batchMs ?? 250,
      batchMax: opts.batchMax ?? 2000,
      cancelGraceMs: opts.cancelGraceMs ?? 15_000,
      launch: opts.launch ?? forkTrainer,
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
   * Marks runs left 'running' by a process that is gone (or silent past staleMs) as 'interrupted',
   * so they can be resumed; returns their uuids. Call once at start.
   */
  recover(): string[] {
    const out: string[] = [];
    const now = Date.now();
    for (const r of this.archive.listRuns({ status: 'running' })) {
      if (this.active.has(r.uuid)) continue;
      const ownerAlive = r.ownerPid !== null && r.ownerPid !== process.pid && processAlive(r.ownerPid);
      // A live owner may be inside a long synchronous step (no heartbeat then): give it 10× staleMs.
      const fresh = r.heartbeatAt !== null && now - r.heartbeatAt < 10 * this.opts.staleMs;
      if (ownerAlive && fresh) continue; // another live manager owns it
      this.archive.setStatus(r.uuid, 'interrupted', {
        pid: null,
        ownerPid: null,
        endedAt: r.heartbeatAt ?? now,
        error: `interrupted: its process ended without finishing (last step ${r.lastStep ?? 'none'})`,
      });
      this.emit('status', r.uuid, 'interrupted');
      out.push(r.uuid);
    }
    return out;
  }

  /** Adds a run for `setup` to the archive and the queue; returns its uuid. */
  submit(setup: Setup, opts: { name?: string } = {}): string {
    const run = this.archive.createRun({ name: opts.name ?? setup.name ?? null, setup: setup as unknown as Record<string, unknown>, setupHash: setupHash(setup), seed: setup.seed });
    this.enqueue(run.uuid);
    return run.uuid;
  }

  /** Queues a run already in the archive with status 'queued' (e.g. a sweep's members). */
  enqueue(uuid: string): void {
    if (this.closed) throw new Error('the run manager is closed');
    if (!this.queue.includes(uuid) && !this.active.has(uuid)) this.queue.push(uuid);
    this.emit('status', uuid, 'queued');
    this.pump();
  }

  /**
   * Queues an interrupted, cancelled or failed run to continue from its newest checkpoint (from the
   * start when it has none). Completed and diverged runs are not resumed.
   */
  resume(uuid: string): void {
    const r = this.archive.getRun(uuid);
    if (!r) throw new Error(`no run ${uuid} in ${this.archive.file}`);
    if (!['interrupted', 'cancelled', 'failed'].includes(r.status)) {
      throw new Error(`run ${uuid} is ${r.status}; only interrupted, cancelled or failed runs can be resumed`);
    }
    this.archive.setStatus(uuid, 'queued', { endedAt: null, error: null });
    this.enqueue(uuid);
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
    return new Promise((resolve) => {
      const list = this.waiters.get(uuid) ?? [];
      list.push(resolve);
      this.waiters.set(uuid, list);
    });
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the manager: queued runs stay queued in the archive; running trainers are killed and their runs marked interrupted. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    clearInterval(this.timer);
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
        this.finish(uuid, 'failed', `could not start the trainer: ${(e as Error).message}`);
      }
    }
    if (this.queue.length === 0 && this.active.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private start(uuid: string): void {
    const run = this.archive.getRun(uuid);
    if (!run) throw new Error(`no run ${uuid}`);
    const ckpt = this.archive.latestCheckpoint(uuid);
    const handle = this.opts.launch();
    const a: Active = { uuid, handle, lastBeat: Date.now(), longestGap: 0, stepped: false, lastStep: ckpt?.step ?? 0, cancelling: false, done: false };
    this.active.set(uuid, a);
    this.archive.setStatus(uuid, 'running', { startedAt: run.startedAt ?? Date.now(), endedAt: null, error: null, pid: handle.pid, ownerPid: process.pid });
    this.emit('status', uuid, 'running');
    handle.port.onMessage((m) => this.onMessage(a, m));
    handle.onExit((code, signal, tail) => this.onExit(a, code, signal, tail));
    handle.port
      .send({
        type: 'start',
        runUuid: uuid,
        setup: run.setup,
        backend: this.opts.backend,
        checkpointEvery: this.opts.checkpointEvery,
        resumeFrom: ckpt ? new Uint8Array(ckpt.data.buffer, ckpt.data.byteOffset, ckpt.data.byteLength) : undefined,
        batchMs: this.opts.batchMs,
        batchMax: this.opts.batchMax,
        heartbeatMs: this.opts.heartbeatMs,
      })
      .catch(() => handle.kill('SIGKILL'));
  }

  private onMessage(a: Active, m: FromTrainer): void {
    const now = Date.now();
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
            this.archive.setStatus(a.uuid, m.summary.outcome, { endedAt: Date.now(), error: m.summary.error ?? null, pid: null, ownerPid: null });
          }
          break;
        case 'error':
          a.error = m.message;
          break;
      }
    } catch (e) {
      // The archive could not take the write (disk full, …): stop the run rather than lose data silently.
      a.error = `archive write failed: ${(e as Error).message}`;
      a.handle.kill('SIGKILL');
    }
  }

  private onExit(a: Active, code: number | null, signal: string | null, tail: string): void {
    if (a.killTimer) clearTimeout(a.killTimer);
    this.active.delete(a.uuid);
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
    this.pump();
  }

  private finish(uuid: string, status: RunStatus, error?: string | null): void {
    this.archive.setStatus(uuid, status, { endedAt: Date.now(), pid: null, ownerPid: null, ...(error !== undefined ? { error } : {}) });
    this.settle(uuid, status);
  }

  private settle(uuid: string, status: RunStatus): void {
    this.emit('status', uuid, status);
    const w = this.waiters.get(uuid);
    if (w) {
      this.waiters.delete(uuid);
      const r = this.archive.getRun(uuid)!;
      for (const f of w) f(r);
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const a of this.active.values()) {
      // Silent past its allowance: treat as dead. Before the first step: start-up, data loading and a
      // first (possibly very long) step get 10× staleMs; after it, 4× the longest silence seen so far.
      const allowance = a.stepped ? Math.max(this.opts.staleMs, 4 * a.longestGap) : 10 * this.opts.staleMs;
      if (now - a.lastBeat > allowance) a.handle.kill('SIGKILL');
    }
    if (this.active.size) {
      const ids = [...this.active.keys()];
      const rows = this.archive.db
        .prepare(`SELECT uuid FROM runs WHERE cancel_requested = 1 AND uuid IN (${ids.map(() => '?').join(',')})`)
        .all(...ids) as { uuid: string }[];
      for (const r of rows) this.cancel(r.uuid);
    }
  }
}
