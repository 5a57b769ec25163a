/**
 * The service's long jobs (theory simulations, dataset imports, archive imports and integrity
 * checks) run in worker threads of one shared pool, so a collapse diagram, a CIFAR import or the
 * check of a large archive never blocks the main process, and no request can start unbounded work
 * (the bounds are queue.ts's): at most `workers` jobs run at once, at most `queueLimit` wait (more
 * are refused at once), each job has a timeout, a job can be cancelled by its id, and closing the
 * pool terminates every worker (so `dplab serve` stops promptly on SIGTERM). A job gets a fresh worker:
 * terminating it is the only way to stop a synchronous simulation, and it leaves nothing behind.
 * The worker is jobs-worker.mjs (which loads jobs-worker.ts through tsx), or the bundled
 * jobs-worker.cjs under Electron.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../theory/presets.ts';
import type { ImportOptions } from '../data/cache.ts';
import { BoundedQueue, type QueueStop, type QueueTask, type StoppedJob } from './queue.ts';

/** The theory presets as the contract lists them. */
export function theoryPresets(): { name: string; description: string; figure: string }[] {
  return Object.values(PRESETS).map((p) => ({ name: p.name, description: p.description, figure: p.figure }));
}

/** A job for the worker. */
export type WorkerJob =
  | { kind: 'theory'; preset?: string; params?: Record<string, unknown> }
  | { kind: 'datasets.import'; path: string; options: ImportOptions }
  | { kind: 'reproduce.theory' }
  | { kind: 'archive.check'; file: string }
  | { kind: 'archive.import'; target: string; source: string };

/**
 * What a worker answers: the result, or an error with whether the input was at fault. `stopped`
 * says the pool ended the job (cancelled, timed out, queue full, pool closed) rather than the job failing.
 */
export type WorkerReply = { ok: true; result: unknown } | { ok: false; message: string; badInput: boolean; stopped?: 'cancelled' | 'timeout' | 'busy' | 'closed' };

const DEFAULT_WORKER = fileURLToPath(new URL('./jobs-worker.mjs', import.meta.url));

/** Options of the job pool. */
export interface JobPoolOptions {
  /** Worker file (the bundled .cjs under Electron). */
  workerFile?: string;
  /** Jobs running at once (default 1: the machine's other cores train). */
  workers?: number;
  /** Jobs waiting beyond the running ones; one more is refused (default 8). */
  queueLimit?: number;
  /** Longest a job may run, in ms (default 10 minutes); then its worker is terminated. */
  timeoutMs?: number;
}

/** One job's worker thread: a fresh worker per job, terminated when the job ends however it ends. */
class WorkerTask implements QueueTask<WorkerReply> {
  private worker: Worker | undefined;

  constructor(
    private readonly workerFile: string,
    readonly job: WorkerJob,
  ) {}

  start(finish: (r: WorkerReply) => void): void {
    let w: Worker;
    try {
      w = new Worker(this.workerFile, { workerData: this.job });
    } catch (e) {
      finish({ ok: false, message: `cannot start a worker: ${(e as Error).message}`, badInput: false });
      return;
    }
    this.worker = w;
    w.once('message', (m: WorkerReply) => finish(m));
    w.once('error', (e) => finish({ ok: false, message: e.message, badInput: false }));
    w.once('exit', (code) => finish({ ok: false, message: `the worker ended (code ${code}) without a result`, badInput: false }));
  }

  // The reply waits until the worker has stopped, so nothing a job does follows its answer (the
  // service then removes what a terminated import was writing).
  async stop(): Promise<void> {
    await this.worker?.terminate();
  }
}

/** The reply of a job the pool ended or refused (the queue says why). */
function stoppedReply(reason: QueueStop, j: StoppedJob<WorkerTask>): WorkerReply {
  switch (reason) {
    case 'closed':
      return { ok: false, message: 'the lab is shutting down', badInput: false, stopped: 'closed' };
    case 'duplicate':
      return { ok: false, message: `a job with id '${j.id}' is already running or waiting`, badInput: true };
    case 'busy':
      return {
        ok: false,
        message: `the job queue is full (${j.running} running, ${j.waiting} waiting, limit ${j.queueLimit}); try again when one has finished, or cancel one`,
        badInput: false,
        stopped: 'busy',
      };
    case 'cancelled':
      return { ok: false, message: `job ${j.label} was cancelled`, badInput: false, stopped: 'cancelled' };
    case 'timeout':
      return { ok: false, message: `the job ran longer than ${Math.round(j.timeoutMs / 1000)} s and was stopped${j.task.job.kind === 'theory' ? '; ask for less work (a shorter t1, a larger dt, fewer cells)' : ''}`, badInput: false, stopped: 'timeout' };
  }
}

/** One shared pool of worker threads for the service's long jobs (bounded by queue.ts). */
export class JobPool {
  private readonly workerFile: string;
  private readonly timeoutMs: number;
  private readonly queue: BoundedQueue<WorkerReply, WorkerTask>;
  private seq = 0;

  constructor(opts: JobPoolOptions = {}) {
    this.workerFile = opts.workerFile ?? DEFAULT_WORKER;
    this.timeoutMs = opts.timeoutMs ?? 10 * 60_000;
    this.queue = new BoundedQueue({ slots: opts.workers ?? 1, queueLimit: opts.queueLimit ?? 8, stopped: stoppedReply });
  }

  /** Jobs running and waiting now. */
  get size(): { running: number; waiting: number } {
    return this.queue.size;
  }

  /**
   * Runs `job` (now or when a worker frees up). Never rejects: a full queue, a cancel, a timeout or
   * the pool closing resolve with `ok: false` and `stopped` set. `id` lets `cancel` reach the job;
   * `label` is how messages name it (the caller's own word for it; the id by default).
   */
  run(job: WorkerJob, opts: { id?: string; label?: string; timeoutMs?: number } = {}): Promise<WorkerReply> {
    const id = opts.id ?? `job-${++this.seq}`;
    return this.queue.run(new WorkerTask(this.workerFile, job), { id, label: opts.label ?? id, timeoutMs: opts.timeoutMs ?? this.timeoutMs });
  }

  /** Cancels a running or waiting job; false when no such job exists. */
  cancel(id: string): boolean {
    return this.queue.cancel(id);
  }

  /** Refuses new jobs, ends the waiting ones and terminates every running worker. */
  close(): Promise<void> {
    return this.queue.close();
  }
}
