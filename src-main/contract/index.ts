/**
 * The contract between the renderer and the main side: every request (name, argument schema,
 * result type) and every event. Both transports (Electron IPC through the preload bridge, and
 * HTTP/WebSocket for `dplab serve`) carry exactly these messages; arguments are validated with these
 * schemas where they enter main. Browser-safe: zod and types only.
 */
import { z } from 'zod';
import { findForbiddenKey, setupPathIssue, type SetupIssue, type Setup, type SetupInput } from '../common/setup.ts';
import type { SetupPreset } from '../common/presets.ts';
import { SweepFields, refineSweep } from '../common/sweep.ts';
import { nameSchema } from '../common/text.ts';
import { importLimitFields } from '../common/import-limits.ts';
import type { BackendsReport, GpuAdapterInfo } from '../common/backends.ts';
import { RUN_STATUSES, type EvalEvent, type ProjectionRow, type RunSummary, type ScalarsEvent, type SpectraEvent } from '../common/events.ts';
import type { ClaimResult } from '../reproduce/verdict.ts';
import { CONTRACT_VERSION } from './names.ts';

/** A representation picture as the archive holds it (defined beside ProjectionEvent). */
export type { ProjectionRow };

/** Version of the contract (defined in names.ts so the zod-free preload shares it). */
export { CONTRACT_VERSION };

const id = z.string().min(1).max(200);
/**
 * A caller's label for a long job, so it can cancel it with jobs.cancel. It is scoped to the caller's
 * connection (another connection's job of the same label is out of reach); the job's own id is made
 * by the lab and sent to the caller in a `job.started` event.
 */
const jobId = z.string().min(1).max(100);
const runStatus = z.enum(RUN_STATUSES);
/** A setup field path from the caller (`optim.lr`): a field of the schema, never a prototype key. */
const setupPath = z
  .string()
  .min(1)
  .max(200)
  .superRefine((p, ctx) => {
    const issue = setupPathIssue(p);
    if (issue) ctx.addIssue({ code: 'custom', message: issue });
  });
/** Setups arrive as plain JSON and are validated by the setup schema on the main side. */
const setupJson = z.record(z.string(), z.unknown());
/** A sweep file (common/sweep.ts) plus how many of its runs train at once. */
const sweepDefinition = SweepFields.extend({ concurrency: z.number().int().min(1).max(64).optional() }).superRefine(refineSweep);

