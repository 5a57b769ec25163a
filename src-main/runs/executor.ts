/**
 * Sweep executors: where a sweep's member runs train. The members are always rows of the archive
 * first (runs 'queued', linked to the sweep); an executor hands them to something that trains them
 * and reports their state until every one is final. `local` is the lab's own queue of trainer
 * processes; `slurm` submits one job array to a cluster. A new kind (Kubernetes Jobs, …) is one new
 * file, one name in ExecutorKind and one line in EXECUTORS (`executor-registry.ts`). This file holds
 * only the interface, so an executor's module imports it without importing the registry that loads it.
 */
import type { Archive, RunStatus } from '../archive/archive.ts';
import type { BackendPreference } from '../common/backends.ts';
import type { SweepDefinition } from '../common/sweep.ts';

/** Where one member stands. `detail` is the executor's own word (Slurm's state and reason, an error). */
export interface MemberState {
  idx: number;
  runUuid: string;
  name: string | null;
  status: RunStatus;
  step: number | null;
  totalSteps: number | null;
  detail: string | null;
}

/** A sweep whose members exist in the archive, ready to hand to an executor. */
export interface SweepLaunch {
  sweepUuid: string;
  definition: SweepDefinition;
  members: { idx: number; runUuid: string; name: string; combo: Record<string, unknown>; setup: unknown }[];
}

/** Options every executor understands; the rest (partition, …) are the executor's own. */
export interface ExecutorOptions {
  backend?: BackendPreference;
  checkpointEvery?: number;
  /** Executor-specific options as given on the command line (`--partition gpu` → partition: 'gpu'). */
  extra?: Record<string, string | string[] | undefined>;
  /** Aborted when the owner closes (the service): commands in flight (squeue, scontrol) are killed. */
  signal?: AbortSignal;
}

/** One way of running a sweep's members. */
export interface SweepExecutor {
  readonly kind: ExecutorKind;
  /**
   * Hands the members to the executor. Returns what to remember in the sweep's stored definition
   * (`executor` field) so that a later process (`dplab sweep status`, `dplab serve`) can follow it.
   */
  start(launch: SweepLaunch): Promise<Record<string, unknown>>;
  /** Every member's state now; results that landed are merged into the archive on the way. */
  poll(): Promise<MemberState[]>;
  /** Polls until every member is final; `onChange` sees each member whose state changed. */
  follow(onChange: (m: MemberState) => void, signal?: AbortSignal): Promise<MemberState[]>;
  /** Stops every member not yet final; they end 'cancelled'. */
  cancel(): Promise<void>;
  /** Releases what the executor holds (trainer processes of a local sweep are stopped). */
  close(): Promise<void>;
}

/** Builds an executor for a sweep in `archive`; `stored` is what `start` returned for an existing sweep. */
export type ExecutorFactory = (archive: Archive, sweepUuid: string | null, opts: ExecutorOptions, stored?: Record<string, unknown>) => SweepExecutor;

/** Name of an executor; `executor-registry.ts` holds one factory per name (a name without one does not compile). */
export type ExecutorKind = 'local' | 'slurm';

/** Member states from the archive alone (what the local executor knows). */
export function membersFromArchive(archive: Archive, sweepUuid: string): MemberState[] {
  const s = archive.getSweep(sweepUuid);
  if (!s) throw new Error(`no sweep ${sweepUuid} in ${archive.file}`);
  return s.members.map((m) => {
    const r = archive.getRun(m.runUuid);
    return { idx: m.idx, runUuid: m.runUuid, name: r?.name ?? null, status: r?.status ?? 'failed', step: r?.lastStep ?? null, totalSteps: r?.totalSteps ?? null, detail: r?.error ?? null };
  });
}
