/**
 * The service's long jobs (theory simulations, dataset imports, archive imports and integrity
 * checks) run in worker threads of one shared pool, so a collapse diagram, a CIFAR import or the
 * check of a large archive never blocks the main process, and no request can
 * start unbounded work: at most `workers` jobs run at once, at most `queueLimit` wait (more are
 * refused at once), each job has a timeout, a job can be cancelled by its id, and closing the pool
 * terminates every worker (so `dplab serve` stops promptly on SIGTERM). A job gets a fresh worker:
 * terminating it is the only way to stop a synchronous simulation, and it leaves nothing behind.
 * The worker is jobs-worker.mjs (which loads jobs-worker.ts through tsx), or the bundled
 * jobs-worker.cjs under Electron.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '../theory/presets.ts';
import type { ImportOptions } from '../data/cache.ts';

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

interface Pending {
  id: string;
  /** How messages name the job (the caller's label, else the id). */
  label: string;
  job: WorkerJob;
  timeoutMs: number;
  resolve: (r: WorkerReply) => void;
  worker?: Worker;
  timer?: NodeJS.Timeout;
  settled: boolean;
}

/** One shared pool of worker threads for the service's long jobs. */
export class JobPool {
  private readonly workerFile: string;
  private readonly workers: number;
  private readonly queueLimit: number;
  private readonly timeoutMs: number;
  private readonly running = new Map<string, Pending>();
  private readonly waiting: Pending[] = [];
  private closed = false;
  private seq = 0;

  constructor(opts: JobPoolOptions = {}) {
    this.workerFile = opts.workerFile ?? DEFAULT_WORKER;
    this.workers = Math.max(1, opts.workers ?? 1);
    this.queueLimit = Math.max(0, opts.queueLimit ?? 8);
    this.timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  }

  /** Jobs running and waiting now. */
  get size(): { running: number; waiting: number } {
    return { running: this.running.size, waiting: this.waiting.length };
  }

  /**
   * Runs `job` (now or when a worker frees up). Never rejects: a full queue, a cancel, a timeout or
   * the pool closing resolve with `ok: false` and `stopped` set. `id` lets `cancel` reach the job;
   * `label` is how messages name it (the caller's own word for it; the id by default).
   */
  run(job: WorkerJob, opts: { id?: string; label?: string; timeoutMs?: number } = {}): Promise<WorkerReply> {
    const id = opts.id ?? `job-${++this.seq}`;
    if (this.closed) return Promise.resolve({ ok: false, message: 'the lab is shutting down', badInput: false, stopped: 'closed' });
    if (this.running.has(id) || this.waiting.some((p) => p.id === id)) {
      return Promise.resolve({ ok: false, message: `a job with id '${id}' is already running or waiting`, badInput: true });
    }
    if (this.running.size >= this.workers && this.waiting.length >= this.queueLimit) {
      return Promise.resolve({
        ok: false,
        message: `the job queue is full (${this.running.size} running, ${this.waiting.length} waiting, limit ${this.queueLimit}); try again when one has finished, or cancel one`,
        badInput: false,
        stopped: 'busy',
      });
    }
    return new Promise((resolve) => {
      const p: Pending = { id, label: opts.label ?? id, job, timeoutMs: opts.timeoutMs ?? this.timeoutMs, resolve, settled: false };
      this.waiting.push(p);
      this.pump();
    });
  }

  /** Cancels a running or waiting job; false when no such job exists. */
  cancel(id: string): boolean {
    const i = this.waiting.findIndex((p) => p.id === id);
    if (i >= 0) {
      const [p] = this.waiting.splice(i, 1);
      this.settle(p!, { ok: false, message: `job ${p!.label} was cancelled`, badInput: false, stopped: 'cancelled' });
      return true;
    }
    const p = this.running.get(id);
    if (!p) return false;
    this.settle(p, { ok: false, message: `job ${p.label} was cancelled`, badInput: false, stopped: 'cancelled' });
    return true;
  }

  /** Refuses new jobs, ends the waiting ones and terminates every running worker. */
  async close(): Promise<void> {
    this.closed = true;
    const stop: WorkerReply = { ok: false, message: 'the lab is shutting down', badInput: false, stopped: 'closed' };
    for (const p of this.waiting.splice(0)) this.settle(p, stop);
    const workers = [...this.running.values()].map((p) => p.worker);
    for (const p of [...this.running.values()]) this.settle(p, stop);
    await Promise.all(workers.map((w) => w?.terminate().catch(() => undefined)));
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.workers && this.waiting.length) {
      const p = this.waiting.shift()!;
      this.start(p);
    }
  }

  private start(p: Pending): void {
    this.running.set(p.id, p);
    let w: Worker;
    try {
      w = new Worker(this.workerFile, { workerData: p.job });
    } catch (e) {
      this.settle(p, { ok: false, message: `cannot start a worker: ${(e as Error).message}`, badInput: false });
      return;
    }
    p.worker = w;
    p.timer = setTimeout(() => {
      const hint = p.job.kind === 'theory' ? '; ask for less work (a shorter t1, a larger dt, fewer cells)' : '';
      this.settle(p, { ok: false, message: `the job ran longer than ${Math.round(p.timeoutMs / 1000)} s and was stopped${hint}`, badInput: false, stopped: 'timeout' });
    }, p.timeoutMs);
    p.timer.unref();
    w.once('message', (m: WorkerReply) => this.settle(p, m));
    w.once('error', (e) => this.settle(p, { ok: false, message: e.message, badInput: false }));
    w.once('exit', (code) => this.settle(p, { ok: false, message: `the worker ended (code ${code}) without a result`, badInput: false }));
  }

  private settle(p: Pending, r: WorkerReply): void {
    if (p.settled) return;
    p.settled = true;
    if (p.timer) clearTimeout(p.timer);
    this.running.delete(p.id);
    // The reply waits until the worker has stopped, so nothing a job does follows its answer (the
    // service then removes what a terminated import was writing).
    const stopped = p.worker ? p.worker.terminate().catch(() => undefined) : Promise.resolve();
    void stopped.then(() => p.resolve(r));
    this.pump();
  }
}
