/**
 * Getting an archive file to a usable connection: opening checks the file before anything is
 * written (a file that is not SQLite, or SQLite without our application id, is refused as foreign; a
 * newer schema is refused; a failed quick_check or a corruption error is reported as damage, never
 * repaired); only then is it opened read-write, switched to WAL and migrated. A new file is created
 * whole beside its path and linked into place. `Archive` (archive.ts) wraps the connection this gives.
 */
import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, linkSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

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
 * Sets up a connection the way every use of the archive expects: a busy timeout, and on a writable
 * one foreign keys, NORMAL sync and the migrations up to SCHEMA_VERSION.
 */
function configure(db: Database.Database, file: string, readonly: boolean): void {
  db.pragma('busy_timeout = 5000');
  if (!readonly) {
    db.pragma('foreign_keys = ON');
    // NORMAL in WAL mode survives a killed process (only power loss can lose the newest commits).
    db.pragma('synchronous = NORMAL');
    migrate(db, file);
  }
}

function migrate(db: Database.Database, file: string): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  if (version() > SCHEMA_VERSION) throw newer(file, version());
  if (version() === SCHEMA_VERSION) return;
  // The version is read again under the write lock: two processes opening an older archive at
  // once would otherwise both run the same migration, and the second fail half-way.
  db.transaction(() => {
    const from = version();
    if (from >= SCHEMA_VERSION) return;
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!.sql);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(`migrated_to_${SCHEMA_VERSION}`, new Date().toISOString());
  }).immediate();
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
    configure(db, tmp, false);
    db.close();
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

/**
 * The connection to the archive at `file`, created or migrated as needed and configured (see the
 * module comment for the checks), and whether it is read-only.
 */
export function openDatabase(file: string, opts: OpenOptions = {}): { db: Database.Database; readonly: boolean } {
  const exists = existsSync(file);
  if (!exists) {
    if (opts.create === false || opts.readonly) throw new ArchiveError('missing', file, 'no archive at this path');
    mkdirSync(dirname(file), { recursive: true });
    createArchiveFile(file);
    return openDatabase(file, opts);
  }
  const { schemaVersion } = verifyArchiveFile(file);
  const readonly = opts.readonly ?? !archiveWritable(file);
  if (readonly) {
    if (schemaVersion < SCHEMA_VERSION) {
      throw new ArchiveError('older', file, `has schema version ${schemaVersion}; open it once read-write (any dplab command, in a writable folder) to migrate it to ${SCHEMA_VERSION}`);
    }
    const db = openReadOnlyDb(file);
    configure(db, file, true);
    return { db, readonly: true };
  }
  const sideFiles = [`${file}-wal`, `${file}-shm`].filter((f) => !existsSync(f));
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('journal_mode = WAL');
    configure(db, file, false);
    return { db, readonly: false };
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
