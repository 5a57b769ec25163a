/**
 * Export of runs, metrics and spectra to CSV (RFC 4180) and JSON, and import of the JSON run bundle.
 * Numbers are written with full precision (shortest round-trip form), so an export read back gives the
 * stored values exactly; NaN and missing values are empty cells in CSV (common/csv.ts) and null in JSON.
 */
import { z } from 'zod';
import { RUN_STATUSES } from '../common/events.ts';
import { csvLines } from '../common/csv.ts';
import { migrateSetup, walkSetupSchema } from '../common/setup.ts';
import { BASELINE_METRICS, describeEvalProtocol, runEvalProtocol, type EvalProtocol } from '../common/metrics.ts';
import type { Archive, EvalRow, MetricSeries, ProjectionRow, RunRecord, SpectraRow } from './archive.ts';
import type { RunStatus } from './schema.ts';

/** A table: column names and rows of cells. */
export interface Table {
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

/** Formats a table as CSV with a header line and CRLF-free `\n` line ends. */
export function toCsv(t: Table): string {
  return csvLines([t.columns, ...t.rows]);
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const SUMMARY_COLUMNS = ['finalLoss', 'collapseStd', 'effectiveRank', 'probeAcc', 'knnAcc', 'imagesPerSec', 'wallSec', 'steps'] as const;

/**
 * One line per run: identity, status, times (ISO), environment, final summary, the same metrics at
 * random init (`baseline.*`, step 0; empty for runs made before it was recorded), the evaluation
 * protocol in words, and the setup JSON.
 */
export function runsTable(runs: RunRecord[], noteOf: (uuid: string) => string | null = () => null): Table {
  const columns = [
    'uuid', 'name', 'status', 'created_at', 'started_at', 'ended_at', 'setup_hash', 'seed', 'backend', 'app_version',
    'dataset', 'dataset_hash', 'total_steps', 'last_step', ...SUMMARY_COLUMNS, ...BASELINE_METRICS.map((m) => `baseline.${m}`), 'eval_protocol', 'error', 'tags', 'note',
    ...SETUP_COLUMNS.map((p) => `setup.${p}`), 'setup_json',
  ];
  const rows = runs.map((r) => {
    // Columns show the setup in the current version (a version-1 run shows lossReduction "mean"); the JSON stays as stored.
    let current: unknown = r.setup;
    try {
      current = migrateSetup(r.setup);
    } catch {
      // A setup from a newer lab: its columns as stored.
    }
    return [
      r.uuid, r.name, r.status, iso(r.createdAt), iso(r.startedAt), iso(r.endedAt), r.setupHash, r.seed, r.backend, r.appVersion,
      r.dataset?.name ?? null, r.dataset?.hash ?? null, r.totalSteps, r.lastStep,
      ...SUMMARY_COLUMNS.map((k) => (r.summary ? ((r.summary as unknown as Record<string, number | null>)[k] ?? null) : null)),
      ...BASELINE_METRICS.map((m) => r.summary?.baseline?.[m] ?? null),
      describeEvalProtocol(runEvalProtocol(r)),
      r.error, r.tags.join(';'), noteOf(r.uuid),
      ...SETUP_COLUMNS.map((p) => setupCell(current, p)),
      JSON.stringify(r.setup),
    ];
  });
  return { columns, rows };
}

/**
 * Every leaf path the setup schema knows (all predictor kinds, encoders and optional fields
 * included), in schema order: the runs CSV has one `setup.<path>` column per path, so it groups in
 * pandas or a spreadsheet without parsing JSON — and the header is the same for every export, so
 * a streamed export can write it before the first run.
 */
export const SETUP_COLUMNS: readonly string[] = setupLeafPaths();

/** Paths of the schema's fields that hold no fields of their own, each once, in walk order. */
function setupLeafPaths(): string[] {
  const paths = new Set<string>();
  const groups = new Set<string>();
  walkSetupSchema(({ path }) => {
    paths.add(path);
    const dot = path.lastIndexOf('.');
    if (dot > 0) groups.add(path.slice(0, dot));
  });
  return [...paths].filter((p) => !groups.has(p) && p !== 'name');
}

/** A setup value for its column: numbers, strings and booleans as they are, arrays as JSON. */
function setupCell(setup: unknown, path: string): string | number | boolean | null {
  let v: unknown = setup;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, k)) return null;
    v = (v as Record<string, unknown>)[k];
  }
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** Metrics in wide form: one line per step, one column per metric (empty where not logged). */
export function metricsTable(series: MetricSeries[]): Table {
  const byStep = new Map<number, { epoch: number; values: (number | null)[] }>();
  series.forEach((s, j) => {
    for (let i = 0; i < s.steps.length; i++) {
      let row = byStep.get(s.steps[i]!);
      if (!row) {
        row = { epoch: s.epochs[i]!, values: new Array(series.length).fill(null) };
        byStep.set(s.steps[i]!, row);
      }
      row.values[j] = s.values[i]!;
    }
  });
  const steps = [...byStep.keys()].sort((a, b) => a - b);
  return { columns: ['step', 'epoch', ...series.map((s) => s.name)], rows: steps.map((st) => [st, byStep.get(st)!.epoch, ...byStep.get(st)!.values]) };
}

