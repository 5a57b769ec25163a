/**
 * The run archive: one SQLite file (WAL) holding every run the lab makes — setups, statuses, scalar
 * metrics per step, spectra snapshots, evaluations, checkpoints, sweeps, tags and notes.
 *
 * Opening checks the file before anything is written: a file that is not SQLite, or SQLite without
 * our application id, is refused as foreign; a newer schema is refused; a failed quick_check or a
 * corruption error is reported as damage (never repaired). Only then is the file opened read-write,
 * switched to WAL and migrated. One process (the run manager's) writes; trainers send it batches.
 */
import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, linkSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { ACTIVE_STATUSES, type RunSummary, type TrainerEvent } from '../spec/events.ts';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, type RunStatus } from './schema.ts';
import { decodeF32, encodeF32 } from './blobs.ts';

export { SCHEMA_VERSION, RUN_STATUSES, type RunStatus } from './schema.ts';
export { FINAL_STATUSES, ACTIVE_STATUSES, RESUMABLE_STATUSES } from '../spec/events.ts';

/** The process that owns a queued or running run: pid and the process's start time (null: unknown). */
export interface RunOwner {
  pid: number;
  start: number | null;
}

/** Why an archive could not be opened: the file is left as it was in every case. */
export type ArchiveErrorKind = 'foreign' | 'newer' | 'damaged' | 'missing' | 'older' | 'readonly' | 'schema';

/** Refusal to open (or use) an archive file, naming the file and the reason. */
export class ArchiveError extends Error {
  constructor(
    readonly kind: ArchiveErrorKind,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'ArchiveError';
  }
}

/** Options of `openArchive`. */
export interface OpenOptions {
  /** Create the file when it does not exist (default true). An existing empty file is never adopted. */
  create?: boolean;
  /**
   * Open read-only: no migrations, no writes (for import sources and inspection). Absent: read-only
   * exactly when the file or its folder is not writable (see `archiveWritable`), so an archive on a
   * read-only disk can be browsed; false: read-write or fail.
   */
  readonly?: boolean;
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
  members: { runUuid: string; idx: number; combo: Record<string, unknown> }[];
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

/**
 * Loads SQLite with URI file names on (better-sqlite3 reads SQLITE_USE_URI once, when its addon
 * loads), so a read-only open can say `immutable=1`; the variable is restored at once so no child
 * process inherits it. When another module loaded the addon first, read-only opens fall back to the
 * plain read-only mode (which may leave WAL side files where the folder is writable).
 */
function enableUriNames(): void {
  const had = process.env.SQLITE_USE_URI;
  process.env.SQLITE_USE_URI = '1';
  try {
    new Database(':memory:').close();
  } finally {
    if (had === undefined) delete process.env.SQLITE_USE_URI;
    else process.env.SQLITE_USE_URI = had;
  }
}
enableUriNames();

/**
 * Whether the lab may change `file`: the file (when it exists) and its folder (where SQLite puts the
 * WAL side files) are writable and carry a write permission bit. The bits count even for root, who
 * passes every access check, so `chmod a-w` marks an archive read-only for everyone.
 */
export function archiveWritable(file: string): boolean {
  const ok = (p: string): boolean => {
    try {
      accessSync(p, constants.W_OK);
      return (statSync(p).mode & 0o222) !== 0;
    } catch {
      return false;
    }
  };
  const abs = resolve(file);
  return ok(dirname(abs)) && (!existsSync(abs) || ok(abs));
}

/**
 * Opens an existing archive for reading without creating anything beside it. In WAL mode even a
 * read-only connection creates `-wal` and `-shm` (and leaves them), which fails on a read-only disk
 * and litters damaged files; with no WAL file present every commit is in the main file, so it is
 * opened immutable (no side files, no locks). A present WAL holds commits the main file lacks: then
 * the plain read-only mode reads them (its side files exist already).
 */
function openReadOnlyDb(file: string): Database.Database {
  const abs = resolve(file);
  // `immutable` reads without any lock. A WAL-mode file without its WAL file has no writer (a live
  // WAL connection keeps the file), but a rollback-journal file — a Slurm task's shard — may be
  // written right now with no side file at all; a lock-free read of it can see half a transaction
  // and report sound pages as damaged, so it is read with SQLite's shared lock (which needs no
  // side files in that mode).
  if (!existsSync(`${abs}-wal`) && (readHeader(abs).wal || !archiveWritable(abs))) {
    try {
      return new Database(`file:${encodeURI(abs).replace(/\?/g, '%3F').replace(/#/g, '%23')}?mode=ro&immutable=1`, { readonly: true, fileMustExist: true });
    } catch {
      // URI names unavailable (another module loaded SQLite first): the plain read-only mode below.
    }
  }
  return new Database(abs, { readonly: true, fileMustExist: true });
}

/**
 * Full `PRAGMA integrity_check` of the archive at `file` on a connection of its own, read-only and
 * without the opening checks (they would refuse the damaged file whose problems are asked for):
 * the service runs it in a worker thread while its own connection keeps serving.
 */
export function integrityCheckFile(file: string): string[] {
  const db = openReadOnlyDb(file);
  try {
    db.pragma('busy_timeout = 5000');
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}

const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB']);

function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && CORRUPT_CODES.has(code);
}

/** Reads the 100-byte SQLite header: magic, user_version (offset 60) and application_id (offset 68). */
function readHeader(file: string): { sqlite: boolean; userVersion: number; applicationId: number; size: number; wal: boolean } {
  const size = statSync(file).size;
  const head = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  const sqlite = size >= 100 && head.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000';
  // Bytes 18-19: file format write/read versions, 2 in WAL mode, 1 in rollback-journal mode.
  return { sqlite, userVersion: head.readUInt32BE(60), applicationId: head.readUInt32BE(68), size, wal: sqlite && head[18] === 2 && head[19] === 2 };
}

/**
 * Files up to this size get a full quick_check at open (~11 ms/MiB measured, see BENCHMARKS.md);
 * larger ones only the header and schema checks, so years of runs still open fast — damage there
 * surfaces as SQLite's corruption error on first read, and `dplab archive check` checks everything.
 */
export const QUICK_CHECK_MAX_BYTES = 256 * 2 ** 20;

/** Checks an existing file without writing to it; throws ArchiveError when it is not a usable archive. */
export function verifyArchiveFile(file: string, opts: { quickCheck?: boolean } = {}): { schemaVersion: number } {
  const h = readHeader(file);
  if (h.size === 0) throw new ArchiveError('foreign', file, 'is an empty file, not a DirectPred Lab archive; refusing to use it');
  if (!h.sqlite) throw new ArchiveError('foreign', file, 'is not an SQLite database, so not a DirectPred Lab archive; left untouched');
  if (h.applicationId !== APPLICATION_ID) {
    throw new ArchiveError(
      'foreign',
      file,
      `is an SQLite database of another program (application_id 0x${h.applicationId.toString(16).padStart(8, '0')}, expected 0x${APPLICATION_ID.toString(16)}), not a DirectPred Lab archive; left untouched`,
    );
  }
  if (h.userVersion > SCHEMA_VERSION) throw newer(file, h.userVersion);
  let db: Database.Database | undefined;
  try {
    db = openReadOnlyDb(file);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw newer(file, version);
    // Reading the schema touches page 1 and the catalogue: a mangled header or catalogue fails here.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const rows = (opts.quickCheck ?? h.size <= QUICK_CHECK_MAX_BYTES) ? (db.pragma('quick_check') as { quick_check: string }[]) : [];
    const problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
    if (problems.length) {
      throw new ArchiveError('damaged', file, `is damaged (quick_check: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; … ${problems.length - 5} more` : ''}); it was not changed — restore a backup or recover it with the sqlite3 tool's .recover`);
    }
    return { schemaVersion: version };
  } catch (e) {
    if (e instanceof ArchiveError) throw e;
    if (isCorruption(e)) throw new ArchiveError('damaged', file, `is damaged (${(e as Error).message}); it was not changed`, { cause: e });
    throw e;
  } finally {
    db?.close();
  }
}

