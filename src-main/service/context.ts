/**
 * What the service's core and its handler files share: the options, the reply and error types, the
 * handler table's type and the context a handler works through. A leaf of service/ (it imports none
 * of the service's own files but the job pool's and probe's types), so the handler files and the core
 * import it without an import circle.
 */
import type { ContractError, LabEvent, ParsedArgs, RequestName, Results } from '../contract/index.ts';
import type { Archive } from '../archive/archive.ts';
import type { BackendPreference } from '../common/backends.ts';
import type { RunManager, TrainerLauncher } from '../runs/manager.ts';
import type { PaceProber } from '../runs/probe.ts';
import type { JobPool, WorkerReply } from './jobs.ts';
import type { BackendsProbe, ProbeLauncher } from './backends.ts';
import type { LabConnection } from './connection.ts';

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
  /** wasm threads of every run this lab trains (and of its estimates' probes); default: the cores shared among the runs training together. */
  threads?: number;
  /**
   * false: estimate.time never starts a probe run (a shape nothing recorded can serve reads "time
   * unknown", probe status 'off'), for a lab whose cores must stay with its runs, and for tests that
   * do not test the probe (each fresh archive's Compose would otherwise train the large default).
   */
  estimateProbes?: boolean;
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

/** One request's implementation: parsed arguments and the calling connection in, the contract's result out. */
export type Handler<N extends RequestName> = (args: ParsedArgs<N>, conn: LabConnection) => Results[N] | Promise<Results[N]>;

/**
 * The handlers of the requests `K`: one handler file per area types its table with its prefixes
 * (`Handlers<Area<'runs'>>`), so a request the contract adds under that prefix without a handler
 * does not compile, and the core's table (every RequestName) catches a new prefix.
 */
export type Handlers<K extends RequestName> = { [N in K]: Handler<N> };

/** The requests whose names begin with `P.` (an area of the contract). */
export type Area<P extends string> = Extract<RequestName, `${P}.${string}`>;

/** The long-running requests a connection owns (announced by `job.started`). */
export type OwnedRequest = 'theory.run' | 'datasets.import' | 'archive.import' | 'archive.info' | 'backends.list';

/**
 * What handlers see of the service: its current archive and run manager (both replaced by
 * archive.open, so read them here at each use, never keep them), its options and shared pools, and
 * the core's event and job plumbing.
 */
export interface ServiceContext {
  readonly archive: Archive;
  readonly manager: RunManager;
  readonly opts: LabServiceOptions;
  /** True once close() began: long loops stop. */
  readonly closed: boolean;
  /** The one pool of long jobs (theory.run, datasets.import, the theory claims). */
  readonly jobs: JobPool;
  /** `dplab backends` in child processes. */
  readonly backends: BackendsProbe;
  /** The estimate's probes of this machine's pace (estimate.time): kept per shape, one at a time. */
  readonly pace: PaceProber;
  /** The last `done/total` sent per sweep, so progress events only ever move forward. */
  readonly lastSweepProgress: Map<string, string>;
  /** Sends an event to every listener. */
  emit(e: LabEvent): void;
  /** Runs training, queued, and at once. */
  queueState(): { running: number; queued: number; concurrency: number };
  /** Runs a long job owned by `conn` under an id the service makes (see LabService.ownedJob). */
  ownedJob<T>(conn: LabConnection, request: OwnedRequest, label: string | undefined, run: (id: string) => Promise<T>, cancel: (id: string) => boolean): Promise<T>;
  /** Makes `next` the archive in use, with a new run manager (archive.open); closes the old ones. */
  replaceArchive(next: Archive): Promise<void>;
  /** Schedules a pass of the Slurm follow loop (a sweep submitted from the CLI meanwhile is found). */
  wakeFollow(): void;
}

/** A long job's reply as a result, or the ServiceError naming why it did not finish. */
export function jobResult(what: string, r: WorkerReply): unknown {
  if (r.ok) return r.result;
  throw new ServiceError(r.badInput ? 'invalid-args' : 'failed', `${what}: ${r.message}`);
}