/** Every request: its argument schema. Results are typed in `Results`. */
export const Requests = {
  /** Contract version, app version, the archive in use, the training backend preference. */
  'app.info': z.object({}),
  'setup.validate': z.object({ setup: z.unknown() }),
  'setup.defaults': z.object({}),
  'presets.list': z.object({}),
  'runs.start': z.object({ setup: setupJson, name: nameSchema(200).optional() }),
  'runs.cancel': z.object({ runId: id }),
  'runs.resume': z.object({ runId: id }),
  'runs.delete': z.object({ runId: id }),
  'runs.list': z.object({
    status: z.array(runStatus).optional(),
    tag: z.string().max(100).optional(),
    sweepId: id.optional(),
    limit: z.number().int().min(1).max(100000).optional(),
  }),
  'runs.get': z.object({ runId: id }),
  /** Scalar series of a run (all metrics when `names` is absent). */
  'runs.metrics': z.object({ runId: id, names: z.array(z.string().max(100)).max(100).optional() }),
  'runs.spectra': z.object({ runId: id }),
  'runs.evals': z.object({ runId: id }),
  /**
   * A run's representation pictures (PCA of the encoder's features on the evaluation images): those
   * at `steps`, else with `ends` the first and the last (random init and end), else all; `steps`
   * lists every step that has one.
   */
  'runs.projections': z.object({ runId: id, steps: z.array(z.number().int().min(0)).max(1000).optional(), ends: z.boolean().optional() }),
  'runs.tag': z.object({ runId: id, add: z.array(nameSchema(100).min(1)).max(50).default([]), remove: z.array(z.string().min(1).max(100)).max(50).default([]) }),
  'runs.note': z.object({ runId: id, markdown: z.string().max(1_000_000) }),
  /** 'json' = run bundles (one, or an array), 'ndjson' = one bundle per line, 'csv' = a table. */
  'runs.export': z.object({ runIds: z.array(id).min(1).max(10000), format: z.enum(['csv', 'json', 'ndjson']), what: z.enum(['runs', 'metrics', 'spectra']).default('runs') }),
  'sweeps.preview': z.object({ definition: sweepDefinition }),
  'sweeps.start': z.object({ definition: sweepDefinition }),
  'sweeps.list': z.object({}),
  'sweeps.get': z.object({ sweepId: id, groupBy: z.array(setupPath).max(10).optional() }),
  /** A round of "add seeds until decided": fills every group of the sweep up to `seeds` seeds (runs of the same setup already finished are reused). */
  'sweeps.addSeeds': z.object({ sweepId: id, seeds: z.number().int().min(1).max(20) }),
  'theory.presets': z.object({}),
  /** Runs a theory preset or parameters (as accepted by `dplab theory <params.json>`). */
  'theory.run': z.object({ preset: z.string().max(100).optional(), params: z.record(z.string(), z.unknown()).optional(), jobId: jobId.optional() }),
  /**
   * Stops a long job (theory.run, datasets.import, archive.import, archive.info's check,
   * backends.list) that this connection started, named by the id of its `job.started` event or by
   * the caller's label; its request answers with an error.
   * Closing the connection (WebSocket, HTTP request, app window) cancels its jobs the same way.
   */
  'jobs.cancel': z.object({ jobId }),
  /**
   * The paper's claims with their verdicts from the archive's runs (theory claims computed once); without `seeds`, over every seed the archive holds complete (at least 3).
   * `evaluation`: on evaluation seeds (1000 upward) read in rounds as `dplab reproduce run --until-decided` adds them, up to `maxSeeds` (default 12); excludes `seeds`.
   */
  'reproduce.results': z.object({ seeds: z.number().int().min(1).max(20).optional(), evaluation: z.boolean().optional(), maxSeeds: z.number().int().min(3).max(20).optional() }),
  /**
   * Queues the runs the named claims (or 'all') still need; runs of the same setup hash already
   * completed, queued or running are reused (`reused` counts them), so two callers queue each once.
   * Refused whole, like runs.start and sweeps.start, when it would pass the archive's bound on
   * queued-or-running runs (500 by default), naming the count. `evaluation`: the next round of
   * evaluation seeds for each named claim still undecided (instead of seeds 0 … seeds−1).
   */
  'reproduce.run': z.object({ claims: z.array(z.string().min(1).max(100)).min(1).max(100), seeds: z.number().int().min(1).max(20).default(3), evaluation: z.boolean().optional(), maxSeeds: z.number().int().min(3).max(20).optional() }),
  /** The report as one self-contained HTML file (seeds, evaluation and maxSeeds as in reproduce.results). */
  'reproduce.report': z.object({ seeds: z.number().int().min(1).max(20).optional(), evaluation: z.boolean().optional(), maxSeeds: z.number().int().min(3).max(20).optional() }),
  'datasets.list': z.object({}),
  /** Imports a dataset; files declaring more than `maxImagePixels` per image or `maxDatasetBytes` in all (defaults in common/import-limits.ts) are refused before decoding. */
  'datasets.import': z.object({ path: z.string().min(1).max(4096), format: z.string().max(50).optional(), name: z.string().max(100).optional(), ...importLimitFields, jobId: jobId.optional() }),
  /** `check` runs SQLite's full integrity check in a worker (cancel it with jobs.cancel and its `jobId`). */
  'archive.info': z.object({ check: z.boolean().default(false), jobId: jobId.optional() }),
  'archive.open': z.object({ path: z.string().min(1).max(4096) }),
  /** Merges another archive's runs in a worker (cancel it with jobs.cancel and its `jobId`: the runs copied so far stay, each whole). */
  'archive.import': z.object({ path: z.string().min(1).max(4096), jobId: jobId.optional() }),
  /**
   * Every training backend as `dplab backends --json` tells it, run in a child process (the service
   * never loads TensorFlow.js). Without `measure` the quick report, cached for the session (`refresh`
   * runs it again); with `measure` the images/s figures too (seconds per backend; cancel it with
   * jobs.cancel and its `jobId`; progress comes as `backends.progress` events).
   */
  'backends.list': z.object({ measure: z.boolean().default(false), refresh: z.boolean().default(false), jobId: jobId.optional() }),
  /**
   * How long runs would take on this machine before any starts: `setups` (one run, a claim's arms) or
   * a sweep `definition` (its grid); with `reuse`, runs whose setup hash the archive holds completed,
   * queued or running count as reused (no time), as reproduce.run and sweeps reuse them; with
   * `probe`, runs no finished run can serve are measured by a short probe run (runs/probe.ts: a
   * trainer process, kept per shape, cancelled by a newer estimate.time or closing).
   */
  'estimate.time': z
    .object({ setups: z.array(setupJson).min(1).max(2000).optional(), definition: sweepDefinition.optional(), reuse: z.boolean().default(false), probe: z.boolean().default(false) })
    .refine((a) => (a.setups === undefined) !== (a.definition === undefined), { message: 'give either setups or definition' }),
} as const;

