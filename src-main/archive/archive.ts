/**
 * The run archive: one SQLite file (WAL) holding every run the lab makes — setups, statuses, scalar
 * metrics per step, spectra snapshots, evaluations, checkpoints, sweeps, tags and notes. This file is
 * the class every query and write goes through, and the room's entry point: the record types
 * (records.ts) and the opening checks (open.ts) are re-exported from here. One process (the run
 * manager's) writes; trainers send it batches.
 */
import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { ACTIVE_STATUSES, type TrainerEvent } from '../common/events.ts';
import type { RunStatus } from './schema.ts';
import { decodeF32, decodeI32, encodeF32, encodeI32 } from './blobs.ts';
import { ArchiveError, openDatabase, type OpenOptions } from './open.ts';
import { shapeProblems } from './shape.ts';
import { holdConnection } from './connection.ts';
import type { EvalRow, MetricSeries, NewRun, ProjectionRow, RunDetails, RunFilter, RunOwner, RunRecord, SpectraRow, SweepMemberInput, SweepMembership, SweepRecord } from './records.ts';

export { SCHEMA_VERSION, RUN_STATUSES, type RunStatus } from './schema.ts';
export { FINAL_STATUSES, ACTIVE_STATUSES, RESUMABLE_STATUSES } from '../common/events.ts';
export type { EvalRow, MetricSeries, NewRun, ProjectionRow, RunDetails, RunFilter, RunOwner, RunRecord, SpectraRow, SweepMemberInput, SweepMembership, SweepRecord } from './records.ts';
export { ArchiveError, archiveWritable, integrityCheckFile, QUICK_CHECK_MAX_BYTES, verifyArchiveFile, type ArchiveErrorKind, type OpenOptions } from './open.ts';

/** Opens (creating or migrating as needed) the archive at `file`; see open.ts for the checks. */
export function openArchive(file: string, opts: OpenOptions = {}): Archive {
  const { db, readonly } = openDatabase(file, opts);
  return new Archive(db, file, readonly);
}

