/**
 * The lab service: the one implementation of every contract request over the archive, the run
 * manager (trainers in their own processes), the theory simulator and the dataset cache, plus the
 * event stream. Both transports (Electron IPC and `dplab serve`'s WebSocket/HTTP) call `handle` and
 * `onEvent`; neither knows anything else about the lab. Arguments are validated here with the
 * contract's schemas, so a malformed message gets an error reply and changes nothing.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import {
  CONTRACT_VERSION,
  validateRequest,
  type ContractError,
  type LabEvent,
  type ParsedArgs,
  type RequestName,
  type Results,
  type RunRow,
  type Series,
} from '../contract/index.ts';
import { openArchive, type Archive, type RunRecord, type RunStatus } from '../archive/archive.ts';
import { checkSetup, defaultSetup, migrateSetup, type Setup } from '../spec/setup.ts';
import { SETUP_PRESETS } from '../spec/presets.ts';
import { ACTIVE_STATUSES, type EvalEvent, type ScalarsEvent, type SpectraEvent, type TrainerEvent } from '../spec/events.ts';
import { APP_VERSION } from '../spec/version.ts';
import { BASELINE_METRICS } from '../spec/metrics.ts';
import { adapterLabel, type BackendKind, type BackendPreference, type GpuAdapterInfo } from '../spec/backends.ts';
import { likelyBackend } from '../runs/backend-probe.ts';
import { setupFootprintProblems } from '../runs/footprint.ts';
import { RunManager, type TrainerLauncher } from '../runs/manager.ts';
import { expandSweep, sweepAxes, sweepSeeds, type SweepDefinition } from '../spec/sweep.ts';
import { FINAL_METRICS, groupBaselines, groupRuns } from '../runs/aggregate.ts';
import { JobPool, type WorkerReply } from './jobs.ts';
import { BackendsProbe, type ProbeLauncher } from './backends.ts';
import { CLAIMS } from '../reproduce/claims.ts';
import { htmlReport } from '../reproduce/report.ts';
import type { ClaimResult } from '../reproduce/verdict.ts';
import { collectResults, defaultSeeds, evalSeeds, missingSweep, planRuns, REPRODUCE_TAG, selectClaims, trainingTime, untilDecided, type PlannedRun } from '../runs/reproduce.ts';
import { nextLook } from '../math/sequential.ts';
import { DEFAULT_MAX_SEEDS } from '../reproduce/verdict.ts';

/** A reply as both transports send it (without the request id, which the transport adds). */
export type ServiceReply = { ok: true; result: unknown } | { ok: false; error: ContractError };

/** Options of the service. */
export interface LabServiceOptions {
  /** The archive file (created when missing). */
  archivePath: string;
  /** Which transport serves it; reported by app.info. */
  transport: 'ipc' | 'http';
  /** Runs training at once (default: the manager's, cores − 1). */
  concurrency?: number;
  backend?: BackendPreference;
  /** How trainers are started: forked Node processes by default, utilityProcess under Electron. */
  launch?: TrainerLauncher;
  /** Steps between checkpoints (the manager's default when absent). */
  checkpointEvery?: number;
  /** Most runs queued or running in the archive (runs.start, sweeps.start, reproduce.run, runs.resume); default DEFAULT_MAX_QUEUED (500). */
  maxQueued?: number;
  /** Dataset cache folder (the user data folder's when absent). */
  dataDir?: string;
  /** Worker file of the long jobs (theory.run, datasets.import): the bundled .cjs under Electron. */
  workerFile?: string;
  /** Milliseconds between polls of sweeps running on another executor (Slurm); default 5000. */
  followMs?: number;
  /**
   * Largest runs.export reply in characters (default 16 MiB): it bounds the memory of each reply
   * and the steps still done in one piece (joining its parts, Electron's IPC copy: a few ms per
   * MiB; WebSocket and HTTP encode it in slices, server/encode.ts); bigger exports go through
   * exportStream.
   */
  exportReplyLimit?: number;
  /** Limits of the shared long-job pool (workers at once, queue length, per-job timeouts in ms). */
  jobs?: { workers?: number; queueLimit?: number; theoryTimeoutMs?: number; importTimeoutMs?: number; archiveTimeoutMs?: number };
  /**
   * backends.list: how `dplab backends` is started (a Node child of bin/dplab.mjs by default, a
   * utilityProcess under Electron) and its limits in ms.
   */
  backends?: { launch?: ProbeLauncher; quickTimeoutMs?: number; measureTimeoutMs?: number; queueLimit?: number };
}

/** A request failure that carries its contract error code. */
export class ServiceError extends Error {
  constructor(
    readonly code: ContractError['code'],
    message: string,
  ) {
    super(message);
  }
}

type MetricEvent = ScalarsEvent | SpectraEvent | EvalEvent;
type Handler<N extends RequestName> = (args: ParsedArgs<N>, conn: LabConnection) => Results[N] | Promise<Results[N]>;

/** A long job a connection started: the caller's label and how to stop it. */
interface OwnedJob {
  label: string | null;
  cancel: () => boolean;
}