/** Names of all requests. */
export type RequestName = keyof typeof Requests;
/** Arguments of a request as the caller writes them. */
export type RequestArgs<N extends RequestName> = z.input<(typeof Requests)[N]>;
/** Arguments of a request after validation (defaults filled in). */
export type ParsedArgs<N extends RequestName> = z.output<(typeof Requests)[N]>;

/** A run as listed (no heavy series). */
export interface RunRow {
  id: string;
  name: string | null;
  status: z.infer<typeof runStatus>;
  setup: Setup;
  setupHash: string;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  backend: string | null;
  /** webgpu runs: the adapter trained on, as a short label ("nvidia ampere (…)"); null otherwise. */
  adapter?: string | null;
  totalSteps: number | null;
  lastStep: number | null;
  summary: RunSummary | null;
  error: string | null;
  tags: string[];
  dataset: { name: string; hash: string } | null;
  /**
   * The sweep that made the run and the run's index in its grid, with the later sweeps that reused
   * it (`alsoIn`); absent in rows built elsewhere: none.
   */
  sweep?: { id: string; name: string | null; createdAt: number; index: number; alsoIn: { id: string; name: string | null; createdAt: number }[] } | null;
}

/** One scalar metric over steps. */
export interface Series {
  name: string;
  steps: number[];
  epochs: number[];
  values: (number | null)[];
}


/** Results of each request. */
export interface Results {
  'app.info': {
    contractVersion: number;
    appVersion: string;
    archive: string;
    transport: 'ipc' | 'http';
    /** The backend runs train on: what `auto` picks per the session's backends.list report once there is one, else judged from the installed packages. */
    backend: string;
    /** What the lab was asked for (`auto` or a backend name). */
    backendPreference: string;
    /** webgpu's adapter when `backend` is webgpu and backends.list has seen it; else null. */
    adapter: GpuAdapterInfo | null;
    queue: { running: number; queued: number; concurrency: number };
  };
  'setup.validate': { ok: true; setup: Setup } | { ok: false; issues: SetupIssue[] };
  'setup.defaults': Setup;
  'presets.list': SetupPreset[];
  'runs.start': { runId: string };
  'runs.cancel': { ok: boolean };
  /** `fromStep`: the checkpoint the run continues from (0 = from the start); steps after it are trained again. */
  'runs.resume': { ok: boolean; fromStep: number; lastStep: number | null };
  'runs.delete': { ok: boolean };
  'runs.list': RunRow[];
  'runs.get': RunRow & { note: string | null; versions: Record<string, string> | null; host: Record<string, unknown> | null; checkpoints: number };
  'runs.metrics': Series[];
  'runs.spectra': { step: number; epoch: number; fEig: number[]; wpEig: number[]; alignment: number[]; asymmetry: number | null }[];
  'runs.evals': { step: number; epoch: number; probeAcc: number | null; knnAcc: number | null; probeTrainAcc: number | null }[];
  'runs.projections': { steps: number[]; projections: ProjectionRow[] };
  'runs.tag': { tags: string[] };
  'runs.note': { ok: true };
  'runs.export': { filename: string; mime: string; content: string };
  'sweeps.preview': { count: number; issues: { path: string; message: string; combo?: Record<string, unknown> }[]; combos: Record<string, unknown>[] };
  /** `reused`: members whose setup the archive held as a finished run, linked instead of trained again. */
  'sweeps.start': { sweepId: string; runIds: string[]; reused: number };
  'sweeps.addSeeds': { added: number; reused: number; runIds: string[] };
  /** `reused`: how many of its runs the sweep linked as finished runs of the same setup hash (recorded since archive schema 4). */
  'sweeps.list': { id: string; name: string | null; createdAt: number; runs: number; reused: number }[];
  'sweeps.get': {
    id: string;
    name: string | null;
    definition: unknown;
    /** Where the members run: null for the lab's own queue; Slurm's job id and the sweep folder for a cluster sweep. */
    executor: { kind: string; jobId: string | null; folder: string | null } | null;
    runs: RunRow[];
    /** Rows grouped by `groupBy` (default: the swept fields), mean ± std across seeds of final metrics. */
    groups: {
      key: Record<string, unknown>;
      n: number;
      metrics: Record<string, { mean: number | null; std: number | null; n: number }>;
      /** The same at random init (each run's step-0 evaluation), for the metrics evaluated then (`BASELINE_METRICS`); n counts the runs that recorded one. */
      baseline: Record<string, { mean: number | null; std: number | null; n: number }>;
    }[];
  };
  'theory.presets': { name: string; description: string; figure: string }[];
  'theory.run': unknown;
  'jobs.cancel': { ok: boolean };
  /** `seedsByClaim`: with `evaluation`, the seeds each experiment claim was judged on (rounds stop per claim). */
  'reproduce.results': { seeds: number[]; results: ClaimResult[]; seedsByClaim?: Record<string, number[]> };
  'reproduce.run': { sweepId: string | null; queued: number; reused: number };
  'reproduce.report': { filename: string; mime: string; content: string };
  'datasets.list': { name: string; format: string; height: number; width: number; channels: number; counts: Record<string, number>; classes: number; hash: string }[];
  'datasets.import': { name: string; hash: string };
  'archive.info': { path: string; schemaVersion: number; sizeBytes: number; runs: number; integrity: string[] | null };
  'archive.open': { path: string };
  'archive.import': { added: number; skipped: number };
  /** `cached`: the session's earlier quick report; `atMs`: when the report was made (epoch ms). */
  'backends.list': { report: BackendsReport; measured: boolean; cached: boolean; atMs: number; tookMs: number };
  /**
   * `wallSec`: max(longest run, total / parallel), null when no run has a figure; `basis`: 'recorded'
   * (finished runs of the same shape on this backend), 'scaled' (some runs scaled from another shape by
   * multiply-adds: rough), 'probe' (this machine's pace measured by a short probe run) or 'none';
   * `invalid`: setups that do not validate (not estimated); `probe`: what a probe did (null: none
   * involved), 'needed' when one would give the figures a request without `probe` lacks, 'off' when
   * this lab starts no probe runs (its message says so).
   */
  'estimate.time': {
    runs: number;
    reused: number;
    unknown: number;
    scaled: number;
    probed: number;
    invalid: number;
    totalSec: number;
    wallSec: number | null;
    parallel: number;
    cores: number;
    concurrency: number;
    basisRuns: number;
    backend: string;
    basis: 'recorded' | 'scaled' | 'probe' | 'none';
    probe: {
      status: 'needed' | 'measured' | 'cached' | 'superseded' | 'failed' | 'unfit' | 'off';
      steps?: number;
      perStepSec?: number;
      fixedSec?: number;
      message?: string;
    } | null;
  };
}