type Row = Record<string, unknown>;

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

  /** The connection: private, so every query and write is one of the methods below (merge.ts, in this room, reaches it through connection.ts). */
  readonly #db: Database.Database;

  /** Use `openArchive` (the connection comes configured and migrated from `openDatabase`). */
  constructor(
    db: Database.Database,
    readonly file: string,
    readonly readonly: boolean,
  ) {
    this.#db = db;
    holdConnection(this, db);
  }

  /** Refuses a change to a read-only archive with an error naming the file. */
  private writable(): void {
    if (this.readonly) {
      throw new ArchiveError('readonly', this.file, 'is open read-only (the file or its folder is not writable, or it was opened for reading): browsing works, changes do not; copy it to a writable folder to change it');
    }
  }

  /** Schema version of the open file. */
  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Closes the file (checkpointing the WAL). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#db.close();
  }

  /**
   * Runs `fn` in one transaction and returns its result (a call inside another joins it): a batch of
   * writes commits together, all or nothing, and far faster than one commit per write.
   */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  /**
   * The schema's shape against what its version's migrations create: every table and index with its
   * columns (name, declared type, NOT NULL, primary key). [] when it matches; otherwise one line per
   * difference. integrity_check only proves the b-trees sound: a dropped table or a column
   * added by hand passes it and breaks the lab later.
   */
  schemaProblems(): string[] {
    return shapeProblems(this.#db, this.schemaVersion);
  }

  /**
   * Switches the file to a rollback journal (no WAL): for an archive on a network filesystem that
   * other hosts read (a Slurm sweep's shards), where WAL's shared memory does not work.
   */
  useRollbackJournal(): void {
    this.writable();
    this.#db.pragma('journal_mode = DELETE');
  }

  /** Full `PRAGMA integrity_check`: ['ok'] for a sound file, otherwise the problems found. */
  integrityCheck(): string[] {
    return (this.#db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
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
    const rows = this.#db.prepare(`SELECT uuid FROM runs WHERE uuid IN (${uuids.map(() => '?').join(',')})`).all(...uuids) as { uuid: string }[];
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
    return (this.#db.prepare(`SELECT count(*) AS n FROM runs WHERE status IN (${statuses.map(() => '?').join(',')})`).get(...statuses) as { n: number }).n;
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
    const info = this.#db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE uuid = ?`).run(...params, uuid);
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
      this.#db
        .prepare(
          `UPDATE runs SET status = 'queued', owner_pid = ?, owner_start = ?, pid = NULL, ended_at = NULL, error = NULL, cancel_requested = 0
           WHERE uuid = ? AND status IN (${list.map(() => '?').join(',')}) AND (status <> 'queued' OR owner_pid IS NULL OR (owner_pid = ? AND owner_start IS ?))`,
        )
        .run(owner.pid, owner.start, uuid, ...list, owner.pid, owner.start).changes > 0
    );
  }

  /**
   * Writes what a run recorded elsewhere (an imported run bundle) over its row: times, environment,
   * dataset, progress, summary and error as recorded, and no heartbeat (no trainer of this lab ran it).
   */
  restoreRunDetails(uuid: string, d: RunDetails): void {
    this.writable();
    const info = this.stmt(
      `UPDATE runs SET started_at = ?, ended_at = ?, backend = ?, versions_json = ?, app_version = ?, host_json = ?, dataset_name = ?, dataset_hash = ?,
       dataset_json = ?, total_steps = ?, last_step = ?, summary_json = ?, error = ?, heartbeat_at = NULL WHERE uuid = ?`,
    ).run(
      d.startedAt, d.endedAt, d.backend, d.versions ? JSON.stringify(d.versions) : null, d.appVersion, d.host ? JSON.stringify(d.host) : null,
      d.dataset?.name ?? null, d.dataset?.hash ?? null, d.dataset ? JSON.stringify(d.dataset) : null, d.totalSteps, d.lastStep,
      d.summary ? JSON.stringify(d.summary) : null, d.error, uuid,
    );
    if (info.changes === 0) throw new Error(`archive ${this.file}: no run ${uuid}`);
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
    const rows = this.#db.prepare(`SELECT uuid FROM runs WHERE cancel_requested = 1 AND uuid IN (${uuids.map(() => '?').join(',')})`).all(...uuids) as { uuid: string }[];
    return rows.map((r) => r.uuid);
  }

  /** The uuid of the sweep a run belongs to, if any. */
  sweepOfRun(runUuid: string): string | undefined {
    const row = this.stmt('SELECT s.uuid AS uuid FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id JOIN runs r ON r.id = sr.run_id WHERE r.uuid = ?').get(runUuid) as { uuid: string } | undefined;
    return row?.uuid;
  }

  /**
   * The sweep each run was made by, with its place in the grid: for `runUuids`, else for every run
   * in a sweep (one query, for the runs table). A run several sweeps share (reused by setup hash)
   * is listed under the oldest, the one that trained it, with the later ones in `alsoIn`.
   */
  sweepMemberships(runUuids?: readonly string[]): Map<string, SweepMembership> {
    const sql = `SELECT r.uuid AS run, s.uuid AS sweep, s.name AS name, s.created_at AS created, sr.idx AS idx
      FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id JOIN runs r ON r.id = sr.run_id`;
    const rows = (
      runUuids
        ? runUuids.length
          ? this.#db.prepare(`${sql} WHERE r.uuid IN (${runUuids.map(() => '?').join(',')}) ORDER BY s.created_at, s.id`).all(...runUuids)
          : []
        : this.stmt(`${sql} ORDER BY s.created_at, s.id`).all()
    ) as { run: string; sweep: string; name: string | null; created: number; idx: number }[];
    const out = new Map<string, SweepMembership>();
    for (const r of rows) {
      const first = out.get(r.run);
      if (first) first.alsoIn.push({ sweepId: r.sweep, name: r.name, createdAt: r.created });
      else out.set(r.run, { sweepId: r.sweep, name: r.name, createdAt: r.created, index: r.idx, alsoIn: [] });
    }
    return out;
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
    return this.#db.transaction(() => {
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
    const insProjection = this.stmt(
      'INSERT OR REPLACE INTO projections(run_id, step, epoch, xy, labels, class_names_json, explained1, explained2, total_variance, relative_variance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const finite = (v: number) => (Number.isFinite(v) ? v : null);
    this.#db.transaction(() => {
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
          case 'projection': {
            const n = e.labels.length;
            if (e.x.length !== n || e.y.length !== n) throw new Error(`archive ${this.file}: projection at step ${e.step} has ${e.x.length} x, ${e.y.length} y and ${n} labels; they must match`);
            const xy = new Float64Array(2 * n);
            for (let i = 0; i < n; i++) {
              xy[2 * i] = e.x[i]!;
              xy[2 * i + 1] = e.y[i]!;
            }
            insProjection.run(
              runId, e.step, e.epoch, encodeF32(xy), encodeI32(e.labels), JSON.stringify(e.classNames),
              finite(e.explained[0]), finite(e.explained[1]), finite(e.totalVariance), finite(e.relativeVariance),
            );
            break;
          }
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

  /** Representation pictures of a run, by step (only `steps` when given). */
  getProjections(uuid: string, steps?: readonly number[]): ProjectionRow[] {
    const rows = this.stmt('SELECT * FROM projections WHERE run_id = ? ORDER BY step').all(this.runId(uuid)) as Row[];
    const want = steps ? new Set(steps) : null;
    return rows
      .filter((r) => !want || want.has(r.step as number))
      .map((r) => {
        const xy = decodeF32(r.xy as Buffer);
        const n = xy.length / 2;
        const x = new Array<number>(n);
        const y = new Array<number>(n);
        for (let i = 0; i < n; i++) {
          x[i] = xy[2 * i]!;
          y[i] = xy[2 * i + 1]!;
        }
        return {
          step: r.step as number,
          epoch: r.epoch as number,
          x,
          y,
          labels: decodeI32(r.labels as Buffer),
          classNames: JSON.parse(r.class_names_json as string) as string[],
          explained: [num(r.explained1), num(r.explained2)],
          totalVariance: num(r.total_variance),
          relativeVariance: num(r.relative_variance),
        };
      });
  }

  /** Steps at which a run has a representation picture. */
  projectionSteps(uuid: string): number[] {
    return this.stmt('SELECT step FROM projections WHERE run_id = ? ORDER BY step').pluck().all(this.runId(uuid)) as number[];
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /** Stores a checkpoint blob at `step`, keeping only the newest `keep` of the run. */
  putCheckpoint(uuid: string, step: number, data: Uint8Array, keep = 3): void {
    this.writable();
    const runId = this.runId(uuid);
    this.#db.transaction(() => {
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
    this.#db.transaction(() => {
      for (const t of tags) this.stmt('INSERT OR IGNORE INTO tags(run_id, tag) VALUES (?, ?)').run(runId, t);
    })();
  }

  /** Removes tags from a run. */
  removeTags(uuid: string, tags: string[]): void {
    this.writable();
    const runId = this.runId(uuid);
    this.#db.transaction(() => {
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

  /** Records a sweep and links its member runs (which must already exist; `reused`: one the archive held before, not made for this sweep). */
  createSweep(s: { uuid?: string; name?: string | null; definition: unknown; members: { runUuid: string; idx: number; combo: Record<string, unknown>; reused?: boolean }[] }): string {
    this.writable();
    const uuid = s.uuid ?? randomUUID();
    this.#db.transaction(() => {
      const info = this.stmt('INSERT INTO sweeps(uuid, name, definition_json, created_at) VALUES (?, ?, ?, ?)').run(uuid, s.name ?? null, JSON.stringify(s.definition), Date.now());
      for (const m of s.members) {
        this.stmt('INSERT INTO sweep_runs(sweep_id, run_id, idx, combo_json, reused) VALUES (?, ?, ?, ?, ?)').run(info.lastInsertRowid, this.runId(m.runUuid), m.idx, JSON.stringify(m.combo), m.reused ? 1 : 0);
      }
    })();
    return uuid;
  }

  /**
   * Creates a sweep's member runs and the sweep itself in one transaction: an error halfway leaves
   * neither runs without their sweep nor a sweep without its runs. A member given as `runUuid`
   * links a run the archive already holds (a finished run of the same setup, reused) instead.
   */
  createSweepWithRuns(s: { uuid?: string; name?: string | null; definition: unknown; members: SweepMemberInput[] }): { sweepId: string; runIds: string[] } {
    return this.#db.transaction(() => {
      const runIds = s.members.map((m) => ('runUuid' in m ? m.runUuid : this.createRun(m.run).uuid));
      const sweepId = this.createSweep({ ...(s.uuid ? { uuid: s.uuid } : {}), name: s.name ?? null, definition: s.definition, members: s.members.map((m, i) => ({ runUuid: runIds[i]!, idx: m.idx, combo: m.combo, reused: 'runUuid' in m })) });
      return { sweepId, runIds };
    })();
  }

  /** Adds members to a sweep (a round of added seeds) and replaces its definition, in one transaction; returns the members' run ids. */
  addSweepRuns(uuid: string, definition: unknown, members: SweepMemberInput[]): string[] {
    this.writable();
    return this.#db.transaction(() => {
      const s = this.stmt('SELECT id FROM sweeps WHERE uuid = ?').get(uuid) as { id: number } | undefined;
      if (!s) throw new Error(`archive ${this.file}: no sweep ${uuid}`);
      const runIds = members.map((m) => ('runUuid' in m ? m.runUuid : this.createRun(m.run).uuid));
      members.forEach((m, i) => this.stmt('INSERT OR IGNORE INTO sweep_runs(sweep_id, run_id, idx, combo_json, reused) VALUES (?, ?, ?, ?, ?)').run(s.id, this.runId(runIds[i]!), m.idx, JSON.stringify(m.combo), 'runUuid' in m ? 1 : 0));
      this.stmt('UPDATE sweeps SET definition_json = ? WHERE id = ?').run(JSON.stringify(definition), s.id);
      return runIds;
    })();
  }

  /** A sweep with its members, or undefined. */
  getSweep(uuid: string): SweepRecord | undefined {
    const s = this.stmt('SELECT * FROM sweeps WHERE uuid = ?').get(uuid) as Row | undefined;
    if (!s) return undefined;
    const members = this.stmt('SELECT r.uuid, sr.idx, sr.combo_json, sr.reused FROM sweep_runs sr JOIN runs r ON r.id = sr.run_id WHERE sr.sweep_id = ? ORDER BY sr.idx').all(s.id) as Row[];
    return {
      uuid: s.uuid as string,
      name: (s.name as string | null) ?? null,
      definition: JSON.parse(s.definition_json as string),
      createdAt: s.created_at as number,
      members: members.map((m) => ({ runUuid: m.uuid as string, idx: m.idx as number, combo: JSON.parse(m.combo_json as string), reused: m.reused === 1 })),
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
    this.#db.transaction(() => {
      // Only the runs created for it (still queued): a finished run it reused stays.
      this.stmt("DELETE FROM runs WHERE status = 'queued' AND id IN (SELECT sr.run_id FROM sweep_runs sr JOIN sweeps s ON s.id = sr.sweep_id WHERE s.uuid = ?)").run(uuid);
      this.stmt('DELETE FROM sweeps WHERE uuid = ?').run(uuid);
    })();
  }

  /** Deletes a sweep record (its member runs stay; only the grouping goes). */
  deleteSweep(uuid: string): boolean {
    return this.stmt('DELETE FROM sweeps WHERE uuid = ?').run(uuid).changes > 0;
  }

  /** All sweeps, newest first (without members); `reused`: how many of their runs were finished runs linked instead of trained. */
  listSweeps(): { uuid: string; name: string | null; createdAt: number; runs: number; reused: number }[] {
    return (this.stmt('SELECT s.uuid, s.name, s.created_at, (SELECT count(*) FROM sweep_runs sr WHERE sr.sweep_id = s.id) AS runs, (SELECT count(*) FROM sweep_runs sr WHERE sr.sweep_id = s.id AND sr.reused = 1) AS reused FROM sweeps s ORDER BY s.created_at DESC').all() as Row[]).map((r) => ({
      uuid: r.uuid as string,
      name: (r.name as string | null) ?? null,
      createdAt: r.created_at as number,
      runs: r.runs as number,
      reused: r.reused as number,
    }));
  }

  /** Counts of stored rows, for `dplab archive check`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of ['runs', 'metrics', 'spectra', 'evals', 'projections', 'checkpoints', 'sweeps', 'tags', 'notes']) {
      out[t] = (this.#db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  }
}
