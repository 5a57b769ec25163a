/**
 * The lab service: the one implementation of every contract request over the archive, the run
 * manager (trainers in their own processes), the theory simulator and the dataset cache, plus the
 * event stream. Both transports (Electron IPC and `dplab serve`'s WebSocket/HTTP) call `handle` and
 * `onEvent`; neither knows anything else about the lab. Arguments are validated here with the
 * contract's schemas, so a malformed message gets an error reply and changes nothing. This file is
 * the core (construction, connections, dispatch, lifecycle, events); each area's requests are
 * implemented in service/handlers/, through the ServiceContext of context.ts.
 */
import type { LabEvent, RequestName } from '../contract/index.ts';
import { validateRequest } from '../contract/index.ts';
import { openArchive, type Archive, type RunStatus } from '../archive/archive.ts';
import { ACTIVE_STATUSES, type EvalEvent, type ScalarsEvent, type SpectraEvent, type TrainerEvent } from '../common/events.ts';
import { RunManager } from '../runs/manager.ts';
import { PaceProber } from '../runs/probe.ts';
import { JobPool } from './jobs.ts';
import { BackendsProbe } from './backends.ts';
import { LabConnection, type ServiceReply } from './connection.ts';
import { ServiceError, type Handler, type Handlers, type LabServiceOptions, type OwnedRequest, type ServiceContext } from './context.ts';
import { ClusterFollower } from './follow.ts';
import { appHandlers } from './handlers/app.ts';
import { archiveHandlers } from './handlers/archive.ts';
import { datasetsHandlers } from './handlers/datasets.ts';
import { estimateHandlers } from './handlers/estimate.ts';
import { reproduceHandlers } from './handlers/reproduce.ts';
import { exportStream, runsHandlers } from './handlers/runs.ts';
import { sweepsHandlers } from './handlers/sweeps.ts';
import { theoryHandlers } from './handlers/theory.ts';

export { LabConnection, type ServiceReply } from './connection.ts';
export { ServiceError, type LabServiceOptions } from './context.ts';

type MetricEvent = ScalarsEvent | SpectraEvent | EvalEvent;

/** The service: open it with an archive path, call `handle`, listen with `onEvent`, `close` at exit. */
export class LabService {
  private archive: Archive;
  private manager: RunManager;
  private readonly listeners = new Set<(e: LabEvent) => void>();
  /** Metric events of the current tick per run, flushed as one batch (the manager emits them one by one). */
  private readonly pendingMetrics = new Map<string, MetricEvent[]>();
  private flushScheduled = false;
  private closed = false;
  /** The one pool of long jobs (theory.run, datasets.import): bounded, cancellable, ended by close(). */
  private readonly jobs: JobPool;
  /** `dplab backends` in child processes (backends.list): one at a time, cancellable, the quick report kept. */
  private readonly backends: BackendsProbe;
  /** The estimate's probe runs (estimate.time): paces kept for the service's life, the probe in flight ended by close(). */
  private readonly pace: PaceProber;
  /** Long jobs started, for their ids (made here, never taken from a request). */
  private jobSeq = 0;
  /** The connection of each running job, by job id (its progress events go there alone). */
  private readonly jobOwners = new Map<string, LabConnection>();
  /** The in-process caller's connection (`handle` without one): its events go to every listener. */
  private readonly local = new LabConnection(this, (e) => this.emit(e));
  /** The last `done/total` sent per sweep, so progress events only ever move forward. */
  private readonly lastSweepProgress = new Map<string, string>();
  /** The Slurm follow loop (sweeps of another executor, followed while unfinished). */
  private readonly follower: ClusterFollower;
  /**
   * Every request's handler, one file per area (service/handlers/): typed by the contract's
   * request names, so a request without a handler does not compile.
   */
  private readonly handlers: Handlers<RequestName>;
  /** The handlers' view of the service (see context()). */
  private readonly ctx: ServiceContext;

  constructor(private readonly opts: LabServiceOptions) {
    this.archive = openArchive(opts.archivePath);
    this.manager = this.makeManager(this.archive);
    this.jobs = new JobPool({
      ...(opts.workerFile !== undefined ? { workerFile: opts.workerFile } : {}),
      ...(opts.jobs?.workers !== undefined ? { workers: opts.jobs.workers } : {}),
      ...(opts.jobs?.queueLimit !== undefined ? { queueLimit: opts.jobs.queueLimit } : {}),
    });
    this.backends = new BackendsProbe({
      ...(opts.backends?.launch ? { launch: opts.backends.launch } : {}),
      ...(opts.backends?.quickTimeoutMs !== undefined ? { quickTimeoutMs: opts.backends.quickTimeoutMs } : {}),
      ...(opts.backends?.measureTimeoutMs !== undefined ? { measureTimeoutMs: opts.backends.measureTimeoutMs } : {}),
      ...(opts.backends?.queueLimit !== undefined ? { queueLimit: opts.backends.queueLimit } : {}),
      onProgress: (jobId, line) => {
        // A job's progress goes to the connection that started it, under its label; the shared quick probe's to all.
        const owner = jobId === null ? undefined : this.jobOwners.get(jobId);
        if (!owner) return this.emit({ type: 'backends.progress', jobId, line });
        owner.send({ type: 'backends.progress', jobId: owner.jobs.get(jobId!)?.label ?? jobId, line });
      },
    });
    this.pace = new PaceProber({
      backend: () => opts.backend ?? 'auto',
      ...(opts.launch ? { launch: opts.launch } : {}),
      ...(opts.dataDir !== undefined ? { cacheDir: opts.dataDir } : {}),
    });
    this.follower = new ClusterFollower({ archive: () => this.archive, emit: (e) => this.emit(e), followMs: opts.followMs });
    const ctx = (this.ctx = this.context());
    this.handlers = {
      ...appHandlers(ctx),
      ...runsHandlers(ctx),
      ...sweepsHandlers(ctx),
      ...theoryHandlers(ctx),
      ...reproduceHandlers(ctx),
      ...datasetsHandlers(ctx),
      ...archiveHandlers(ctx),
      ...estimateHandlers(ctx),
    };
    this.follower.wake();
  }