/** Events from main to the renderer. */
export type LabEvent =
  | { type: 'run.status'; runId: string; status: z.infer<typeof runStatus> }
  | { type: 'run.progress'; runId: string; step: number; totalSteps: number; epoch: number; etaSec: number | null }
  /** Metric batches of a running run, in step order. */
  | { type: 'run.metrics'; runId: string; events: (ScalarsEvent | SpectraEvent | EvalEvent)[] }
  /** A run recorded a representation picture at `step` (fetch it with runs.projections). */
  | { type: 'run.projection'; runId: string; step: number }
  | { type: 'sweep.progress'; sweepId: string; done: number; total: number }
  | { type: 'queue'; running: number; queued: number; concurrency: number }
  | { type: 'archive.changed'; path: string }
  /** A stage of a running `backends.list` ("wasm: timing the reference step (B = 64)…"). */
  | { type: 'backends.progress'; jobId: string | null; line: string }
  /**
   * A long job started for this connection (sent to it alone): the lab's id of the job, the
   * caller's label if it gave one, and the request. jobs.cancel takes either.
   */
  | { type: 'job.started'; jobId: string; label: string | null; request: 'theory.run' | 'datasets.import' | 'archive.import' | 'archive.info' | 'backends.list' };

/** Error reply of a request: a code and a message meant for a person. */
export interface ContractError {
  code: 'invalid-args' | 'unknown-request' | 'not-found' | 'failed' | 'unauthorized';
  message: string;
  /** Field paths for invalid arguments. */
  issues?: { path: string; message: string }[];
}

/** Envelope of a request on the wire (WebSocket / IPC). */
export const RequestEnvelope = z.object({ id: z.number().int().nonnegative(), name: z.string().max(100), args: z.unknown() });

