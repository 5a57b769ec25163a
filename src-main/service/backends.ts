/**
 * `backends.list`: the service asks `dplab backends --json` in a child process, because telling
 * whether a backend loads means loading TensorFlow.js, its native addons and the GPU driver, which
 * the service (the Electron main process, the web server) must never do. The work is bounded like
 * the other long jobs, by the same queue (queue.ts): one probe at a time (figures taken side by side would only measure each
 * other), a short queue beyond which requests are refused, a timeout, cancel by job id; the child's
 * output is size-limited and validated with the report's schema before anyone sees it. The quick
 * report (no figures) does not change while the lab runs, so it is kept for the session.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BackendsReportSchema, type BackendsReport } from '../common/backends.ts';
import { trainerEnv } from '../runs/env.ts';
import { BoundedQueue, type QueueStop, type QueueTask, type StoppedJob } from './queue.ts';

/** A running `dplab backends` child, whatever started it (a Node child process, an Electron utilityProcess). */
export interface ProbeChild {
  /** The process id, where known (tests check that a stopped probe leaves no process behind). */
  readonly pid?: number | undefined;
  onStdout(h: (chunk: string) => void): void;
  onStderr(h: (chunk: string) => void): void;
  /** Called once when the process has ended; `error` when it could not be started at all. */
  onExit(h: (code: number | null, signal: string | null, error?: Error) => void): void;
  kill(): void;
}

/** Starts `dplab backends` with these arguments (`--json --progress [--quick]`). */
export type ProbeLauncher = (args: string[]) => ProbeChild;

const DPLAB_BIN = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));

/**
 * Starts `command` plus the arguments as a Node child process: by default this Node running the
 * checkout's `bin/dplab.mjs`. The child gets a null-prototype copy of this process's own
 * environment (runs/env.ts), so VK_ICD_FILENAMES and friends reach Dawn there.
 */