  /** What the handler files see of the service: the archive and manager read live (archive.open replaces them). */
  private context(): ServiceContext {
    // Getters, so a handler reads the archive and manager of the moment, never a replaced one.
    const live = { archive: () => this.archive, manager: () => this.manager, closed: () => this.closed };
    return {
      get archive() {
        return live.archive();
      },
      get manager() {
        return live.manager();
      },
      get closed() {
        return live.closed();
      },
      opts: this.opts,
      jobs: this.jobs,
      backends: this.backends,
      pace: this.pace,
      lastSweepProgress: this.lastSweepProgress,
      emit: (e) => this.emit(e),
      queueState: () => this.queueState(),
      ownedJob: (conn, request, label, run, cancel) => this.ownedJob(conn, request, label, run, cancel),
      replaceArchive: (next) => this.replaceArchive(next),
      wakeFollow: () => this.follower.wake(),
    };
  }

  /**
   * Makes `next` the archive in use, with a run manager of its own; the old manager is closed, then
   * the old archive, and the follow loop forgets which sweeps it had seen finish.
   */
  private async replaceArchive(next: Archive): Promise<void> {
    const old = this.archive;
    const oldManager = this.manager;
    this.archive = next;
    this.manager = this.makeManager(next);
    await oldManager.close();
    old.close();
    this.follower.reset();
  }

  /** The archive file in use. */
  get archivePath(): string {
    return this.archive.file;
  }

  /** True when the archive in use is open read-only (nothing may be written beside it either). */
  get archiveReadOnly(): boolean {
    return this.archive.readonly;
  }

  private makeManager(archive: Archive): RunManager {
    const m = new RunManager(archive, {
      ...(this.opts.concurrency !== undefined ? { concurrency: this.opts.concurrency } : {}),
      ...(this.opts.backend ? { backend: this.opts.backend } : {}),
      ...(this.opts.launch ? { launch: this.opts.launch } : {}),
      ...(this.opts.checkpointEvery !== undefined ? { checkpointEvery: this.opts.checkpointEvery } : {}),
      ...(this.opts.threads !== undefined ? { threads: this.opts.threads } : {}),
      ...(this.opts.maxQueued !== undefined ? { maxQueued: this.opts.maxQueued } : {}),
    });
    m.on('status', (uuid: string, status: RunStatus) => this.onStatus(m, uuid, status));
    m.on('event', (uuid: string, e: TrainerEvent) => this.onTrainerEvent(uuid, e));
    // A read-only archive (a read-only disk) is browsed as it is: nothing to recover, nothing to write.
    if (!archive.readonly) m.recover();
    return m;
  }

  /** Subscribes to events; returns the disposer. */
  onEvent(listener: (e: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(e: LabEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A failing listener (a closed socket) must not stop the others or the manager.
      }
    }
  }

  private onStatus(m: RunManager, uuid: string, status: RunStatus): void {
    if (m !== this.manager) return;
    this.flushMetrics();
    this.emit({ type: 'run.status', runId: uuid, status });
    this.emit({ type: 'queue', ...this.queueState() });
    if (!ACTIVE_STATUSES.has(status)) this.emitSweepProgress(uuid);
  }

  private emitSweepProgress(runUuid: string): void {
    try {
      const sweepId = this.archive.sweepOfRun(runUuid);
      if (!sweepId) return;
      const runs = this.archive.listRuns({ sweep: sweepId });
      const done = runs.filter((r) => !ACTIVE_STATUSES.has(r.status)).length;
      // A snapshot of the archive: two runs ending together show as one step, never as the same count twice.
      const key = `${done}/${runs.length}`;
      if (this.lastSweepProgress.get(sweepId) === key) return;
      this.lastSweepProgress.set(sweepId, key);
      this.emit({ type: 'sweep.progress', sweepId, done, total: runs.length });
    } catch {
      // Progress is a convenience; the sweep itself is in the archive.
    }
  }