/**
 * One client's connection to the service (a WebSocket, one HTTP request, an app window, or the
 * in-process caller): the long jobs it starts belong to it. Their ids are made by the service;
 * the caller's `jobId` is only a label within this connection, so one connection can never cancel
 * another's job, and closing the connection cancels every job it started (a job no longer outlives
 * its socket, holding the worker until its timeout).
 */
export class LabConnection {
  /** Jobs running for this connection, by the service's id. */
  readonly jobs = new Map<string, OwnedJob>();
  private open = true;

  constructor(
    private readonly service: LabService,
    /** Where events for this connection alone go (`job.started`, its `backends.progress`). */
    readonly send: (e: LabEvent) => void,
  ) {}

  /** Whether the connection still takes requests. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Runs one request on behalf of this connection (see LabService.handle). */
  handle(name: string, rawArgs: unknown): Promise<ServiceReply> {
    return this.service.handle(name, rawArgs, this);
  }

  /** Cancels every job this connection started and refuses its later requests; returns how many were cancelled. */
  close(): number {
    this.open = false;
    let n = 0;
    for (const j of [...this.jobs.values()]) if (j.cancel()) n++;
    return n;
  }
}

/** The service: open it with an archive path, call `handle`, listen with `onEvent`, `close` at exit. */
export class LabService {
  private archive: Archive;
  private manager: RunManager;
  private readonly listeners = new Set<(e: LabEvent) => void>();
  /** Metric events of the current tick per run, flushed as one batch (the manager emits them one by one). */
  private readonly pendingMetrics = new Map<string, MetricEvent[]>();
  private flushScheduled = false;
  private readonly version = APP_VERSION;
  private closed = false;
  /** The one pool of long jobs (theory.run, datasets.import): bounded, cancellable, ended by close(). */
  private readonly jobs: JobPool;
  /** `dplab backends` in child processes (backends.list): one at a time, cancellable, the quick report kept. */
  private readonly backends: BackendsProbe;
  /** Imports started, for their temporary folders' unique stamps. */
  private importSeq = 0;
  /** Long jobs started, for their ids (made here, never taken from a request). */
  private jobSeq = 0;
  /** The connection of each running job, by job id (its progress events go there alone). */
  private readonly jobOwners = new Map<string, LabConnection>();
  /** The in-process caller's connection (`handle` without one): its events go to every listener. */
  private readonly local = new LabConnection(this, (e) => this.emit(e));
  /** The theory claims' outcomes: exact and fixed, so computed once per service (in the job pool). */
  private theoryClaims: Promise<ClaimResult[]> | null = null;

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
    this.wakeFollow();
  }

  /** Sweeps of another executor (Slurm) that still have members to finish; finished ones are not polled again. */
  private readonly clusterDone = new Set<string>();
  /** The last `done/total` sent per sweep, so progress events only ever move forward. */
  private readonly lastSweepProgress = new Map<string, string>();
  /** The next follow pass, when one is due; null while a pass runs or while no cluster sweep is unfinished. */
  private followTimer: NodeJS.Timeout | null = null;
  private following = false;
  /** Aborted by close(): a Slurm command of a follow pass still in flight is killed, not waited for. */
  private readonly followAbort = new AbortController();

  /**
   * Schedules a follow pass unless one is due or running (passes never overlap). Called when the
   * archive opens and when a client looks at sweeps or runs (a sweep submitted from the CLI meanwhile
   * is found then); a pass schedules the next only while some cluster sweep is unfinished, so a lab
   * without one polls nothing.
   */
  private wakeFollow(delayMs = 0): void {
    if (this.closed || this.following || this.followTimer) return;
    this.followTimer = setTimeout(() => {
      this.followTimer = null;
      void this.followClusterSweeps();
    }, delayMs);
    this.followTimer.unref();
  }

  /**
   * Follows the sweeps that run elsewhere (a Slurm job array) while the lab is served on the
   * cluster's login node: their placeholder rows take Slurm's states and every finished shard is
   * merged as it lands, so the Sweeps view shows them like local ones. A failing poll (squeue
   * unreachable) is kept as the members' detail and retried on the next tick. Only folders this lab
   * recorded when it started the sweep are followed: never one a client sent (sweeps.start refuses
   * it) nor one an imported archive named (marked `imported` on import). Slurm's commands run as
   * child processes awaited here, so a slow login node never holds the event loop.
   */
  private async followClusterSweeps(): Promise<void> {
    if (this.following || this.closed) return;
    this.following = true;
    let unfinished = false;
    try {
      const { storedExecutor, createExecutor } = await import('../runs/executor-registry.ts');
      for (const sw of this.archive.listSweeps()) {
        if (this.clusterDone.has(sw.uuid)) continue;
        const rec = this.archive.getSweep(sw.uuid);
        const { kind, stored, imported } = storedExecutor(rec?.definition);
        if (!rec || kind === 'local' || imported) {
          this.clusterDone.add(sw.uuid);
          continue;
        }
        unfinished = true;
        const before = new Map(this.archive.listRuns({ sweep: sw.uuid }).map((r) => [r.uuid, `${r.status}|${r.lastStep}|${r.error}`]));
        const ex = await createExecutor(kind, this.archive, sw.uuid, { signal: this.followAbort.signal }, stored);
        let states;
        try {
          states = await ex.poll();
        } catch {
          continue; // Slurm unreachable from here (the lab serves on a desktop): the rows stay as they are
        } finally {
          await ex.close();
        }
        let changed = false;
        for (const r of this.archive.listRuns({ sweep: sw.uuid })) {
          if (before.get(r.uuid) === `${r.status}|${r.lastStep}|${r.error}`) continue;
          changed = true;
          this.emit({ type: 'run.status', runId: r.uuid, status: r.status });
        }
        const done = states.filter((m) => !ACTIVE_STATUSES.has(m.status)).length;
        if (changed) this.emit({ type: 'sweep.progress', sweepId: sw.uuid, done, total: states.length });
        if (done === states.length && states.every((m) => m.status !== 'interrupted')) this.clusterDone.add(sw.uuid);
      }
    } catch {
      // Following is a convenience; `dplab sweep status` says what is wrong.
    } finally {
      this.following = false;
      if (unfinished) this.wakeFollow(this.opts.followMs ?? 5000);
    }
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
  private async ownedJob<T>(conn: LabConnection, request: 'theory.run' | 'datasets.import' | 'archive.import' | 'archive.info' | 'backends.list', label: string | undefined, run: (id: string) => Promise<T>, cancel: (id: string) => boolean): Promise<T> {
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
  async exportStream(rawArgs: unknown): Promise<{ filename: string; mime: string; runs: number; chunks: Iterable<string> }> {
    const v = validateRequest('runs.export', rawArgs);
    if (!v.ok) throw new ServiceError('invalid-args', v.error.message);
    const a = v.args as ParsedArgs<'runs.export'>;
    const runs = await this.knownRuns(a.runIds);
    const ex = await import('../archive/export.ts');
    const stamp = new Date().toISOString().slice(0, 10);
    const one = runs.length === 1 ? `run-${runs[0]!.slice(0, 8)}` : `runs-${stamp}`;
    if (a.format === 'json' || a.format === 'ndjson') {
      if (a.format === 'json' && runs.length === 1) {
        return { filename: `${one}.json`, mime: 'application/json', runs: 1, chunks: [JSON.stringify(ex.exportRunBundle(this.archive, runs[0]!), null, 2)] };
      }
      return { filename: `${one}.${a.format}`, mime: a.format === 'json' ? 'application/json' : 'application/x-ndjson', runs: runs.length, chunks: ex.exportChunks(this.archive, runs, a.format) };
    }
    if (a.what === 'runs') return { filename: `runs-${stamp}.csv`, mime: 'text/csv', runs: runs.length, chunks: ex.exportChunks(this.archive, runs, 'csv') };
    if (runs.length !== 1) throw new ServiceError('invalid-args', `CSV of ${a.what} is one run per file; got ${runs.length} runs (use format 'json' for several)`);
    const u = runs[0]!;
    const table = a.what === 'metrics' ? ex.metricsTable(this.archive.getMetrics(u)) : ex.spectraTable(this.archive.getSpectra(u));
    return { filename: `run-${u.slice(0, 8)}-${a.what}.csv`, mime: 'text/csv', runs: 1, chunks: [ex.toCsv(table)] };
  }

  /** `ids` when every one is a run of the archive (checked EXPORT_BATCH at a time, a loop turn between); else not-found naming the first missing one. */
  private async knownRuns(ids: readonly string[]): Promise<string[]> {
    for (let i = 0; i < ids.length; i += EXPORT_BATCH) {
      if (i > 0) await loopTurn();
      const batch = ids.slice(i, i + EXPORT_BATCH);
      const have = this.archive.existingRuns(batch);
      const missing = batch.find((id) => !have.has(id));
      if (missing !== undefined) throw new ServiceError('not-found', `no run ${missing} in ${this.archive.file}`);
    }
    return [...ids];
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
    if (this.followTimer) clearTimeout(this.followTimer);
    this.followAbort.abort();
    this.backends.close();
    await this.jobs.close();
    await this.manager.close();
    this.archive.close();
    this.listeners.clear();
  }

  /** Every claim's result in registry order: experiments from the archive now, theory from the cache. */
  private async claimResults(seeds: number[]): Promise<ClaimResult[]> {
    const theory = await this.theoryResults();
    const experiments = collectResults(this.archive, CLAIMS.filter((c) => c.kind === 'experiment'), seeds);
    return CLAIMS.map((c) => (c.kind === 'theory' ? theory : experiments).find((r) => r.claim.id === c.id)!);
  }

  /**
   * Every claim's result on evaluation seeds, read in rounds as `dplab reproduce run --until-decided`
   * adds them (replayed from the archive; nothing is trained), with the seeds each claim was judged on.
   */
  private async evaluationResults(maxSeeds: number): Promise<{ seeds: number[]; results: ClaimResult[]; seedsByClaim: Record<string, number[]>; undecided: string[] }> {
    const theory = await this.theoryResults();
    const out = await untilDecided(this.archive, CLAIMS.filter((c) => c.kind === 'experiment'), { maxSeeds });
    const results = CLAIMS.map((c) => (c.kind === 'theory' ? theory : out.results).find((r) => r.claim.id === c.id)!);
    const seeds = [...new Set(Object.values(out.seeds).flat())].sort((p, q) => p - q);
    return { seeds, results, seedsByClaim: out.seeds, undecided: out.undecided };
  }

  /** The seeds a reproduce request reads: named, or every seed held (at least 3); `evaluation` excludes `seeds`. */
  private readSeeds(a: { seeds?: number | undefined; evaluation?: boolean | undefined; maxSeeds?: number | undefined }): number[] | null {
    if (a.evaluation && a.seeds !== undefined) throw new ServiceError('invalid-args', 'seeds and evaluation exclude each other: evaluation picks the evaluation seeds itself (maxSeeds caps them)');
    if (!a.evaluation && a.maxSeeds !== undefined) throw new ServiceError('invalid-args', 'maxSeeds goes with evaluation');
    if (a.evaluation) return null;
    return a.seeds !== undefined ? Array.from({ length: a.seeds }, (_, i) => i) : defaultSeeds(this.archive);
  }

  /** The theory claims' results, computed once in the job pool. */
  private async theoryResults(): Promise<ClaimResult[]> {
    if (!this.theoryClaims) {
      const p = this.jobs.run({ kind: 'reproduce.theory' }, { timeoutMs: this.opts.jobs?.theoryTimeoutMs ?? 5 * 60_000 }).then((r) => jobResult('reproduce.theory', r) as ClaimResult[]);
      this.theoryClaims = p;
      p.catch(() => {
        if (this.theoryClaims === p) this.theoryClaims = null; // a cancelled or failed computation is tried again next time
      });
    }
    return this.theoryClaims;
  }

  /**
   * The backend runs train on, for the status bar: with `auto`, the pick of the session's
   * `dplab backends` report once backends.list has made one (it tried each backend; the installed
   * packages alone cannot tell whether a GPU adapter is there), else a guess from the packages.
   */
  private backendNow(): { backend: string; backendPreference: string; adapter: GpuAdapterInfo | null } {
    const pref = this.opts.backend ?? 'auto';
    const report = this.backends.cached?.report;
    const backend = pref === 'auto' && report ? report.auto : likelyBackend(pref);
    const adapter = backend === 'webgpu' ? (report?.backends.find((b) => b.kind === 'webgpu')?.adapter ?? null) : null;
    return { backend, backendPreference: pref, adapter };
  }

  /**
   * The memory preflight of `dplab run`, for every run a request would start (one run, or each
   * member of a sweep): a setup whose training step or dataset cannot fit in the memory of the
   * backend the trainers will use is refused before any run row exists, naming the member, the
   * field, the estimate and the limit, so a hostile or mistaken request cannot make a trainer
   * allocate until it dies or the machine swaps.
   */
  private refuseUnfit(members: { setup: Setup; combo?: Record<string, unknown> }[]): void {
    const backend = this.backendNow().backend as BackendKind;
    const problems: string[] = [];
    for (const m of members) {
      const p = setupFootprintProblems(m.setup, backend, this.opts.dataDir);
      if (!p.length) continue;
      const who = m.combo ? `sweep member ${JSON.stringify(m.combo)}: ` : '';
      problems.push(...p.map((i) => `${who}${i.path}: ${i.message}`));
    }
    if (problems.length) {
      const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
      throw new ServiceError('invalid-args', `this machine cannot run the setup; nothing was started: ${problems.slice(0, 5).join('; ')}${more}`);
    }
  }

  private run(runId: string): RunRecord {
    const r = this.archive.getRun(runId);
    if (!r) throw new ServiceError('not-found', `no run ${runId} in ${this.archive.file}`);
    return r;
  }

  private readonly handlers: { [N in RequestName]: Handler<N> } = {
    'app.info': () => ({
      contractVersion: CONTRACT_VERSION,
      appVersion: this.version,
      archive: this.archive.file,
      transport: this.opts.transport,
      ...this.backendNow(),
      queue: this.queueState(),
    }),
    'setup.validate': (a) => checkSetup(a.setup),
    'setup.defaults': () => defaultSetup(),
    'presets.list': () => SETUP_PRESETS,
    'runs.start': (a) => {
      const c = checkSetup(a.setup);
      if (!c.ok) {
        throw new ServiceError('invalid-args', `invalid setup: ${c.issues.map((i) => `${i.path || '(setup)'}: ${i.message}`).join('; ')}`);
      }
      this.refuseUnfit([{ setup: c.setup }]);
      return { runId: this.manager.submit(c.setup, a.name !== undefined ? { name: a.name } : {}) };
    },
    'runs.cancel': (a) => {
      this.run(a.runId);
      return { ok: this.manager.cancel(a.runId) };
    },
    'runs.resume': (a) => {
      const r = this.run(a.runId);
      // A run archived elsewhere (a bigger machine, an imported archive) is checked like a new one.
      const stored = checkSetup(r.setup, { stored: true });
      if (stored.ok) this.refuseUnfit([{ setup: stored.setup }]);
      // The run continues from its newest checkpoint: say which, so a rewind is never silent.
      const fromStep = this.archive.listCheckpoints(a.runId).reduce((m, c) => Math.max(m, c.step), 0);
      this.manager.resume(a.runId);
      return { ok: true, fromStep, lastStep: r.lastStep };
    },
    'runs.delete': (a) => {
      this.run(a.runId);
      let ok: boolean;
      try {
        ok = this.manager.delete(a.runId);
      } catch (e) {
        throw new ServiceError('failed', (e as Error).message);
      }
      if (ok) this.emit({ type: 'archive.changed', path: this.archive.file });
      return { ok };
    },
    'runs.list': (a) =>
      this.archive
        .listRuns({
          ...(a.status ? { status: a.status } : {}),
          ...(a.tag !== undefined ? { tag: a.tag } : {}),
          ...(a.sweepId !== undefined ? { sweep: a.sweepId } : {}),
          ...(a.limit !== undefined ? { limit: a.limit } : {}),
        })
        .map(toRow),
    'runs.get': (a) => {
      const r = this.run(a.runId);
      return { ...toRow(r), note: this.archive.getNote(r.uuid), versions: r.versions, host: r.host, checkpoints: this.archive.listCheckpoints(r.uuid).length };
    },
    'runs.metrics': (a): Series[] => {
      this.run(a.runId);
      return this.archive.getMetrics(a.runId, a.names);
    },
    'runs.spectra': (a) => {
      this.run(a.runId);
      return this.archive.getSpectra(a.runId);
    },
    'runs.evals': (a) => {
      this.run(a.runId);
      return this.archive.getEvals(a.runId);
    },
    'runs.tag': (a) => {
      this.run(a.runId);
      this.archive.addTags(a.runId, a.add);
      this.archive.removeTags(a.runId, a.remove);
      return { tags: this.run(a.runId).tags };
    },
    'runs.note': (a) => {
      this.run(a.runId);
      this.archive.setNote(a.runId, a.markdown);
      return { ok: true as const };
    },
    'runs.export': async (a, conn) => {
      // One reply is one string: assembled from the streamed chunks up to a limit, beyond which
      // the caller is told to use the streamed export (which has no limit and bounded memory).
      // The chunks are read in slices of a few ms with a loop turn between, so other requests,
      // heartbeats and trainer events are served while a large reply is put together; a caller
      // that went away (closed socket or window) stops it.
      const ex = await this.exportStream(a);
      const limit = this.opts.exportReplyLimit ?? 16 * 1024 * 1024;
      const parts: string[] = [];
      let size = 0;
      let slice = performance.now();
      for (const c of ex.chunks) {
        if (this.closed) throw new ServiceError('failed', 'runs.export: the lab is shutting down');
        if (!conn.isOpen) throw new ServiceError('failed', 'runs.export: the connection closed; the export was stopped');
        if (performance.now() - slice > SLICE_MS) {
          await loopTurn();
          slice = performance.now();
        }
        size += c.length;
        if (size > limit) {
          throw new ServiceError(
            'failed',
            `runs.export: the export of ${a.runIds.length} runs is larger than ${Math.round(limit / 1048576)} MiB, too large for one reply; use the streamed export (the browser's download, the app's File › Export All Runs…, or dplab runs export --out FILE)`,
          );
        }
        parts.push(c);
      }
      return { filename: ex.filename, mime: ex.mime, content: parts.join('') };
    },
    'sweeps.preview': (a) => {
      const { concurrency: _c, ...def } = a.definition as SweepDefinition & { concurrency?: number };
      const { members, issues } = expandSweep(def);
      // The size of the grid even when some combinations are invalid (then no members come back).
      let count = members.length;
      if (!count) {
        try {
          count = sweepAxes(def).reduce((n, ax) => n * ax.values.length, 1) * sweepSeeds(def).length;
        } catch {
          count = 0;
        }
      }
      return {
        count,
        issues: issues.map((i) => ({ path: i.path, message: i.message, ...(i.idx >= 0 ? { combo: i.combo } : {}) })),
        combos: members.map((m) => m.combo),
      };
    },
    'sweeps.start': (a) => {
      if (Object.prototype.hasOwnProperty.call(a.definition, 'executor')) {
        // The executor record names a folder and a Slurm job for the lab to follow and act on: only
        // the lab writes it, when its own executor accepted the sweep (the app trains on its queue).
        throw new ServiceError('invalid-args', `sweeps.start: definition.executor is recorded by the lab when it starts a sweep, never sent by a client; remove the field (got ${JSON.stringify(a.definition.executor).slice(0, 200)})`);
      }
      // `concurrency` belongs to the queue, not to the grid: it sets how many runs train at once.
      const { concurrency, ...def } = a.definition as SweepDefinition & { concurrency?: number };
      if (concurrency !== undefined) {
        this.manager.setConcurrency(concurrency);
        this.emit({ type: 'queue', ...this.queueState() });
      }
      const { members, issues } = expandSweep(def);
      if (issues.length) {
        throw new ServiceError('invalid-args', `the sweep has ${issues.length} problem(s); nothing was started: ${issues.slice(0, 5).map((i) => `${i.path || '(setup)'}: ${i.message}`).join('; ')}`);
      }
      this.refuseUnfit(members);
      const { sweepId, runIds } = this.manager.submitSweep(def, members);
      this.lastSweepProgress.set(sweepId, `0/${runIds.length}`);
      this.emit({ type: 'sweep.progress', sweepId, done: 0, total: runIds.length });
      return { sweepId, runIds };
    },
    'sweeps.list': () => {
      this.wakeFollow(); // a sweep submitted from the CLI since is followed from now on
      return this.archive.listSweeps().map((s) => ({ id: s.uuid, name: s.name, createdAt: s.createdAt, runs: s.runs }));
    },
    'sweeps.get': (a) => {
      this.wakeFollow();
      const s = this.archive.getSweep(a.sweepId);
      if (!s) throw new ServiceError('not-found', `no sweep ${a.sweepId} in ${this.archive.file}`);
      const runs = this.archive.listRuns({ sweep: s.uuid, order: 'oldest' });
      const by = a.groupBy ?? sweepAxes(s.definition as SweepDefinition).map((x) => x.path);
      const grouped = runs.map((r) => ({ uuid: r.uuid, status: r.status, setup: currentSetup(r.setup), summary: r.summary as unknown as Record<string, unknown> | null }));
      const rows = groupRuns(grouped, by, FINAL_METRICS);
      const baselines = groupBaselines(rows, grouped, BASELINE_METRICS);
      const ex = (s.definition as { executor?: { kind?: unknown; jobId?: unknown; folder?: unknown } } | null)?.executor;
      return {
        id: s.uuid,
        name: s.name,
        definition: s.definition,
        executor: ex && typeof ex.kind === 'string' ? { kind: ex.kind, jobId: typeof ex.jobId === 'string' ? ex.jobId : null, folder: typeof ex.folder === 'string' ? ex.folder : null } : null,
        runs: runs.map(toRow),
        groups: rows.map((g, i) => ({ key: g.key, n: g.runs.length, metrics: g.metrics, baseline: baselines[i]! })),
      };
    },
    'theory.presets': async () => (await import('./jobs.ts')).theoryPresets(),
    'theory.run': async (a, conn) => {
      if (a.preset === undefined && a.params === undefined) throw new ServiceError('invalid-args', 'theory.run needs a preset name or params {kind, params}');
      const job = { kind: 'theory' as const, ...(a.preset !== undefined ? { preset: a.preset } : {}), ...(a.params !== undefined ? { params: a.params } : {}) };
      const timeoutMs = this.opts.jobs?.theoryTimeoutMs ?? 5 * 60_000;
      const r = await this.ownedJob(conn, 'theory.run', a.jobId, (id) => this.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => this.jobs.cancel(id));
      return jobResult('theory.run', r);
    },
    'jobs.cancel': (a, conn) => {
      // Only this connection's jobs, by the lab's id or the caller's label.
      for (const [id, j] of conn.jobs) if (id === a.jobId || j.label === a.jobId) return { ok: j.cancel() };
      return { ok: false };
    },
    'reproduce.results': async (a) => {
      const seeds = this.readSeeds(a);
      if (seeds === null) {
        const { undecided: _u, ...out } = await this.evaluationResults(a.maxSeeds ?? DEFAULT_MAX_SEEDS);
        return out;
      }
      return { seeds, results: await this.claimResults(seeds) };
    },
    'reproduce.run': async (a) => {
      let claims;
      try {
        claims = selectClaims(a.claims);
      } catch (e) {
        throw new ServiceError('invalid-args', (e as Error).message);
      }
      if (!a.evaluation && a.maxSeeds !== undefined) throw new ServiceError('invalid-args', 'maxSeeds goes with evaluation');
      let plan: PlannedRun[];
      if (a.evaluation) {
        // One round: each named claim still undecided gets the seeds of its next look.
        const maxSeeds = a.maxSeeds ?? DEFAULT_MAX_SEEDS;
        const experiments = claims.filter((c) => c.kind === 'experiment');
        const out = await untilDecided(this.archive, experiments, { maxSeeds });
        const byHash = new Map<string, PlannedRun>();
        for (const c of experiments) {
          if (!out.undecided.includes(c.id)) continue;
          const look = nextLook(out.seeds[c.id]?.length ?? 0, maxSeeds);
          if (look !== null) for (const p of planRuns([c], evalSeeds(look))) byHash.set(p.hash, p);
        }
        plan = [...byHash.values()];
      } else plan = planRuns(claims, Array.from({ length: a.seeds }, (_, i) => i));
      const { def, members, reused } = missingSweep(this.archive, plan);
      if (members.length === 0) return { sweepId: null, queued: 0, reused };
      this.refuseUnfit(members);
      const { sweepId, runIds } = this.manager.submitSweep(def, members);
      for (const r of runIds) this.archive.addTags(r, [REPRODUCE_TAG]);
      this.lastSweepProgress.set(sweepId, `0/${runIds.length}`);
      this.emit({ type: 'sweep.progress', sweepId, done: 0, total: runIds.length });
      return { sweepId, queued: runIds.length, reused };
    },
    'reproduce.report': async (a) => {
      const named = this.readSeeds(a);
      const maxSeeds = a.maxSeeds ?? DEFAULT_MAX_SEEDS;
      const evaluation = named === null ? await this.evaluationResults(maxSeeds) : null;
      const seeds = named ?? evaluation!.seeds;
      const results = evaluation ? evaluation.results : await this.claimResults(seeds);
      const any = this.archive.listRuns({ tag: REPRODUCE_TAG, status: 'completed', limit: 1 })[0];
      const content = htmlReport(results, {
        date: new Date().toISOString().slice(0, 10),
        machine: `${process.platform}/${process.arch}, Node ${process.versions.node}`,
        training: trainingTime(this.archive, CLAIMS, seeds),
        seeds,
        backend: any?.summary?.backend ?? 'unknown',
        appVersion: APP_VERSION,
        ...(evaluation ? { maxSeeds, seedsByClaim: evaluation.seedsByClaim } : {}),
      });
      return { filename: 'directpred-lab-reproduction.html', mime: 'text/html', content };
    },
    'datasets.list': async () => {
      const { listDatasets } = await import('../data/cache.ts');
      const out: Results['datasets.list'] = [];
      for (const d of listDatasets(this.opts.dataDir)) {
        if (!d.meta) continue;
        const m = d.meta;
        out.push({ name: m.name, format: m.format, height: m.height, width: m.width, channels: m.channels, counts: m.counts as Record<string, number>, classes: m.classNames.length, hash: m.hash });
      }
      return out;
    },
    'datasets.import': async (a, conn) => {
      // A stamp of our own names the import's temporary folder, so that when the worker is
      // terminated mid-write (cancel, timeout, close) or dies, the folder it left is removed.
      const stamp = `${Date.now()}${String(++this.importSeq).padStart(6, '0')}`;
      const options = {
        ...(a.format !== undefined ? { format: a.format } : {}),
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(this.opts.dataDir !== undefined ? { cacheDir: this.opts.dataDir } : {}),
        limits: { ...(a.maxImagePixels !== undefined ? { maxImagePixels: a.maxImagePixels } : {}), ...(a.maxDatasetBytes !== undefined ? { maxDatasetBytes: a.maxDatasetBytes } : {}) },
        stamp,
      };
      const job = { kind: 'datasets.import' as const, path: requestPath(a.path, 'dataset', { mayCreate: false }), options };
      const timeoutMs = this.opts.jobs?.importTimeoutMs ?? 60 * 60_000;
      const r = await this.ownedJob(conn, 'datasets.import', a.jobId, (id) => this.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => this.jobs.cancel(id));
      if (!r.ok) (await import('../data/cache.ts')).removeImportTemp(stamp, this.opts.dataDir);
      return jobResult('datasets.import', r) as Results['datasets.import'];
    },
    'archive.info': async (a, conn) => {
      const file = this.archive.file;
      const info = { path: file, schemaVersion: this.archive.schemaVersion, sizeBytes: fileSize(file), runs: this.archive.counts().runs ?? 0 };
      if (!a.check) return { ...info, integrity: null };
      // The full check reads every page (minutes for a large archive): in the job pool, on a database connection of its own.
      const job = { kind: 'archive.check' as const, file };
      const timeoutMs = this.opts.jobs?.archiveTimeoutMs ?? 60 * 60_000;
      const r = await this.ownedJob(conn, 'archive.info', a.jobId, (id) => this.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => this.jobs.cancel(id));
      return { ...info, integrity: jobResult('archive.info', r) as string[] };
    },
    'archive.open': async (a) => {
      if (this.manager.running.length || this.manager.queued.length) {
        throw new ServiceError('failed', `runs are training in ${this.archive.file}; cancel them or wait before opening another archive`);
      }
      requestPath(a.path, 'archive', { mayCreate: true });
      const next = openArchive(a.path); // throws (foreign, newer, damaged) before anything changes
      const old = this.archive;
      const oldManager = this.manager;
      this.archive = next;
      this.manager = this.makeManager(next);
      await oldManager.close();
      old.close();
      this.emit({ type: 'archive.changed', path: next.file });
      this.emit({ type: 'queue', ...this.queueState() });
      this.clusterDone.clear();
      this.wakeFollow();
      return { path: next.file };
    },
    'archive.import': async (a, conn) => {
      if (this.archive.readonly) throw new ServiceError('failed', `archive.import: ${this.archive.file} is open read-only; cannot import into it`);
      // Checking the source and copying its runs take as long as the source is large: in the job
      // pool, on a database connection of its own (short transactions of whole runs, so the run
      // manager's writes are not held up; a stopped import keeps whole runs only).
      const job = { kind: 'archive.import' as const, target: this.archive.file, source: requestPath(a.path, 'archive', { mayCreate: false }) };
      const timeoutMs = this.opts.jobs?.archiveTimeoutMs ?? 60 * 60_000;
      const r = await this.ownedJob(conn, 'archive.import', a.jobId, (id) => this.jobs.run(job, { id, label: a.jobId ?? id, timeoutMs }), (id) => this.jobs.cancel(id));
      const { runsAdded, runsSkipped } = jobResult('archive.import', r) as { runsAdded: number; runsSkipped: number };
      if (runsAdded) this.emit({ type: 'archive.changed', path: this.archive.file });
      return { added: runsAdded, skipped: runsSkipped };
    },
    'backends.list': async (a, conn) => {
      const list = (id?: string) =>
        this.backends.list({ measure: a.measure, refresh: a.refresh, ...(id !== undefined ? { jobId: id, label: a.jobId ?? id } : {}) }).catch((e: unknown) => {
          throw new ServiceError('failed', `backends.list: ${(e as Error).message}`);
        });
      // The quick report is one child shared by every caller (then cached): nobody's own job.
      if (!a.measure && !a.refresh && a.jobId === undefined) return list();
      return this.ownedJob(conn, 'backends.list', a.jobId, (id) => list(id), (id) => this.backends.cancel(id));
    },
  };
}

/** Runs checked per query when a request names many (exports): one query, then a loop turn. */
const EXPORT_BATCH = 500;

/** Longest stretch, in ms, that assembling a runs.export reply holds the loop before giving others a turn. */
const SLICE_MS = 4;

/** Resolves after the loop has served what was waiting (I/O, timers): the yield between slices of long work. */
function loopTurn(): Promise<void> {
  return new Promise((ok) => setImmediate(ok));
}

/**
 * A file path from a request. It must be absolute (a relative one would resolve against wherever the
 * server was started), and name something that exists, or, for a new archive, a file in an existing
 * folder: a request never creates folders.
 */
function requestPath(path: string, what: string, opts: { mayCreate: boolean }): string {
  if (!isAbsolute(path)) throw new ServiceError('invalid-args', `the ${what} path must be absolute, got '${path.slice(0, 200)}'`);
  if (existsSync(path)) return path;
  if (!opts.mayCreate) throw new ServiceError('invalid-args', `no ${what} at ${path.slice(0, 500)}`);
  let folder: boolean;
  try {
    folder = statSync(dirname(path)).isDirectory();
  } catch {
    folder = false;
  }
  if (!folder) throw new ServiceError('invalid-args', `cannot create a new ${what} at ${path.slice(0, 500)}: the folder ${dirname(path).slice(0, 500)} does not exist`);
  return path;
}

/** A long job's reply as a result, or the ServiceError naming why it did not finish. */
function jobResult(what: string, r: WorkerReply): unknown {
  if (r.ok) return r.result;
  throw new ServiceError(r.badInput ? 'invalid-args' : 'failed', `${what}: ${r.message}`);
}

function fileSize(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no WAL file
    }
  }
  return n;
}