export function nodeProbeLauncher(command: readonly string[] = [process.execPath, DPLAB_BIN, 'backends']): ProbeLauncher {
  return (args) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { env: trainerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    return {
      pid: child.pid,
      onStdout: (h) => child.stdout.on('data', h),
      onStderr: (h) => child.stderr.on('data', h),
      onExit: (h) => {
        let done = false;
        child.once('error', (e) => {
          if (!done) (done = true), h(null, null, e);
        });
        child.once('close', (code, signal) => {
          if (!done) (done = true), h(code, signal);
        });
      },
      kill: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  };
}

/** Options of the probe. */
export interface BackendsProbeOptions {
  launch?: ProbeLauncher;
  /** Longest quick report, ms (default 2 minutes: loading every backend takes seconds, more on a busy machine). */
  quickTimeoutMs?: number;
  /** Longest measured report, ms (default 10 minutes: seconds per backend, but minutes on a busy machine). */
  measureTimeoutMs?: number;
  /** Requests waiting behind the running probe; one more is refused (default 4). */
  queueLimit?: number;
  /** Largest stdout accepted from the child, in characters (default 1 MiB). */
  maxOutput?: number;
  /** A stage of the running probe, from the child's `--progress` lines. */
  onProgress?: (jobId: string | null, line: string) => void;
}

/** A failed probe: `stopped` says the lab ended it (cancel, timeout, busy, closing) rather than the child failing. */
export class ProbeError extends Error {
  constructor(
    message: string,
    readonly stopped?: 'cancelled' | 'timeout' | 'busy' | 'closed',
  ) {
    super(message);
  }
}

/** The reply of backends.list. */
export interface ProbeResult {
  report: BackendsReport;
  measured: boolean;
  cached: boolean;
  atMs: number;
  tookMs: number;
}

/**
 * The report as the child printed it: the JSON document on stdout (anything printed before its
 * first line `{` is skipped: a native library may write there), validated field by field.
 */
export function parseReport(stdout: string): BackendsReport {
  const text = stdout.trim();
  if (!text) throw new Error('it printed nothing on stdout');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (first) {
    const start = text.search(/^\{\s*$/m);
    try {
      if (start <= 0) throw first;
      data = JSON.parse(text.slice(start));
    } catch (e) {
      throw new Error(`its output is not JSON (${(e as Error).message}); it begins: ${JSON.stringify(text.slice(0, 120))}`, { cause: e });
    }
  }
  const r = BackendsReportSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(report)'}: ${i.message}`);
    throw new Error(`its JSON is not a backends report: ${issues.join('; ')}`);
  }
  return r.data;
}

/** What one probe gives: its report, or the error that says why there is none. */
type ProbeOutcome = { ok: true; result: ProbeResult } | { ok: false; error: ProbeError };

/** One `dplab backends` child: started when the queue frees up, killed when the probe ends however it ends. */
class ProbeTask implements QueueTask<ProbeOutcome> {
  private child: ProbeChild | undefined;
  /** Set once the probe ended: a child's late exit then changes nothing. */
  ended = false;
  /** The child's last `--progress` stage (a timeout names it). */
  stage = '';

  constructor(
    private readonly probe: { launch: ProbeLauncher; opts: BackendsProbeOptions; keepQuick: (r: ProbeResult) => void },
    readonly id: string | null,
    readonly measure: boolean,
  ) {}

  start(finish: (r: ProbeOutcome) => void): void {
    const { opts } = this.probe;
    const fail = (e: ProbeError) => finish({ ok: false, error: e });
    const t0 = Date.now();
    const maxOutput = opts.maxOutput ?? 1 << 20;
    const args = ['--json', '--progress', ...(this.measure ? [] : ['--quick'])];
    let out = '';
    let err = '';
    let child: ProbeChild;
    try {
      child = this.probe.launch(args);
    } catch (e) {
      return fail(new ProbeError(`cannot start dplab backends: ${(e as Error).message}`));
    }
    this.child = child;
    child.onStdout((c) => {
      out += c;
      if (out.length > maxOutput) fail(new ProbeError(`dplab backends printed more than ${maxOutput} characters; that is not a report`));
    });
    let line = '';
    child.onStderr((c) => {
      err = (err + c).slice(-8000);
      // Whole lines only: a chunk may end inside one.
      const lines = (line + c).split('\n');
      line = lines.pop()!.slice(-1000);
      for (const m of lines.join('\n').matchAll(/^progress: (.+)$/gm)) {
        this.stage = m[1]!.slice(0, 300);
        try {
          opts.onProgress?.(this.id, this.stage);
        } catch {
          // A failing listener must not end the probe.
        }
      }
    });
    child.onExit((code, signal, error) => {
      if (this.ended) return;
      const tail = err.replace(/^progress: .*$/gm, '').trim().split('\n').slice(-3).join(' | ').slice(0, 600);
      if (error) return fail(new ProbeError(`cannot start dplab backends: ${error.message}`));
      if (code !== 0) {
        return fail(new ProbeError(`dplab backends ended with ${code === null ? `signal ${signal}` : `exit code ${code}`}${tail ? `: ${tail}` : ' and printed nothing on stderr'}`));
      }
      let report: BackendsReport;
      try {
        report = parseReport(out);
      } catch (e) {
        return fail(new ProbeError(`dplab backends --json gave no valid report: ${(e as Error).message}`));
      }
      const result: ProbeResult = { report, measured: this.measure, cached: false, atMs: Date.now(), tookMs: Date.now() - t0 };
      if (!this.measure) this.probe.keepQuick(result);
      finish({ ok: true, result });
    });
  }

  stop(): void {
    this.ended = true;
    this.child?.kill();
  }
}

/** The error of a probe the queue ended or refused (the queue says why). */
function stoppedProbe(reason: QueueStop, j: StoppedJob<ProbeTask>): ProbeOutcome {
  const error = {
    closed: () => new ProbeError('the lab is shutting down', 'closed'),
    duplicate: () => new ProbeError(`a job with id '${j.id}' is already running or waiting`),
    busy: () => new ProbeError(`dplab backends is already running with ${j.waiting} requests waiting (limit ${j.queueLimit}); try again when it has finished, or cancel one`, 'busy'),
    cancelled: () => new ProbeError(`backends.list job ${j.label} was cancelled`, 'cancelled'),
    timeout: () => new ProbeError(`dplab backends ran longer than ${Math.round(j.timeoutMs / 1000)} s and was stopped${j.task.stage ? ` (last stage: ${j.task.stage})` : ''}`, 'timeout'),
  }[reason]();
  return { ok: false, error };
}

/** Runs `dplab backends` in child processes for the service: bounded by queue.ts (one at a time), cancellable, the quick report cached. */
export class BackendsProbe {
  private readonly launch: ProbeLauncher;
  /** One probe at a time: figures taken side by side would only measure each other. */
  private readonly queue: BoundedQueue<ProbeOutcome, ProbeTask>;
  private quick: ProbeResult | null = null;
  /** The quick probe under way, which concurrent quick requests without a job id share. */
  private quickJob: { task: ProbeTask; promise: Promise<ProbeResult> } | null = null;

  constructor(private readonly opts: BackendsProbeOptions = {}) {
    this.launch = opts.launch ?? nodeProbeLauncher();
    this.queue = new BoundedQueue({ slots: 1, queueLimit: opts.queueLimit ?? 4, stopped: stoppedProbe });
  }

  /**
   * The report: quick (cached for the session unless `refresh`) or measured. Concurrent quick
   * requests share one child. Rejects with a ProbeError naming why there is no report.
   */
  list(a: { measure: boolean; refresh: boolean; jobId?: string | undefined; label?: string | undefined }): Promise<ProbeResult> {
    if (this.queue.closed) return Promise.reject(new ProbeError('the lab is shutting down', 'closed'));
    if (!a.measure && !a.refresh && this.quick) return Promise.resolve({ ...this.quick, cached: true });
    const id = a.jobId ?? null;
    if (!a.measure && this.quickJob && !this.quickJob.task.ended && id === null) return this.quickJob.promise;
    const task = new ProbeTask({ launch: this.launch, opts: this.opts, keepQuick: (r) => (this.quick = r) }, id, a.measure);
    const timeoutMs = a.measure ? (this.opts.measureTimeoutMs ?? 10 * 60_000) : (this.opts.quickTimeoutMs ?? 120_000);
    const promise = this.queue.run(task, { id, label: a.label ?? id ?? 'backends.list', timeoutMs }).then((r) => (r.ok ? r.result : Promise.reject(r.error)));
    // Only a probe the queue took is shared (a refused one has ended already).
    if (!a.measure && !task.ended) this.quickJob = { task, promise };
    return promise;
  }

  /** The session's quick report, once one was made (app.info tells auto's real pick from it). */
  get cached(): ProbeResult | null {
    return this.quick;
  }

  /** Cancels a running or waiting probe by its job id; false when there is none. */
  cancel(id: string): boolean {
    return this.queue.cancel(id);
  }

  /** Ends every probe (kills the running child) and refuses new ones. */
  close(): void {
    void this.queue.close();
  }
}