  private onTrainerEvent(uuid: string, e: TrainerEvent): void {
    if (e.type === 'progress') {
      this.emit({ type: 'run.progress', runId: uuid, step: e.step, totalSteps: e.totalSteps, epoch: e.epoch, etaSec: e.etaSec });
      return;
    }
    if (e.type === 'projection') {
      this.emit({ type: 'run.projection', runId: uuid, step: e.step });
      return;
    }
    if (e.type === 'scalars' || e.type === 'spectra' || e.type === 'eval') {
      const list = this.pendingMetrics.get(uuid) ?? [];
      list.push(e);
      this.pendingMetrics.set(uuid, list);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flushMetrics());
      }
    }
  }

  private flushMetrics(): void {
    this.flushScheduled = false;
    for (const [runId, events] of this.pendingMetrics) this.emit({ type: 'run.metrics', runId, events });
    this.pendingMetrics.clear();
  }

  private queueState(): { running: number; queued: number; concurrency: number } {
    return { running: this.manager.running.length, queued: this.manager.queued.length, concurrency: this.manager.concurrency };
  }

  /**
   * A new client connection: its long jobs are its own (see LabConnection). `send` receives the
   * events meant for it alone; the transport still subscribes with `onEvent` for the rest.
   */
  connect(send: (e: LabEvent) => void = () => {}): LabConnection {
    return new LabConnection(this, send);
  }

  /**
   * Runs a long job for `conn` under an id made here: announces it to the connection
   * (`job.started`), keeps it cancellable by that id or the caller's label within the connection,
   * and forgets it when it ends. A label already running on the connection is refused.
   */
  private async ownedJob<T>(conn: LabConnection, request: OwnedRequest, label: string | undefined, run: (id: string) => Promise<T>, cancel: (id: string) => boolean): Promise<T> {
    if (label !== undefined && [...conn.jobs.values()].some((j) => j.label === label)) {
      throw new ServiceError('invalid-args', `a job labelled '${label}' is already running on this connection`);
    }
    const id = `job-${++this.jobSeq}`;
    conn.jobs.set(id, { label: label ?? null, cancel: () => cancel(id) });
    this.jobOwners.set(id, conn);
    try {
      conn.send({ type: 'job.started', jobId: id, label: label ?? null, request });
    } catch {
      // A connection that cannot take the event still owns the job.
    }
    try {
      return await run(id);
    } finally {
      conn.jobs.delete(id);
      this.jobOwners.delete(id);
    }
  }

  /**
   * Validates and runs one request. Never throws: every failure becomes an error reply naming the
   * problem, and a request that fails validation touches nothing.
   */
  async handle(name: string, rawArgs: unknown, conn: LabConnection = this.local): Promise<ServiceReply> {
    if (this.closed) return { ok: false, error: { code: 'failed', message: 'the lab is shutting down' } };
    if (!conn.isOpen) return { ok: false, error: { code: 'failed', message: 'the connection is closed' } };
    const v = validateRequest(name, rawArgs);
    if (!v.ok) return { ok: false, error: v.error };
    const h = this.handlers[v.name] as Handler<RequestName>;
    try {
      const result = await h(v.args as never, conn);
      return { ok: true, result };
    } catch (e) {
      if (e instanceof ServiceError) return { ok: false, error: { code: e.code, message: e.message } };
      const msg = (e as Error)?.message ?? String(e);
      // SQLite's own messages do not name the file: every archive error does.
      const sqlite = String((e as { code?: unknown })?.code ?? '').startsWith('SQLITE_') && !msg.includes(this.archive.file);
      return { ok: false, error: { code: 'failed', message: `${v.name}: ${sqlite ? `archive ${this.archive.file}: ` : ''}${msg}` } };
    }
  }

  /**
   * The export of runs as a lazy stream of text chunks (one run per chunk), validated like the
   * runs.export request: the HTTP download and the desktop's "Export All Runs…" write it chunk by
   * chunk, so memory stays that of one run however many are exported. The ids are checked in
   * batches with a loop turn between them, so an unknown id is still refused before the first
   * byte while 10,000 of them never hold the loop at once.
   */
  /**
   * The export of runs as a lazy stream of text chunks (one run per chunk), validated like the
   * runs.export request; the HTTP download and the desktop's "Export All Runs…" write it chunk by
   * chunk (see handlers/runs.ts).
   */
  exportStream(rawArgs: unknown): Promise<{ filename: string; mime: string; runs: number; chunks: Iterable<string> }> {
    return exportStream(this.ctx, rawArgs);
  }

  /** Writes the export to `file` chunk by chunk (all or nothing); the desktop's "Export All Runs…". */
  async exportToFile(rawArgs: unknown, file: string): Promise<{ runs: number; bytes: number }> {
    const ex = await this.exportStream(rawArgs);
    const { writeChunksToFile } = await import('../archive/export.ts');
    return { runs: ex.runs, bytes: await writeChunksToFile(ex.chunks, file) };
  }

  /** Stops the run manager (running trainers are killed; their runs are resumable) and closes the archive. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.follower.close();
    this.backends.close();
    await this.pace.close();
    await this.jobs.close();
    await this.manager.close();
    this.archive.close();
    this.listeners.clear();
  }
}