/** Envelope of a reply on the wire. */
export type ReplyEnvelope = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ContractError };

/** The one client object the renderer talks to; transports implement it. */
export interface LabClient {
  request<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<Results[N]>;
  /** Subscribes to events; returns the disposer. */
  onEvent(listener: (e: LabEvent) => void): () => void;
  readonly transport: 'ipc' | 'http';
  /**
   * Subscribes to the connection's changes (web mode: a lost and a restored WebSocket); events sent
   * while it was lost are gone, so a 'restored' listener refetches what it shows. Absent in IPC.
   */
  onConnection?(listener: (change: ConnectionChange) => void): () => void;
  /**
   * Exports runs as a stream saved as it arrives, where one runs.export reply is capped (web mode:
   * POST /api/export to a download; the desktop: a save dialog, then the main process writes the
   * file); resolves with what was saved, or `cancelled` when the user closed the dialog.
   */
  downloadExport?(args: RequestArgs<'runs.export'>): Promise<ExportOutcome>;
}

/** What a streamed export did: saved `bytes` as `filename`, or nothing (the save dialog was cancelled). */
export type ExportOutcome = { cancelled: false; filename: string; bytes: number } | { cancelled: true };

/** A change of the client's connection to the lab. */
export type ConnectionChange = { state: 'lost'; reason: string } | { state: 'restored' };

/** Re-exported from common/setup.ts, where the CLI's file readers share it. */
export { findForbiddenKey };

/** Validates a request's arguments; returns the parsed args or a ContractError naming each field. */
export function validateRequest(name: string, args: unknown): { ok: true; name: RequestName; args: unknown } | { ok: false; error: ContractError } {
  if (!Object.prototype.hasOwnProperty.call(Requests, name)) {
    return { ok: false, error: { code: 'unknown-request', message: `unknown request '${String(name).slice(0, 100)}'` } };
  }
  const forbidden = findForbiddenKey(args);
  if (forbidden !== null) {
    const message = `'${forbidden.key}' may not be a key of a request (at ${forbidden.path || '(args)'})`;
    return { ok: false, error: { code: 'invalid-args', message: `invalid arguments for ${name}: ${message}`, issues: [{ path: forbidden.path, message }] } };
  }
  const schema = Requests[name as RequestName];
  const r = schema.safeParse(args ?? {});
  if (r.success) return { ok: true, name: name as RequestName, args: r.data };
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  return {
    ok: false,
    error: { code: 'invalid-args', message: `invalid arguments for ${name}: ${issues.map((i) => `${i.path || '(args)'}: ${i.message}`).join('; ')}`, issues },
  };
}

export type { SetupInput };

export { REQUEST_NAMES, IPC_REQUEST_CHANNEL, IPC_EVENT_CHANNEL } from './names.ts';
import type { REQUEST_NAMES as NAMES } from './names.ts';
type NameList = (typeof NAMES)[number];
/** Compile-time proof that names.ts lists exactly the requests of `Requests` (both directions). */
export const NAMES_MATCH: [NameList] extends [RequestName] ? ([RequestName] extends [NameList] ? true : never) : never = true;

/** An event on the wire (WebSocket): distinguished from replies by its `event` field. */
export interface EventEnvelope {
  event: LabEvent;
}

/**
 * The server's keep-alive on the WebSocket, every HEARTBEAT_MS: a page that hears nothing for
 * HEARTBEAT_TIMEOUT_MS counts the connection as lost (a hung server or a dead tunnel sends no close).
 */
export interface HeartbeatEnvelope {
  hb: number;
}

/** Interval of the server's heartbeat messages, in ms. */
export const HEARTBEAT_MS = 500;

/** Silence after which the page shows "disconnected", in ms (within the 2 s users are promised). */
export const HEARTBEAT_TIMEOUT_MS = 1500;

/**
 * The WebSocket subprotocol of `dplab serve`; a client offers it together with
 * `WS_TOKEN_PREFIX + token`, which carries the access token in the upgrade's
 * Sec-WebSocket-Protocol header: a browser can set no other header on a socket, and a URL (query)
 * gets logged. The server selects `WS_PROTOCOL`, never the token.
 */
export const WS_PROTOCOL = 'dplab';

/** Prefix of the subprotocol that carries the access token (see WS_PROTOCOL). */
export const WS_TOKEN_PREFIX = 'dplab-token.';

/** Anything the server sends over the WebSocket. */
export type ServerMessage = ReplyEnvelope | EventEnvelope | HeartbeatEnvelope;
