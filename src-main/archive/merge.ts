/**
 * Merging another archive into this one, keyed by run uuid (and sweep uuid): runs already present are
 * skipped whole, so importing the same file twice adds nothing. The source is checked like any
 * archive (foreign, newer or damaged files are refused) and only read.
 */
import { lstatSync } from 'node:fs';
import { type Archive, openArchive } from './archive.ts';
import { connectionOf } from './connection.ts';
import { parseSetup } from '../common/setup.ts';
import { setupHashes } from '../common/hash.ts';

/** What an import added. */
export interface ImportResult {
  runsAdded: number;
  runsSkipped: number;
  sweepsAdded: number;
}

const RUN_COLUMNS =
  'uuid, name, setup_json, setup_hash, status, created_at, started_at, ended_at, heartbeat_at, pid, owner_pid, cancel_requested, backend, versions_json, app_version, host_json, seed, dataset_name, dataset_hash, dataset_json, total_steps, last_step, summary_json, error';

/**
 * A sweep definition as it enters from another archive: its executor record (a cluster folder, a job
 * id) is marked `imported`, so this lab never follows a folder or job that another archive named;
 * it follows only what it recorded itself when it started the sweep. Parsed and rewritten whole (a
 * duplicate key would otherwise hide a second executor block from SQL's json_set).
 */
function importedDefinition(json: string): string {
  let def: unknown;
  try {
    def = JSON.parse(json);
  } catch {
    return json;
  }
  if (!def || typeof def !== 'object' || Array.isArray(def) || !Object.prototype.hasOwnProperty.call(def, 'executor')) return JSON.stringify(def);
  const e = (def as { executor: unknown }).executor;
  return JSON.stringify({ ...def, executor: e && typeof e === 'object' && !Array.isArray(e) ? { ...e, imported: true } : { kind: 'local', imported: true } });
}

/** Options of an archive import. */
export interface ImportOptions {
  /**
   * Longest a write transaction should hold the archive, in ms (default 100): runs are copied in
   * batches sized to take about this long, so other writers of the archive (the run manager
   * recording a training) wait at most about one batch, never the whole import.
   */
  batchMs?: number;
}

/**
 * Copies every run and sweep of the archive at `otherFile` that `target` lacks. Sweeps go first,
 * then the runs in short transactions of whole runs (each with its metrics, spectra, evaluations,
 * projections, checkpoints, tags and note), then every sweep link whose run and sweep are both here: an import
 * stopped part way (cancelled, timed out) keeps whole runs only, and importing again adds the rest.
 */
