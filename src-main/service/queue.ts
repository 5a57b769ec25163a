/**
 * The service's one bounded job queue, under the worker-thread pool of its long jobs (jobs.ts) and
 * the `dplab backends` child processes (backends.ts): no request starts unbounded work. At most
 * `slots` jobs run at once and at most `queueLimit` wait (one more is refused at once), each job
 * stops at its timeout, a job is cancelled by its id, and closing ends every job. A job that ends,
 * however it ends, is stopped (its worker terminated, its child killed) before its result is
 * delivered, so nothing it does follows its answer.
 */

/**
 * Why the queue, not the job, gave a job its result: cancelled by id, past its timeout, refused
 * because the queue was full, ended by closing, or refused because its id is already queued.
 */
export type QueueStop = 'cancelled' | 'timeout' | 'busy' | 'closed' | 'duplicate';

/** One job's work: started when a slot frees up, stopped when the job ends however it ends. */
export interface QueueTask<R> {
  /** Starts the work, which calls `finish` once with its result (the queue ignores later calls). */
  start(finish: (result: R) => void): void;
  /** Ends the work and frees what it holds; called once, started or not. The result waits for it. */
  stop(): void | Promise<void>;
}

/** What the owner's `stopped` needs to word a result the queue gave. */
export interface StoppedJob<T> {
  task: T;
  id: string | null;
  label: string;
  timeoutMs: number;
  /** Jobs running and waiting when it was refused (busy), and the limit it met. */
  running: number;
  waiting: number;
  queueLimit: number;
}

/** Options of a queue; `stopped` makes the result of a job the queue ended or refused. */
export interface BoundedQueueOptions<R, T> {
  /** Jobs running at once (at least 1). */
  slots: number;
  /** Jobs waiting beyond the running ones; one more is refused (`busy`). */
  queueLimit: number;
  stopped: (reason: QueueStop, job: StoppedJob<T>) => R;
}

interface Entry<R, T> {
  task: T;
  id: string | null;
  label: string;
  timeoutMs: number;
  resolve: (r: R) => void;
  settled: boolean;
  timer?: NodeJS.Timeout;
}

/** A bounded, cancellable queue of jobs; `run` never rejects (a refusal or stop is a result too). */
export class BoundedQueue<R, T extends QueueTask<R> = QueueTask<R>> {
  private readonly slots: number;
  private readonly queueLimit: number;
  private readonly running = new Map<Entry<R, T>, true>();
  private readonly waiting: Entry<R, T>[] = [];
  private ended = false;

  constructor(private readonly opts: BoundedQueueOptions<R, T>) {
    this.slots = Math.max(1, opts.slots);
    this.queueLimit = Math.max(0, opts.queueLimit);
  }

  /** Jobs running and waiting now. */
  get size(): { running: number; waiting: number } {
    return { running: this.running.size, waiting: this.waiting.length };
  }

  /** True once `close` was called: every job from then on is refused. */
  get closed(): boolean {
    return this.ended;
  }

  /** Whether a job with this id is running or waiting. */
  has(id: string): boolean {
    return this.find(id) !== undefined;
  }

  /**
   * Runs `task` now or when a slot frees up, and resolves with its result, or with `stopped`'s when
   * the queue is closed or full, the id is taken, or the job is cancelled or times out. A null id
   * cannot be cancelled; `label` is how messages name the job.
   */
  run(task: T, job: { id: string | null; label: string; timeoutMs: number }): Promise<R> {
    const e: Entry<R, T> = { task, ...job, resolve: () => undefined, settled: false };
    let refused: QueueStop | null = null;
    if (this.ended) refused = 'closed';
    else if (job.id !== null && this.has(job.id)) refused = 'duplicate';
    else if (this.running.size >= this.slots && this.waiting.length >= this.queueLimit) refused = 'busy';
    return new Promise((resolve) => {
      e.resolve = resolve;
      // A refused task is stopped too (it never started): its owner sees it ended.
      if (refused) void this.settle(e, this.opts.stopped(refused, this.stoppedJob(e)));
      else {
        this.waiting.push(e);
        this.pump();
      }
    });
  }

  /** Cancels a running or waiting job by its id; false when there is none. */
  cancel(id: string): boolean {
    const e = this.find(id);
    if (!e) return false;
    this.settle(e, this.opts.stopped('cancelled', this.stoppedJob(e)));
    return true;
  }

  /** Refuses new jobs, ends the waiting ones and stops every running one; resolves once all are stopped. */
  async close(): Promise<void> {
    this.ended = true;
    const all = [...this.waiting, ...this.running.keys()];
    await Promise.all(all.map((e) => this.settle(e, this.opts.stopped('closed', this.stoppedJob(e)))));
  }

  private find(id: string): Entry<R, T> | undefined {
    return this.waiting.find((e) => e.id === id) ?? [...this.running.keys()].find((e) => e.id === id);
  }

  private stoppedJob(e: Entry<R, T>): StoppedJob<T> {
    return { task: e.task, id: e.id, label: e.label, timeoutMs: e.timeoutMs, running: this.running.size, waiting: this.waiting.length, queueLimit: this.queueLimit };
  }

  private pump(): void {
    while (!this.ended && this.running.size < this.slots && this.waiting.length) this.start(this.waiting.shift()!);
  }

  private start(e: Entry<R, T>): void {
    this.running.set(e, true);
    e.task.start((r) => void this.settle(e, r));
    if (e.settled) return;
    e.timer = setTimeout(() => void this.settle(e, this.opts.stopped('timeout', this.stoppedJob(e))), e.timeoutMs);
    e.timer.unref();
  }

  /** Ends a job once: off the queue, its work stopped, the next one started, then its result delivered. */
  private settle(e: Entry<R, T>, r: R): Promise<void> {
    if (e.settled) return Promise.resolve();
    e.settled = true;
    if (e.timer) clearTimeout(e.timer);
    const i = this.waiting.indexOf(e);
    if (i >= 0) this.waiting.splice(i, 1);
    this.running.delete(e);
    let stopped: Promise<void>;
    try {
      stopped = Promise.resolve(e.task.stop()).catch(() => undefined);
    } catch {
      stopped = Promise.resolve();
    }
    this.pump();
    return stopped.then(() => e.resolve(r));
  }
}