/** Spectra in long form: step, epoch, quantity (fEig | wpEig | alignment | asymmetry), index j, value. */
export function spectraTable(spectra: SpectraRow[]): Table {
  const rows: Table['rows'] = [];
  for (const s of spectra) {
    for (const q of ['fEig', 'wpEig', 'alignment'] as const) s[q].forEach((v, j) => rows.push([s.step, s.epoch, q, j, v]));
    rows.push([s.step, s.epoch, 'asymmetry', 0, s.asymmetry]);
  }
  return { columns: ['step', 'epoch', 'quantity', 'j', 'value'], rows };
}

/** The self-contained JSON form of one run: everything stored for it except checkpoints. */
export interface RunBundle {
  format: 'dplab-run';
  version: 1;
  run: Omit<RunRecord, 'pid' | 'ownerPid' | 'cancelRequested' | 'heartbeatAt'>;
  note: string | null;
  metrics: MetricSeries[];
  spectra: SpectraRow[];
  evals: EvalRow[];
  /** Representation pictures by step (absent in bundles made before they were recorded). */
  projections?: ProjectionRow[];
  /** How the run's probe and kNN were measured (its summary's record, else read off its setup); ignored on import. */
  evalProtocol: EvalProtocol & { description: string };
}

const num = z.number().nullable();
/** Most points one imported picture may hold (the trainer records at most PROJECTION_MAX_POINTS). */
const MAX_IMPORTED_POINTS = 20_000;
/** A stored representation picture: coordinates, labels naming a class of `classNames`, measurements. */
const ProjectionRowSchema = z
  .object({
    step: z.number().int().min(0),
    epoch: z.number(),
    x: z.array(z.number()).max(MAX_IMPORTED_POINTS),
    y: z.array(z.number()).max(MAX_IMPORTED_POINTS),
    labels: z.array(z.number().int().min(0)).max(MAX_IMPORTED_POINTS),
    classNames: z.array(z.string().max(200)).max(10_000),
    explained: z.tuple([num, num]),
    totalVariance: num,
    relativeVariance: num,
  })
  .superRefine((p, ctx) => {
    if (p.x.length !== p.labels.length || p.y.length !== p.labels.length) {
      ctx.addIssue({ code: 'custom', path: ['labels'], message: `${p.x.length} x, ${p.y.length} y and ${p.labels.length} labels: they must match` });
    }
    const bad = p.labels.findIndex((l) => l >= p.classNames.length);
    if (bad >= 0) ctx.addIssue({ code: 'custom', path: ['labels', bad], message: `class ${p.labels[bad]} is not one of the ${p.classNames.length} classNames` });
  });
/** What an imported bundle must hold; it is read from files users bring, so every field is checked. */
export const RunBundleSchema = z.object({
  format: z.literal('dplab-run', { error: "not a DirectPred Lab run bundle (field 'format' is not 'dplab-run')" }),
  version: z.literal(1, { error: (i) => `run bundle version ${String(i.input)} is not supported (expected 1)` }),
  run: z.object({
    uuid: z.string().regex(/^[\w-]{1,100}$/, 'must be a run id (letters, digits, - and _)'),
    name: z.string().max(1000).nullable(),
    setup: z.record(z.string(), z.unknown()),
    setupHash: z.string().max(200),
    status: z.enum(RUN_STATUSES),
    createdAt: z.number(),
    startedAt: num,
    endedAt: num,
    backend: z.string().nullable(),
    versions: z.record(z.string(), z.string()).nullable(),
    appVersion: z.string().nullable(),
    host: z.record(z.string(), z.unknown()).nullable(),
    seed: z.number().int(),
    dataset: z.object({ name: z.string(), hash: z.string(), source: z.string().optional(), pretrainCount: z.number().optional() }).nullable(),
    totalSteps: num,
    lastStep: num,
    summary: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable(),
    tags: z.array(z.string().max(200)),
  }),
  note: z.string().nullable(),
  metrics: z.array(z.object({ name: z.string().min(1).max(200), steps: z.array(z.number()), epochs: z.array(z.number()), values: z.array(num) })),
  spectra: z.array(z.object({ step: z.number(), epoch: z.number(), fEig: z.array(num), wpEig: z.array(num), alignment: z.array(num), asymmetry: num })),
  evals: z.array(z.object({ step: z.number(), epoch: z.number(), probeAcc: num, knnAcc: num, probeTrainAcc: num })),
  projections: z.array(ProjectionRowSchema).max(100_000).optional(),
});