export function importArchive(target: Archive, otherFile: string, opts: ImportOptions = {}): ImportResult {
  // Verifies the source (throws ArchiveError for foreign/newer/damaged/older files) before attaching it.
  openArchive(otherFile, { readonly: true, create: false }).close();
  if (target.readonly) throw new Error(`${target.file} is open read-only; cannot import into it`);
  const budget = opts.batchMs ?? 100;
  const db = connectionOf(target);
  // Attached by plain path (this SQLite build has URI names off); the statements below only read it.
  db.prepare('ATTACH DATABASE ? AS src').run(otherFile);
  try {
    const total = (db.prepare('SELECT count(*) AS n FROM src.runs').get() as { n: number }).n;
    const sweepsAdded = db.transaction((): number => {
      db.exec(`
        DROP TABLE IF EXISTS temp.run_map; DROP TABLE IF EXISTS temp.name_map;
        CREATE TEMP TABLE run_map (src_id INTEGER PRIMARY KEY, dst_id INTEGER);
        INSERT INTO main.metric_names(name) SELECT name FROM src.metric_names WHERE name NOT IN (SELECT name FROM main.metric_names);
        CREATE TEMP TABLE name_map AS SELECT s.id AS src_id, d.id AS dst_id FROM src.metric_names s JOIN main.metric_names d ON d.name = s.name;
      `);
      const newSweeps = db.prepare('SELECT uuid, name, definition_json, created_at FROM src.sweeps WHERE uuid NOT IN (SELECT uuid FROM main.sweeps) ORDER BY id').all() as { uuid: string; name: string | null; definition_json: string; created_at: number }[];
      const insSweep = db.prepare('INSERT INTO main.sweeps(uuid, name, definition_json, created_at) VALUES (?, ?, ?, ?)');
      for (const s of newSweeps) insSweep.run(s.uuid, s.name, importedDefinition(s.definition_json), s.created_at);
      return newSweeps.length;
    })();
    const pending = (db.prepare('SELECT id FROM src.runs WHERE uuid NOT IN (SELECT uuid FROM main.runs) ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    // Owner and trainer pids name processes of the machine the source was written on: not carried over.
    // A run another writer added since the list was read is skipped, not duplicated.
    const ins = db.prepare(
      `INSERT INTO main.runs (${RUN_COLUMNS}) SELECT ${RUN_COLUMNS.replace(/\b(pid|owner_pid)\b/g, 'NULL')} FROM src.runs WHERE id = ? AND uuid NOT IN (SELECT uuid FROM main.runs)`,
    );
    const map = db.prepare('INSERT INTO temp.run_map(src_id, dst_id) VALUES (?, ?)');
    // CROSS JOIN keeps the batch's few runs as the outer loop (the planner would otherwise scan the
    // source's whole metrics table once per batch: the rows per run come by its primary key).
    const copyBatch = db.transaction((ids: number[]): number => {
      db.exec('DELETE FROM temp.run_map');
      let n = 0;
      for (const id of ids) {
        const r = ins.run(id);
        if (r.changes) {
          map.run(id, r.lastInsertRowid);
          n++;
        }
      }
      db.exec(`
        INSERT INTO main.metrics(run_id, name_id, step, epoch, value)
          SELECT rm.dst_id, nm.dst_id, m.step, m.epoch, m.value FROM temp.run_map rm CROSS JOIN src.metrics m ON m.run_id = rm.src_id JOIN temp.name_map nm ON nm.src_id = m.name_id;
        INSERT INTO main.spectra(run_id, step, epoch, f_eig, wp_eig, alignment, asymmetry)
          SELECT rm.dst_id, s.step, s.epoch, s.f_eig, s.wp_eig, s.alignment, s.asymmetry FROM temp.run_map rm CROSS JOIN src.spectra s ON s.run_id = rm.src_id;
        INSERT INTO main.evals(run_id, step, epoch, probe_acc, knn_acc, probe_train_acc)
          SELECT rm.dst_id, e.step, e.epoch, e.probe_acc, e.knn_acc, e.probe_train_acc FROM temp.run_map rm CROSS JOIN src.evals e ON e.run_id = rm.src_id;
        INSERT INTO main.projections(run_id, step, epoch, xy, labels, class_names_json, explained1, explained2, total_variance, relative_variance)
          SELECT rm.dst_id, p.step, p.epoch, p.xy, p.labels, p.class_names_json, p.explained1, p.explained2, p.total_variance, p.relative_variance FROM temp.run_map rm CROSS JOIN src.projections p ON p.run_id = rm.src_id;
        INSERT INTO main.checkpoints(run_id, step, created_at, size, data)
          SELECT rm.dst_id, c.step, c.created_at, c.size, c.data FROM temp.run_map rm CROSS JOIN src.checkpoints c ON c.run_id = rm.src_id;
        INSERT INTO main.tags(run_id, tag) SELECT rm.dst_id, t.tag FROM temp.run_map rm CROSS JOIN src.tags t ON t.run_id = rm.src_id;
        INSERT INTO main.notes(run_id, markdown, updated_at) SELECT rm.dst_id, n.markdown, n.updated_at FROM temp.run_map rm CROSS JOIN src.notes n ON n.run_id = rm.src_id;
      `);
      return n;
    });
    let runsAdded = 0;
    // Batch size adapts to the runs' size (a run with checkpoints is far bigger than one without).
    let size = 8;
    for (let i = 0; i < pending.length; ) {
      const t0 = performance.now();
      runsAdded += copyBatch(pending.slice(i, i + size));
      i += size;
      const ms = performance.now() - t0;
      if (ms < budget / 2) size = Math.min(size * 2, 4096);
      else if (ms > budget * 2) size = Math.max(1, size >> 1);
    }
    // Membership is keyed by (sweep uuid, run uuid), so links of runs added now join sweeps old or new.
    db.transaction(() =>
      db.exec(`
        INSERT OR IGNORE INTO main.sweep_runs(sweep_id, run_id, idx, combo_json, reused)
          SELECT ds.id, dr.id, sr.idx, sr.combo_json, sr.reused FROM src.sweep_runs sr
            JOIN src.sweeps ss ON ss.id = sr.sweep_id JOIN main.sweeps ds ON ds.uuid = ss.uuid
            JOIN src.runs rs ON rs.id = sr.run_id JOIN main.runs dr ON dr.uuid = rs.uuid;
        DROP TABLE temp.run_map; DROP TABLE temp.name_map;
      `),
    )();
    return { runsAdded, runsSkipped: total - runsAdded, sweepsAdded };
  } finally {
    db.exec('DETACH DATABASE src');
  }
}

/** What merging one shard did: its member run was added (or replaced its placeholder), was already there, or is not finished. */
export type ShardMerge = 'added' | 'present' | 'unfinished';

/** A shard refused: it does not hold what the sweep's record says its member is, or sits where no shard may. */
export class ShardRefused extends Error {
  override name = 'ShardRefused';
}

/**
 * Member `idx` of a cluster sweep as the lab recorded it (the sweep folder's manifest and setup file),
 * the only thing a shard may bring. `sweep` creates the sweep when the archive lacks it (a folder
 * merged on another machine after rsync).
 */
export interface ShardMember {
  sweepUuid: string;
  idx: number;
  runUuid: string;
  setupHash: string;
  combo: Record<string, unknown>;
  sweep: { name: string | null; definition: unknown; createdAt: number };
}

const FINAL = "('completed','failed','diverged','cancelled','interrupted')";
const isFinal = (status: string) => FINAL.includes(`'${status}'`);

/** The sweep's recorded executor kind ('local' when none): only a cluster sweep's members come from shards. */
function executorKind(definitionJson: string): string {
  try {
    const e = (JSON.parse(definitionJson) as { executor?: { kind?: unknown } } | null)?.executor;
    return e && typeof e === 'object' && typeof e.kind === 'string' ? e.kind : 'local';
  } catch {
    return 'local';
  }
}

/**
 * Merges the shard of one member of a cluster sweep (the archive its task wrote) once that member's
 * run is final. Nothing in the shard is trusted: only the run with the member's uuid AND setup hash is
 * read, with its metrics, spectra, evals, projections, checkpoints, tags and note; other runs and every sweep link
 * of the shard are ignored, and the run is linked into the recorded sweep at the recorded index.
 * A row of the archive is replaced only when it is that member's own placeholder (same uuid, linked
 * to that sweep at that index, same setup hash, and either not final or never trained: no backend,
 * no metrics, no checkpoint), in the same transaction as the insert; a trained run stays as it is,
 * so merging the same shard twice adds nothing. Throws ShardRefused naming what did not match.
 */
export function mergeShard(target: Archive, shardFile: string, member: ShardMember): { result: ShardMerge; runUuid: string; ignoredRuns: number } {
  const where = `shard ${shardFile} (member ${member.idx} of sweep ${member.sweepUuid})`;
  const st = lstatSync(shardFile, { throwIfNoEntry: false });
  if (!st) throw new ShardRefused(`${where}: no such file`);
  if (!st.isFile()) throw new ShardRefused(`${where}: not a regular file${st.isSymbolicLink() ? ' (a symbolic link)' : ''}`);
  if (target.readonly) throw new Error(`${target.file} is open read-only; cannot merge into it`);
  const shard = openArchive(shardFile, { readonly: true, create: false });
  let run: { uuid: string; status: string; last_step: number | null; setup_hash: string; setup_json: string } | undefined;
  let total: number;
  try {
    const sdb = connectionOf(shard);
    total = (sdb.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
    run = sdb.prepare('SELECT uuid, status, last_step, setup_hash, setup_json FROM runs WHERE uuid = ?').get(member.runUuid) as typeof run;
  } finally {
    shard.close();
  }
  const ignoredRuns = total - (run ? 1 : 0);
  if (!run) {
    // A task creates its run first thing: an empty shard is one that has not got that far.
    if (total === 0) return { result: 'unfinished', runUuid: member.runUuid, ignoredRuns };
    throw new ShardRefused(`${where}: holds ${total} run(s) but not the member's run ${member.runUuid}`);
  }
  if (run.setup_hash !== member.setupHash) throw new ShardRefused(`${where}: run ${run.uuid} has setup hash ${run.setup_hash}, the sweep recorded ${member.setupHash}`);
  let hashes: string[];
  try {
    hashes = setupHashes(parseSetup(JSON.parse(run.setup_json), { stored: true }));
  } catch (e) {
    throw new ShardRefused(`${where}: run ${run.uuid} has an unreadable setup: ${(e as Error).message}`);
  }
  if (!hashes.includes(member.setupHash)) throw new ShardRefused(`${where}: run ${run.uuid}'s setup does not hash to its recorded setup hash ${member.setupHash}`);
  if (!isFinal(run.status)) return { result: 'unfinished', runUuid: run.uuid, ignoredRuns };

  const db = connectionOf(target);
  const sweep = db.prepare('SELECT id, definition_json FROM sweeps WHERE uuid = ?').get(member.sweepUuid) as { id: number; definition_json: string } | undefined;
  if (sweep && executorKind(sweep.definition_json) === 'local') throw new ShardRefused(`${where}: sweep ${member.sweepUuid} in ${target.file} is not a cluster sweep; its runs never come from shards`);
  const atIdx = sweep
    ? (db.prepare('SELECT r.uuid FROM sweep_runs sr JOIN runs r ON r.id = sr.run_id WHERE sr.sweep_id = ? AND sr.idx = ?').get(sweep.id, member.idx) as { uuid: string } | undefined)
    : undefined;
  if (atIdx && atIdx.uuid !== member.runUuid) throw new ShardRefused(`${where}: member ${member.idx} of the sweep in ${target.file} is run ${atIdx.uuid}, not ${member.runUuid}`);
  const mine = db
    .prepare(
      `SELECT id, status, backend, setup_hash, EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = runs.id) AS has,
         EXISTS (SELECT 1 FROM checkpoints c WHERE c.run_id = runs.id) AS ckpt FROM runs WHERE uuid = ?`,
    )
    .get(member.runUuid) as { id: number; status: string; backend: string | null; setup_hash: string; has: number; ckpt: number } | undefined;
  if (mine) {
    if (!atIdx) throw new ShardRefused(`${where}: run ${member.runUuid} is in ${target.file} but not as member ${member.idx} of that sweep; it is left alone`);
    if (mine.setup_hash !== member.setupHash) throw new ShardRefused(`${where}: run ${member.runUuid} in ${target.file} has setup hash ${mine.setup_hash}, not ${member.setupHash}`);
    const placeholder = mine.backend === null && !mine.has && !mine.ckpt;
    // Already merged (a trained run, or a final one that has no more data in the shard either).
    if (!placeholder || (isFinal(mine.status) && run.last_step === null)) return { result: 'present', runUuid: run.uuid, ignoredRuns };
  }
  // SQLite cannot ATTACH inside a transaction: attach first, then swap placeholder for run in one.
  db.prepare('ATTACH DATABASE ? AS src').run(shardFile);
  try {
    db.transaction(() => {
      let sweepId = sweep?.id;
      if (sweepId === undefined) {
        sweepId = Number(
          db.prepare('INSERT INTO main.sweeps(uuid, name, definition_json, created_at) VALUES (?, ?, ?, ?)').run(member.sweepUuid, member.sweep.name, JSON.stringify(member.sweep.definition), member.sweep.createdAt).lastInsertRowid,
        );
      }
      const combo = mine
        ? (db.prepare('SELECT combo_json FROM main.sweep_runs WHERE run_id = ?').get(mine.id) as { combo_json: string }).combo_json
        : JSON.stringify(member.combo);
      if (mine) db.prepare('DELETE FROM main.runs WHERE id = ?').run(mine.id); // its link and any rows go with it (cascade)
      const srcId = (db.prepare('SELECT id FROM src.runs WHERE uuid = ?').get(member.runUuid) as { id: number }).id;
      // Owner and trainer pids name processes of the node the task ran on: not carried over.
      const dst = Number(db.prepare(`INSERT INTO main.runs (${RUN_COLUMNS}) SELECT ${RUN_COLUMNS.replace(/\b(pid|owner_pid)\b/g, 'NULL')} FROM src.runs WHERE id = ?`).run(srcId).lastInsertRowid);
      db.prepare('INSERT INTO main.metric_names(name) SELECT DISTINCT n.name FROM src.metric_names n JOIN src.metrics m ON m.name_id = n.id WHERE m.run_id = ? AND n.name NOT IN (SELECT name FROM main.metric_names)').run(srcId);
      db.prepare('INSERT INTO main.metrics(run_id, name_id, step, epoch, value) SELECT ?, d.id, m.step, m.epoch, m.value FROM src.metrics m JOIN src.metric_names s ON s.id = m.name_id JOIN main.metric_names d ON d.name = s.name WHERE m.run_id = ?').run(dst, srcId);
      db.prepare('INSERT INTO main.spectra(run_id, step, epoch, f_eig, wp_eig, alignment, asymmetry) SELECT ?, step, epoch, f_eig, wp_eig, alignment, asymmetry FROM src.spectra WHERE run_id = ?').run(dst, srcId);
      db.prepare('INSERT INTO main.evals(run_id, step, epoch, probe_acc, knn_acc, probe_train_acc) SELECT ?, step, epoch, probe_acc, knn_acc, probe_train_acc FROM src.evals WHERE run_id = ?').run(dst, srcId);
      db.prepare(
        'INSERT INTO main.projections(run_id, step, epoch, xy, labels, class_names_json, explained1, explained2, total_variance, relative_variance) SELECT ?, step, epoch, xy, labels, class_names_json, explained1, explained2, total_variance, relative_variance FROM src.projections WHERE run_id = ?',
      ).run(dst, srcId);
      db.prepare('INSERT INTO main.checkpoints(run_id, step, created_at, size, data) SELECT ?, step, created_at, size, data FROM src.checkpoints WHERE run_id = ?').run(dst, srcId);
      db.prepare('INSERT INTO main.tags(run_id, tag) SELECT ?, tag FROM src.tags WHERE run_id = ?').run(dst, srcId);
      db.prepare('INSERT INTO main.notes(run_id, markdown, updated_at) SELECT ?, markdown, updated_at FROM src.notes WHERE run_id = ?').run(dst, srcId);
      db.prepare('INSERT INTO main.sweep_runs(sweep_id, run_id, idx, combo_json) VALUES (?, ?, ?, ?)').run(sweepId, dst, member.idx, combo);
    })();
  } finally {
    db.exec('DETACH DATABASE src');
  }
  return { result: 'added', runUuid: run.uuid, ignoredRuns };
}
