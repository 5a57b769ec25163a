/**
 * What the archive stores, as its callers see it: a run, its metric series, spectra and evaluations,
 * a sweep, and the shapes a new run or a run listing is asked for with. Types only.
 */
import type { ProjectionRow, RunSummary } from '../common/events.ts';
import type { RunStatus } from './schema.ts';

/** A representation picture as stored (defined beside ProjectionEvent, shared with the contract). */
export type { ProjectionRow };

/** The process that owns a queued or running run: pid and the process's start time (null: unknown). */
export interface RunOwner {
  pid: number;
  start: number | null;
}

/** A run as stored (times in ms since the Unix epoch). */
export interface RunRecord {
  uuid: string;
  name: string | null;
  /** The full validated setup (JSON). */
  setup: Record<string, unknown>;
  /** sha256 hex of the canonical setup without its name. */
  setupHash: string;
  status: RunStatus;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  heartbeatAt: number | null;
  /** Trainer process id while running. */
  pid: number | null;
  /** Process id of the manager that owns the run while it is queued or running. */
  ownerPid: number | null;
  /** Start time of that process (see runs/process.ts), so a reused pid is not taken for the owner. */
  ownerStart: number | null;
  cancelRequested: boolean;
  backend: string | null;
  versions: Record<string, string> | null;
  appVersion: string | null;
  host: Record<string, unknown> | null;
  seed: number;
  dataset: { name: string; hash: string; source?: string; pretrainCount?: number } | null;
  totalSteps: number | null;
  lastStep: number | null;
  summary: RunSummary | null;
  error: string | null;
  tags: string[];
}

/** One scalar metric over steps (null where the value was NaN). */
export interface MetricSeries {
  name: string;
  steps: number[];
  epochs: number[];
  values: (number | null)[];
}

/** A spectra snapshot as stored (see SpectraEvent for the meaning of each array). */
export interface SpectraRow {
  step: number;
  epoch: number;
  fEig: number[];
  wpEig: number[];
  alignment: number[];
  asymmetry: number | null;
}

/** An evaluation as stored. */
export interface EvalRow {
  step: number;
  epoch: number;
  probeAcc: number | null;
  knnAcc: number | null;
  probeTrainAcc: number | null;
}


/** A sweep with its member runs in expansion order. */
export interface SweepRecord {
  uuid: string;
  name: string | null;
  definition: unknown;
  createdAt: number;
  /** `reused`: the member links a finished run the archive already held (same setup hash) rather than one created for this sweep. */
  members: { runUuid: string; idx: number; combo: Record<string, unknown>; reused: boolean }[];
}

/** The sweep a run was made by: its uuid, name and creation time, and the run's index in its grid. */
export interface SweepMembership {
  sweepId: string;
  name: string | null;
  createdAt: number;
  index: number;
  /** Later sweeps that reused the run (same setup hash) instead of training it again, oldest first. */
  alsoIn: { sweepId: string; name: string | null; createdAt: number }[];
}

/** Filter of `listRuns`. */
export interface RunFilter {
  status?: RunStatus | RunStatus[];
  tag?: string;
  sweep?: string;
  /** Newest first (default) or oldest first. */
  order?: 'newest' | 'oldest';
  limit?: number;
}

/** Fields for a new run. */
export interface NewRun {
  uuid?: string;
  name?: string | null;
  setup: Record<string, unknown>;
  setupHash: string;
  seed: number;
  status?: RunStatus;
  createdAt?: number;
  /** The process that queues it (a queued run always has one, so no other process takes it for stranded). */
  owner?: RunOwner;
}

/** A sweep member to record: a new run, or a run the archive already holds (reused by setup hash). */
export type SweepMemberInput = ({ run: NewRun } | { runUuid: string }) & { idx: number; combo: Record<string, unknown> };

/**
 * The columns of a run recorded elsewhere (a run bundle being imported) that `createRun` does not
 * take; the summary is kept as the bundle states it.
 */
export type RunDetails = Pick<RunRecord, 'startedAt' | 'endedAt' | 'backend' | 'versions' | 'appVersion' | 'host' | 'dataset' | 'totalSteps' | 'lastStep' | 'error'> & {
  summary: Record<string, unknown> | null;
};