function newer(file: string, version: number): ArchiveError {
  return new ArchiveError('newer', file, `has archive schema version ${version}, newer than this DirectPred Lab understands (${SCHEMA_VERSION}); update the lab to open it. The file was not changed`);
}

/**
 * Creates a complete archive at `file` unless one appears there first. The schema is written to a
 * private file beside it, which is then hard-linked into place: another process never sees a
 * half-made (empty) archive, and when several create the same path at once, one link wins and the
 * others open the winner's file.
 */
function createArchiveFile(file: string): void {
  const tmp = `${file}.creating-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const db = new Database(tmp);
    // application_id goes into the main file before WAL is on, so the header always marks the file as ours.
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma('journal_mode = WAL');
    new Archive(db, tmp, false).close();
    try {
      linkSync(tmp, file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return; // another process made it first: use theirs
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw e;
      // A filesystem without hard links: rename, after checking that nobody made it meanwhile.
      if (!existsSync(file)) renameSync(tmp, file);
    }
  } finally {
    for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  }
}

/** Opens (creating or migrating as needed) the archive at `file`; see the module comment for the checks. */
export function openArchive(file: string, opts: OpenOptions = {}): Archive {
  const exists = existsSync(file);
  if (!exists) {
    if (opts.create === false || opts.readonly) throw new ArchiveError('missing', file, 'no archive at this path');
    mkdirSync(dirname(file), { recursive: true });
    createArchiveFile(file);
    return openArchive(file, opts);
  }
  const { schemaVersion } = verifyArchiveFile(file);
  const readonly = opts.readonly ?? !archiveWritable(file);
  if (readonly) {
    if (schemaVersion < SCHEMA_VERSION) {
      throw new ArchiveError('older', file, `has schema version ${schemaVersion}; open it once read-write (any dplab command, in a writable folder) to migrate it to ${SCHEMA_VERSION}`);
    }
    return new Archive(openReadOnlyDb(file), file, true);
  }
  const sideFiles = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('journal_mode = WAL');
    return new Archive(db, file, false);
  } catch (e) {
    // Leave the file as found: close (which removes a WAL SQLite made) and remove side files we caused.
    try {
      db?.close();
    } catch {
      // closing a broken connection may fail too
    }
    for (const f of sideFiles) rmSync(f, { force: true });
    if (e instanceof ArchiveError) throw e;
    if (isCorruption(e)) throw new ArchiveError('damaged', file, `is damaged (${(e as Error).message}); it was not changed`, { cause: e });
    throw new ArchiveError('damaged', file, `cannot be opened: ${(e as Error).message}`, { cause: e });
  }
}

type Row = Record<string, unknown>;

/** Tables and indexes of a database: name → column descriptions ("name TYPE notnull pk"). */
type Shape = Map<string, { type: string; columns: string[] }>;

function schemaShape(db: Database.Database): Shape {
  const out: Shape = new Map();
  const objects = db.prepare("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { type: string; name: string }[];
  for (const o of objects) {
    const cols =
      o.type === 'table'
        ? (db.prepare('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?)').all(o.name) as { name: string; type: string; nn: number; pk: number }[]).map(
            (c) => `${c.name} ${c.type || '(no type)'}${c.nn ? ' NOT NULL' : ''}${c.pk ? ` PK${c.pk}` : ''}`,
          )
        : (db.prepare('SELECT name FROM pragma_index_info(?)').all(o.name) as { name: string | null }[]).map((c) => c.name ?? '(expression)');
    out.set(o.name, { type: o.type, columns: cols });
  }
  return out;
}

const expectedShapes = new Map<number, Shape>();

/** The shape the migrations create for `version`, built once in memory. */
function expectedShape(version: number): Shape {
  let shape = expectedShapes.get(version);
  if (!shape) {
    const mem = new Database(':memory:');
    try {
      for (let v = 0; v < Math.min(version, MIGRATIONS.length); v++) mem.exec(MIGRATIONS[v]!.sql);
      shape = schemaShape(mem);
    } finally {
      mem.close();
    }
    expectedShapes.set(version, shape);
  }
  return shape;
}

function compareShapes(actual: Shape, expected: Shape, version: number): string[] {
  const out: string[] = [];
  for (const [name, e] of expected) {
    const a = actual.get(name);
    if (!a) {
      out.push(`${e.type} '${name}' of schema version ${version} is missing`);
      continue;
    }
    if (a.type !== e.type) out.push(`'${name}' is a ${a.type}, expected a ${e.type}`);
    const missing = e.columns.filter((c) => !a.columns.includes(c));
    const extra = a.columns.filter((c) => !e.columns.includes(c));
    if (missing.length) out.push(`${e.type} '${name}' lacks column(s) of schema version ${version}: ${missing.join(', ')}`);
    if (extra.length) out.push(`${e.type} '${name}' has column(s) that schema version ${version} does not define: ${extra.join(', ')}`);
  }
  for (const [name, a] of actual) if (!expected.has(name)) out.push(`${a.type} '${name}' is not part of schema version ${version}`);
  return out;
}

function parseJson<T>(s: unknown): T | null {
  return typeof s === 'string' ? (JSON.parse(s) as T) : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

/** An open archive. All writes go through its methods, each in a transaction. */
export class Archive {
  private readonly stmts = new Map<string, Database.Statement>();
  private readonly nameIds = new Map<string, number>();
  private closed = false;

  /** Use `openArchive`. */
  constructor(
    readonly db: Database.Database,
    readonly file: string,
    readonly readonly: boolean,
  ) {
    db.pragma('busy_timeout = 5000');
    if (!readonly) {
      db.pragma('foreign_keys = ON');
      // NORMAL in WAL mode survives a killed process (only power loss can lose the newest commits).
      db.pragma('synchronous = NORMAL');
      this.migrate();
    }
  }

  /** Refuses a change to a read-only archive with an error naming the file. */
  private writable(): void {
    if (this.readonly) {
      throw new ArchiveError('readonly', this.file, 'is open read-only (the file or its folder is not writable, or it was opened for reading): browsing works, changes do not; copy it to a writable folder to change it');
    }
  }

  /** Schema version of the open file. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    if (this.schemaVersion > SCHEMA_VERSION) throw newer(this.file, this.schemaVersion);
    if (this.schemaVersion === SCHEMA_VERSION) return;
    // The version is read again under the write lock: two processes opening an older archive at
    // once would otherwise both run the same migration, and the second fail half-way.
    this.db
      .transaction(() => {
        const from = this.schemaVersion;
        if (from >= SCHEMA_VERSION) return;
        for (let v = from; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!.sql);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        this.db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(`migrated_to_${SCHEMA_VERSION}`, new Date().toISOString());
      })
      .immediate();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Closes the file (checkpointing the WAL). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /**
   * The schema's shape against what its version's migrations create: every table and index with its
   * columns (name, declared type, NOT NULL, primary key). [] when it matches; otherwise one line per
   * difference. integrity_check only proves the b-trees sound: a dropped table or a column
   * added by hand passes it and breaks the lab later.
   */
  schemaProblems(): string[] {
    return compareShapes(schemaShape(this.db), expectedShape(this.schemaVersion), this.schemaVersion);
  }

  /**
   * Switches the file to a rollback journal (no WAL): for an archive on a network filesystem that
   * other hosts read (a Slurm sweep's shards), where WAL's shared memory does not work.
   */
  useRollbackJournal(): void {
    this.writable();
    this.db.pragma('journal_mode = DELETE');
  }

  /** Full `PRAGMA integrity_check`: ['ok'] for a sound file, otherwise the problems found. */
  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
  }

  // ---- runs -----------------------------------------------------------------------------------

  /** Adds a run (status 'queued' unless given) and returns its record. */
  createRun(r: NewRun): RunRecord {
    this.writable();
    const uuid = r.uuid ?? randomUUID();
    this.stmt(
      'INSERT INTO runs (uuid, name, setup_json, setup_hash, status, created_at, seed, owner_pid, owner_start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(uuid, r.name ?? null, JSON.stringify(r.setup), r.setupHash, r.status ?? 'queued', r.createdAt ?? Date.now(), r.seed, r.owner?.pid ?? null, r.owner?.start ?? null);
    return this.getRun(uuid)!;
  }

  private runId(uuid: string): number {
    const row = this.stmt('SELECT id FROM runs WHERE uuid = ?').get(uuid) as { id: number } | undefined;
    if (!row) throw new Error(`archive ${this.file}: no run ${uuid}`);
    return row.id;
  }

  private toRecord(r: Row, tags: string[]): RunRecord {
    const datasetName = r.dataset_name as string | null;
    return {
      uuid: r.uuid as string,
      name: (r.name as string | null) ?? null,
      setup: JSON.parse(r.setup_json as string),
      setupHash: r.setup_hash as string,
      status: r.status as RunStatus,
      createdAt: num(r.created_at)!,
      startedAt: num(r.started_at),
      endedAt: num(r.ended_at),
      heartbeatAt: num(r.heartbeat_at),
      pid: num(r.pid),
      ownerPid: num(r.owner_pid),
      ownerStart: num(r.owner_start),
      cancelRequested: !!r.cancel_requested,
      backend: (r.backend as string | null) ?? null,
      versions: parseJson(r.versions_json),
      appVersion: (r.app_version as string | null) ?? null,
      host: parseJson(r.host_json),
      seed: num(r.seed)!,
      dataset: datasetName ? { ...(parseJson<Record<string, unknown>>(r.dataset_json) ?? {}), name: datasetName, hash: (r.dataset_hash as string) ?? '' } : null,
      totalSteps: num(r.total_steps),
      lastStep: num(r.last_step),
      summary: parseJson(r.summary_json),
      error: (r.error as string | null) ?? null,
      tags,
    };
  }

  /** The run with this uuid, or undefined. */
  getRun(uuid: string): RunRecord | undefined {
    const r = this.stmt('SELECT * FROM runs WHERE uuid = ?').get(uuid) as Row | undefined;
    if (!r) return undefined;
    const tags = (this.stmt('SELECT tag FROM tags WHERE run_id = ? ORDER BY tag').all(r.id) as { tag: string }[]).map((t) => t.tag);
    return this.toRecord(r, tags);
  }

  /**
   * Which of `uuids` are runs of this archive, in one query: a request naming thousands of runs is
   * checked in batches of this, not one full record read per id.
   */
  existingRuns(uuids: readonly string[]): Set<string> {
    if (uuids.length === 0) return new Set();
    const rows = this.db.prepare(`SELECT uuid FROM runs WHERE uuid IN (${uuids.map(() => '?').join(',')})`).all(...uuids) as { uuid: string }[];
    return new Set(rows.map((r) => r.uuid));
  }

  /** Finds a run by full uuid or a unique uuid prefix (≥ 4 characters), as the CLI accepts. */
  resolveRun(ref: string): RunRecord {
    const exact = this.getRun(ref);
    if (exact) return exact;
    if (ref.length >= 4) {
      const rows = this.stmt("SELECT uuid FROM runs WHERE uuid LIKE ? ESCAPE '\\' LIMIT 3").all(ref.replace(/[\\%_]/g, '\\$&') + '%') as { uuid: string }[];
      if (rows.length === 1) return this.getRun(rows[0]!.uuid)!;
      if (rows.length > 1) throw new Error(`run reference '${ref}' matches several runs (${rows.map((r) => r.uuid).join(', ')}…); give more characters`);
    }
    throw new Error(`no run '${ref}' in archive ${this.file}`);
  }

  /** Runs matching the filter, newest first by default, with their tags. */
  listRuns(f: RunFilter = {}): RunRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.status) {
      const list = Array.isArray(f.status) ? f.status : [f.status];
      where.push(`r.status IN (${list.map(() => '?').join(',')})`);
      params.push(...list);
    }
    if (f.tag) {
      where.push('r.id IN (SELECT run_id FROM tags WHERE tag = ?)');
      params.push(f.tag);
    }
    if (f.sweep) {
      where.push('r.id IN (SELECT sr.run_id FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id WHERE s.uuid = ?)');
      params.push(f.sweep);
    }
    const sql =
      `SELECT r.*, (SELECT group_concat(tag, char(31)) FROM (SELECT tag FROM tags t WHERE t.run_id = r.id ORDER BY tag)) AS tag_list FROM runs r` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY r.created_at ${f.order === 'oldest' ? 'ASC' : 'DESC'}, r.id ${f.order === 'oldest' ? 'ASC' : 'DESC'}` +
      (f.limit ? ` LIMIT ${Math.max(0, Math.floor(f.limit))}` : '');
    return (this.stmt(sql).all(...params) as Row[]).map((r) => this.toRecord(r, r.tag_list ? String(r.tag_list).split('\u001f') : []));
  }

  /** How many runs have one of `statuses` (the run manager's bound on queued runs counts them without reading them). */
  countRuns(statuses: readonly RunStatus[]): number {
    if (!statuses.length) return 0;
    return (this.db.prepare(`SELECT count(*) AS n FROM runs WHERE status IN (${statuses.map(() => '?').join(',')})`).get(...statuses) as { n: number }).n;
  }

  /**
   * Sets a run's status and, optionally, other columns. A final status always clears the owner and
   * trainer pid (the run belongs to nobody once it has ended).
   */
  setStatus(
    uuid: string,
    status: RunStatus,
    extra: { error?: string | null; endedAt?: number | null; startedAt?: number; pid?: number | null; ownerPid?: number | null; ownerStart?: number | null } = {},
  ): void {
    this.writable();
    const sets = ['status = ?'];
    const params: unknown[] = [status];
    const cols: [keyof typeof extra, string][] = [['error', 'error'], ['endedAt', 'ended_at'], ['startedAt', 'started_at'], ['pid', 'pid'], ['ownerPid', 'owner_pid'], ['ownerStart', 'owner_start']];
    const active = ACTIVE_STATUSES.has(status);
    if ('ownerPid' in extra && !('ownerStart' in extra)) extra = { ...extra, ownerStart: null };
    for (const [k, c] of cols) {
      if (k in extra && (active || (k !== 'pid' && k !== 'ownerPid' && k !== 'ownerStart'))) {
        sets.push(`${c} = ?`);
        params.push(extra[k] ?? null);
      }
    }
    if (active) sets.push('cancel_requested = 0');
    else sets.push('pid = NULL', 'owner_pid = NULL', 'owner_start = NULL');
    const info = this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE uuid = ?`).run(...params, uuid);
    if (info.changes === 0) throw new Error(`archive ${this.file}: no run ${uuid}`);
  }

  /**
   * Starts a queued run for its owner, in one write: status 'running', heartbeat now, owner kept.
   * Returns false (and changes nothing) when the run is no longer queued for this owner — cancelled,
   * deleted, or taken by another process — so a run is never started twice.
   */
  claimRun(uuid: string, owner: RunOwner, at = Date.now()): boolean {
    this.writable();
    return (
      this.stmt(
        `UPDATE runs SET status = 'running', heartbeat_at = ?, started_at = COALESCE(started_at, ?), ended_at = NULL, error = NULL, pid = NULL, cancel_requested = 0
         WHERE uuid = ? AND status = 'queued' AND owner_pid IS ? AND owner_start IS ?`,
      ).run(at, at, uuid, owner.pid, owner.start).changes > 0
    );
  }

  /**
   * Puts a run in `owner`'s queue: a queued run without a owner is adopted, a run in one of `from`
   * (a resume) is queued again. Returns false when the run is in neither state (another process
   * owns it, or it is running or final), changing nothing.
   */
  queueRun(uuid: string, owner: RunOwner, from: readonly RunStatus[] = []): boolean {
    this.writable();
    const list = ['queued', ...from];
    return (
      this.db
        .prepare(
          `UPDATE runs SET status = 'queued', owner_pid = ?, owner_start = ?, pid = NULL, ended_at = NULL, error = NULL, cancel_requested = 0
           WHERE uuid = ? AND status IN (${list.map(() => '?').join(',')}) AND (status <> 'queued' OR owner_pid IS NULL OR (owner_pid = ? AND owner_start IS ?))`,
        )
        .run(owner.pid, owner.start, uuid, ...list, owner.pid, owner.start).changes > 0
    );
  }

  /** Records the trainer process of a running run. */
  setTrainerPid(uuid: string, pid: number | null): void {
    this.writable();
    this.stmt('UPDATE runs SET pid = ? WHERE uuid = ?').run(pid, uuid);
  }

  /**
   * Marks a queued or running run 'interrupted' only if it is still exactly as `seen` (same status
   * and owner): a compare-and-set, so a run a live process has just claimed is never marked dead.
   */
  interruptStale(seen: RunRecord, error: string, endedAt = Date.now()): boolean {
    this.writable();
    return (
      this.stmt(
        `UPDATE runs SET status = 'interrupted', error = ?, ended_at = ?, pid = NULL, owner_pid = NULL, owner_start = NULL
         WHERE uuid = ? AND status = ? AND owner_pid IS ? AND owner_start IS ?`,
      ).run(error, endedAt, seen.uuid, seen.status, seen.ownerPid, seen.ownerStart).changes > 0
    );
  }

  /** Uuids among `uuids` whose cancel flag is set (another process asked their owner to stop them). */
  cancelRequested(uuids: readonly string[]): string[] {
    if (!uuids.length) return [];
    const rows = this.db.prepare(`SELECT uuid FROM runs WHERE cancel_requested = 1 AND uuid IN (${uuids.map(() => '?').join(',')})`).all(...uuids) as { uuid: string }[];
    return rows.map((r) => r.uuid);
  }

  /** The uuid of the sweep a run belongs to, if any. */
  sweepOfRun(runUuid: string): string | undefined {
    const row = this.stmt('SELECT s.uuid AS uuid FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id JOIN runs r ON r.id = sr.run_id WHERE r.uuid = ?').get(runUuid) as { uuid: string } | undefined;
    return row?.uuid;
  }

  /** Records that the run's trainer is alive (the manager calls it on each trainer heartbeat). */
  heartbeat(uuid: string, at = Date.now()): void {
    this.writable();
    this.stmt('UPDATE runs SET heartbeat_at = ? WHERE uuid = ?').run(at, uuid);
  }

  /** Asks the manager that owns a running run to cancel it (works from another process). */
  requestCancel(uuid: string): void {
    this.writable();
    this.stmt('UPDATE runs SET cancel_requested = 1 WHERE uuid = ?').run(uuid);
  }

  /**
   * Deletes a run with everything stored for it; returns false when there is no such run. A queued or
   * running run is refused (its owner would write into a run that is gone): cancel it first.
   */
  deleteRun(uuid: string): boolean {
    this.writable();
    return this.db.transaction(() => {
      const r = this.stmt('SELECT status, owner_pid FROM runs WHERE uuid = ?').get(uuid) as { status: RunStatus; owner_pid: number | null } | undefined;
      if (!r) return false;
      if (ACTIVE_STATUSES.has(r.status)) {
        throw new Error(`run ${uuid} is ${r.status}${r.owner_pid ? ` (owned by process ${r.owner_pid})` : ''}; cancel it first`);
      }
      return this.stmt('DELETE FROM runs WHERE uuid = ?').run(uuid).changes > 0;
    })();
  }

  // ---- events ---------------------------------------------------------------------------------

  private metricNameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      this.stmt('INSERT OR IGNORE INTO metric_names(name) VALUES (?)').run(name);
      id = (this.stmt('SELECT id FROM metric_names WHERE name = ?').get(name) as { id: number }).id;
      this.nameIds.set(name, id);
    }
    return id;
  }

  /**
   * Stores a batch of trainer events for a run in one transaction. Rows for a step already present
   * are replaced, so the steps a resumed run repeats after its checkpoint overwrite the old ones.
   */
  appendEvents(uuid: string, events: readonly TrainerEvent[]): void {
    this.writable();
    if (events.length === 0) return;
    const runId = this.runId(uuid);
    const insMetric = this.stmt('INSERT OR REPLACE INTO metrics(run_id, name_id, step, epoch, value) VALUES (?, ?, ?, ?, ?)');
    const insSpectra = this.stmt('INSERT OR REPLACE INTO spectra(run_id, step, epoch, f_eig, wp_eig, alignment, asymmetry) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const insEval = this.stmt('INSERT OR REPLACE INTO evals(run_id, step, epoch, probe_acc, knn_acc, probe_train_acc) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      let lastStep = -1;
      for (const e of events) {
        switch (e.type) {
          case 'started':
            this.stmt(
              `UPDATE runs SET backend = ?, versions_json = ?, app_version = ?, host_json = ?, dataset_name = ?, dataset_hash = ?, dataset_json = ?,
               total_steps = ?, started_at = COALESCE(started_at, ?) WHERE id = ?`,
            ).run(
              e.env.backend,
              JSON.stringify(e.env.versions),
              e.env.appVersion,
              // A webgpu run's adapter is part of the machine it ran on: kept under host.gpu, so
              // export, import and merge carry it with the rest of the host.
              JSON.stringify(e.env.adapter ? { ...e.env.host, gpu: e.env.adapter } : e.env.host),
              e.dataset.name,
              e.dataset.hash,
              JSON.stringify(e.dataset),
              e.totalSteps,
              Date.now(),
              runId,
            );
            break;
          case 'scalars':
            for (const [name, v] of Object.entries(e.values)) insMetric.run(runId, this.metricNameId(name), e.step, e.epoch, Number.isNaN(v) ? null : v);
            lastStep = Math.max(lastStep, e.step);
            break;
          case 'spectra':
            insSpectra.run(runId, e.step, e.epoch, encodeF32(e.fEig), encodeF32(e.wpEig), encodeF32(e.alignment), Number.isNaN(e.asymmetry) ? null : e.asymmetry);
            break;
          case 'eval':
            insEval.run(runId, e.step, e.epoch, e.probeAcc, e.knnAcc, e.probeTrainAcc);
            break;
          case 'progress':
            lastStep = Math.max(lastStep, e.step);
            this.stmt('UPDATE runs SET total_steps = ? WHERE id = ?').run(e.totalSteps, runId);
            break;
          case 'finished':
            this.stmt('UPDATE runs SET status = ?, summary_json = ?, error = ?, ended_at = ?, pid = NULL, owner_pid = NULL, owner_start = NULL WHERE id = ?').run(
              e.outcome,
              JSON.stringify(e.summary),
              e.summary.error ?? null,
              Date.now(),
              runId,
            );
            break;
        }
      }
      if (lastStep >= 0) this.stmt('UPDATE runs SET last_step = ?, heartbeat_at = ? WHERE id = ?').run(lastStep, Date.now(), runId);
    })();
  }

  /** Every scalar metric of a run (or only `names`), sorted by name, each sorted by step. */
  getMetrics(uuid: string, names?: string[]): MetricSeries[] {
    const runId = this.runId(uuid);
    // One primary-key range scan per metric: rows come out in step order with no sort.
    const all = this.stmt('SELECT id, name FROM metric_names ORDER BY name').all() as { id: number; name: string }[];
    const want = names ? new Set(names) : undefined;
    const has = this.stmt('SELECT 1 FROM metrics WHERE run_id = ? AND name_id = ? LIMIT 1').pluck();
    const rows = this.stmt('SELECT step, epoch, value FROM metrics WHERE run_id = ? AND name_id = ? ORDER BY step').raw(true);
    const out: MetricSeries[] = [];
    for (const { id, name } of all) {
      if (want && !want.has(name)) continue;
      if (!has.get(runId, id)) continue;
      const data = rows.all(runId, id) as [number, number, number | null][];
      const n = data.length;
      const s: MetricSeries = { name, steps: new Array(n), epochs: new Array(n), values: new Array(n) };
      for (let i = 0; i < n; i++) {
        const r = data[i]!;
        s.steps[i] = r[0];
        s.epochs[i] = r[1];
        s.values[i] = r[2];
      }
      out.push(s);
    }
    return out;
  }

  /** Spectra snapshots of a run, by step. */
  getSpectra(uuid: string): SpectraRow[] {
    const rows = this.stmt('SELECT step, epoch, f_eig, wp_eig, alignment, asymmetry FROM spectra WHERE run_id = ? ORDER BY step').all(this.runId(uuid)) as Row[];
    return rows.map((r) => ({
      step: r.step as number,
      epoch: r.epoch as number,
      fEig: decodeF32(r.f_eig as Buffer),
      wpEig: decodeF32(r.wp_eig as Buffer),
      alignment: decodeF32(r.alignment as Buffer),
      asymmetry: num(r.asymmetry),
    }));
  }

  /** Evaluations of a run, by step. */
  getEvals(uuid: string): EvalRow[] {
    const rows = this.stmt('SELECT step, epoch, probe_acc, knn_acc, probe_train_acc FROM evals WHERE run_id = ? ORDER BY step').all(this.runId(uuid)) as Row[];
    return rows.map((r) => ({ step: r.step as number, epoch: r.epoch as number, probeAcc: num(r.probe_acc), knnAcc: num(r.knn_acc), probeTrainAcc: num(r.probe_train_acc) }));
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /** Stores a checkpoint blob at `step`, keeping only the newest `keep` of the run. */
  putCheckpoint(uuid: string, step: number, data: Uint8Array, keep = 3): void {
    this.writable();
    const runId = this.runId(uuid);
    this.db.transaction(() => {
      this.stmt('INSERT OR REPLACE INTO checkpoints(run_id, step, created_at, size, data) VALUES (?, ?, ?, ?, ?)').run(runId, step, Date.now(), data.byteLength, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      this.stmt('DELETE FROM checkpoints WHERE run_id = ? AND step NOT IN (SELECT step FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT ?)').run(runId, runId, Math.max(1, keep));
    })();
  }

  /** The newest checkpoint of a run, or undefined. */
  latestCheckpoint(uuid: string): { step: number; data: Buffer } | undefined {
    const r = this.stmt('SELECT step, data FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1').get(this.runId(uuid)) as { step: number; data: Buffer } | undefined;
    return r ? { step: r.step, data: r.data } : undefined;
  }

  /** Steps and sizes of a run's stored checkpoints, oldest first. */
  listCheckpoints(uuid: string): { step: number; size: number; createdAt: number }[] {
    return (this.stmt('SELECT step, size, created_at FROM checkpoints WHERE run_id = ? ORDER BY step').all(this.runId(uuid)) as Row[]).map((r) => ({
      step: r.step as number,
      size: r.size as number,
      createdAt: r.created_at as number,
    }));
  }

  // ---- tags and notes -------------------------------------------------------------------------

  /** Adds tags to a run (existing ones are kept). */
  addTags(uuid: string, tags: string[]): void {
    this.writable();
    const runId = this.runId(uuid);
    this.db.transaction(() => {
      for (const t of tags) this.stmt('INSERT OR IGNORE INTO tags(run_id, tag) VALUES (?, ?)').run(runId, t);
    })();
  }

  /** Removes tags from a run. */
  removeTags(uuid: string, tags: string[]): void {
    this.writable();
    const runId = this.runId(uuid);
    this.db.transaction(() => {
      for (const t of tags) this.stmt('DELETE FROM tags WHERE run_id = ? AND tag = ?').run(runId, t);
    })();
  }

  /** Sets (or, with an empty text, removes) a run's markdown note. */
  setNote(uuid: string, markdown: string): void {
    this.writable();
    const runId = this.runId(uuid);
    if (markdown === '') this.stmt('DELETE FROM notes WHERE run_id = ?').run(runId);
    else this.stmt('INSERT OR REPLACE INTO notes(run_id, markdown, updated_at) VALUES (?, ?, ?)').run(runId, markdown, Date.now());
  }

  /** A run's markdown note, or null. */
  getNote(uuid: string): string | null {
    const r = this.stmt('SELECT markdown FROM notes WHERE run_id = ?').get(this.runId(uuid)) as { markdown: string } | undefined;
    return r?.markdown ?? null;
  }

  // ---- sweeps ---------------------------------------------------------------------------------

  /** Records a sweep and links its member runs (which must already exist). */
  createSweep(s: { uuid?: string; name?: string | null; definition: unknown; members: { runUuid: string; idx: number; combo: Record<string, unknown> }[] }): string {
    this.writable();
    const uuid = s.uuid ?? randomUUID();
    this.db.transaction(() => {
      const info = this.stmt('INSERT INTO sweeps(uuid, name, definition_json, created_at) VALUES (?, ?, ?, ?)').run(uuid, s.name ?? null, JSON.stringify(s.definition), Date.now());
      for (const m of s.members) {
        this.stmt('INSERT INTO sweep_runs(sweep_id, run_id, idx, combo_json) VALUES (?, ?, ?, ?)').run(info.lastInsertRowid, this.runId(m.runUuid), m.idx, JSON.stringify(m.combo));
      }
    })();
    return uuid;
  }

  /**
   * Creates a sweep's member runs and the sweep itself in one transaction: an error halfway leaves
   * neither runs without their sweep nor a sweep without its runs.
   */
  createSweepWithRuns(s: { uuid?: string; name?: string | null; definition: unknown; members: { run: NewRun; idx: number; combo: Record<string, unknown> }[] }): { sweepId: string; runIds: string[] } {
    return this.db.transaction(() => {
      const runIds = s.members.map((m) => this.createRun(m.run).uuid);
      const sweepId = this.createSweep({ ...(s.uuid ? { uuid: s.uuid } : {}), name: s.name ?? null, definition: s.definition, members: s.members.map((m, i) => ({ runUuid: runIds[i]!, idx: m.idx, combo: m.combo })) });
      return { sweepId, runIds };
    })();
  }

  /** A sweep with its members, or undefined. */
  getSweep(uuid: string): SweepRecord | undefined {
    const s = this.stmt('SELECT * FROM sweeps WHERE uuid = ?').get(uuid) as Row | undefined;
    if (!s) return undefined;
    const members = this.stmt('SELECT r.uuid, sr.idx, sr.combo_json FROM sweep_runs sr JOIN runs r ON r.id = sr.run_id WHERE sr.sweep_id = ? ORDER BY sr.idx').all(s.id) as Row[];
    return {
      uuid: s.uuid as string,
      name: (s.name as string | null) ?? null,
      definition: JSON.parse(s.definition_json as string),
      createdAt: s.created_at as number,
      members: members.map((m) => ({ runUuid: m.uuid as string, idx: m.idx as number, combo: JSON.parse(m.combo_json as string) })),
    };
  }

  /** Replaces a sweep's stored definition (the executor records how to follow the sweep once it started). */
  setSweepDefinition(uuid: string, definition: unknown): void {
    const info = this.stmt('UPDATE sweeps SET definition_json = ? WHERE uuid = ?').run(JSON.stringify(definition), uuid);
    if (info.changes === 0) throw new Error(`archive ${this.file}: no sweep ${uuid}`);
  }

  /**
   * Removes a sweep that could not be started together with its member runs (none of which has
   * trained), in one transaction.
   */
  discardSweep(uuid: string): void {
    this.writable();
    this.db.transaction(() => {
      this.stmt('DELETE FROM runs WHERE id IN (SELECT sr.run_id FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id WHERE s.uuid = ?)').run(uuid);
      this.stmt('DELETE FROM sweeps WHERE uuid = ?').run(uuid);
    })();
  }

  /** Deletes a sweep record (its member runs stay; only the grouping goes). */
  deleteSweep(uuid: string): boolean {
    return this.stmt('DELETE FROM sweeps WHERE uuid = ?').run(uuid).changes > 0;
  }

  /** All sweeps, newest first (without members). */
  listSweeps(): { uuid: string; name: string | null; createdAt: number; runs: number }[] {
    return (this.stmt('SELECT s.uuid, s.name, s.created_at, (SELECT count(*) FROM sweep_runs sr WHERE sr.sweep_id = s.id) AS runs FROM sweeps s ORDER BY s.created_at DESC').all() as Row[]).map((r) => ({
      uuid: r.uuid as string,
      name: (r.name as string | null) ?? null,
      createdAt: r.created_at as number,
      runs: r.runs as number,
    }));
  }

  /** Counts of stored rows, for `dplab archive check`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of ['runs', 'metrics', 'spectra', 'evals', 'checkpoints', 'sweeps', 'tags', 'notes']) {
      out[t] = (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  }
}