/** Builds the JSON bundle of a run. */
export function exportRunBundle(archive: Archive, uuid: string): RunBundle {
  const r = archive.getRun(uuid);
  if (!r) throw new Error(`no run ${uuid} in ${archive.file}`);
  const { pid: _p, ownerPid: _o, cancelRequested: _c, heartbeatAt: _h, ...run } = r;
  const clean = (xs: number[]) => xs.map((x) => (Number.isFinite(x) ? x : null)) as number[];
  return {
    format: 'dplab-run',
    version: 1,
    run,
    note: archive.getNote(uuid),
    metrics: archive.getMetrics(uuid),
    spectra: archive.getSpectra(uuid).map((s) => ({ ...s, fEig: clean(s.fEig), wpEig: clean(s.wpEig), alignment: clean(s.alignment) })),
    evals: archive.getEvals(uuid),
    projections: archive.getProjections(uuid),
    evalProtocol: { ...runEvalProtocol(r), description: describeEvalProtocol(runEvalProtocol(r)) },
  };
}

/**
 * Adds a run from its JSON bundle, keyed by uuid: a run already in the archive is left as it is
 * (returns false), so importing the same bundle twice adds nothing.
 */
export function importRunBundle(archive: Archive, input: unknown): boolean {
  const parsed = RunBundleSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(i.path.length === 0 || i.path[0] === 'format' || i.path[0] === 'version' ? i.message : `run bundle field ${i.path.join('.')}: ${i.message}`);
  }
  const bundle = parsed.data;
  const r = bundle.run;
  if (archive.getRun(r.uuid)) return false;
  archive.transaction(() => {
    archive.createRun({ uuid: r.uuid, name: r.name, setup: r.setup, setupHash: r.setupHash, seed: r.seed, status: r.status as RunStatus, createdAt: r.createdAt });
    const events = [];
    for (const s of bundle.metrics) {
      for (let i = 0; i < s.steps.length; i++) {
        events.push({ type: 'scalars' as const, step: s.steps[i]!, epoch: s.epochs[i]!, values: { [s.name]: s.values[i] ?? NaN } });
      }
    }
    for (const s of bundle.spectra) {
      const nan = (xs: (number | null)[]) => xs.map((x) => x ?? NaN);
      events.push({ type: 'spectra' as const, step: s.step, epoch: s.epoch, fEig: nan(s.fEig), wpEig: nan(s.wpEig), alignment: nan(s.alignment), asymmetry: s.asymmetry ?? NaN });
    }
    for (const e of bundle.evals) {
      events.push({ type: 'eval' as const, step: e.step, epoch: e.epoch, probeAcc: e.probeAcc ?? NaN, knnAcc: e.knnAcc ?? NaN, probeTrainAcc: e.probeTrainAcc ?? NaN });
    }
    for (const p of bundle.projections ?? []) {
      const nan = (v: number | null) => v ?? NaN;
      events.push({ type: 'projection' as const, ...p, explained: [nan(p.explained[0]), nan(p.explained[1])] as [number, number], totalVariance: nan(p.totalVariance), relativeVariance: nan(p.relativeVariance) });
    }
    archive.appendEvents(r.uuid, events);
    // After appendEvents, which moves last_step and the heartbeat: the bundle's values win.
    archive.restoreRunDetails(r.uuid, r);
    if (r.tags.length) archive.addTags(r.uuid, r.tags);
    if (bundle.note) archive.setNote(r.uuid, bundle.note);
  });
  return true;
}

/** What a streamed export holds: run bundles (JSON array or NDJSON, one bundle per line) or the runs table (CSV). */
export type ExportStreamFormat = 'json' | 'ndjson' | 'csv';

/**
 * Export of several runs as text chunks, one run per chunk, read from the archive only when the
 * consumer asks for the next one: memory stays that of the largest run however many runs are
 * exported (a single JSON string of 1,000 runs took 2.2 GB; 2,000 exceeded V8's string limit).
 * 'json' is a JSON array of run bundles (what `dplab archive import` reads), 'ndjson' one bundle
 * per line, 'csv' the runs table (one line per run).
 */
export function* exportChunks(archive: Archive, uuids: readonly string[], format: ExportStreamFormat): Generator<string> {
  if (format === 'csv') {
    yield csvLines([runsTable([]).columns]);
    for (const u of uuids) {
      const r = archive.getRun(u);
      if (!r) throw new Error(`no run ${u} in ${archive.file}`);
      yield csvLines(runsTable([r], (uuid) => archive.getNote(uuid)).rows);
    }
    return;
  }
  if (format === 'ndjson') {
    for (const u of uuids) yield JSON.stringify(exportRunBundle(archive, u)) + '\n';
    return;
  }
  yield '[';
  let first = true;
  for (const u of uuids) {
    yield (first ? '\n' : ',\n') + JSON.stringify(exportRunBundle(archive, u));
    first = false;
  }
  yield '\n]\n';
}

/**
 * Writes `chunks` to `file` one at a time through a temporary sibling renamed at the end, so a
 * failed export leaves no half file and never holds more than one chunk.
 */
export async function writeChunksToFile(chunks: Iterable<string>, file: string): Promise<number> {
  const { openSync, writeSync, closeSync, renameSync, rmSync } = await import('node:fs');
  const tmp = `${file}.part-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let bytes = 0;
  try {
    for (const c of chunks) {
      bytes += writeSync(fd, c);
      // Let the event loop breathe between runs (the desktop's menu and IPC stay responsive).
      await new Promise((r) => setImmediate(r));
    }
    closeSync(fd);
    renameSync(tmp, file);
    return bytes;
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}