/** The label of the GPU adapter recorded under host.gpu (webgpu runs), or null. */
function gpuOf(host: Record<string, unknown> | null): string | null {
  const g = host?.gpu as Partial<GpuAdapterInfo> | undefined;
  if (!g || typeof g !== 'object' || typeof g.vendor !== 'string') return null;
  return adapterLabel({ vendor: g.vendor, architecture: String(g.architecture ?? ''), device: String(g.device ?? ''), description: String(g.description ?? ''), fallback: g.fallback === true });
}

/**
 * A stored setup in the current schema version (a version-1 run gets `lossReduction: "mean"`, as it
 * was trained), so views group, label and duplicate it by what it meant; as stored if it is newer.
 */
function currentSetup(raw: Record<string, unknown>): Record<string, unknown> {
  try {
    return migrateSetup(raw) as Record<string, unknown>;
  } catch {
    return raw;
  }
}

/** A run record as the contract lists it. */
export function toRow(r: RunRecord): RunRow {
  return {
    id: r.uuid,
    name: r.name,
    status: r.status,
    setup: currentSetup(r.setup) as unknown as Setup,
    setupHash: r.setupHash,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    backend: r.backend,
    adapter: gpuOf(r.host),
    totalSteps: r.totalSteps,
    lastStep: r.lastStep,
    summary: r.summary,
    error: r.error,
    tags: r.tags,
    dataset: r.dataset ? { name: r.dataset.name, hash: r.dataset.hash } : null,
  };
}
