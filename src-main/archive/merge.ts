/**
 * Merging another archive into this one, keyed by run uuid (and sweep uuid): runs already present are
 * skipped whole, so importing the same file twice adds nothing. The source is checked like any
 * archive (foreign, newer or damaged files are refused) and only read.
 */
import { type Archive, openArchive } from './archive.ts';

/** What an import added. */
export interface ImportResult {
  runsAdded: number;
  runsSkipped: number;
  sweepsAdded: number;
}

const RUN_COLUMNS =
  'uuid, name, setup_json, setup_hash, status, created_at, started_at, ended_at, heartbeat_at, pid, owner_pid, cancel_requested, backend, versions_json, app_version, host_json, seed, dataset_name, dataset_hash, dataset_json, total_steps, last_step, summary_json, error';

/** Copies every run and sweep of the archive at `otherFile` that `target` lacks. */
export function importArchive(target: Archive, otherFile: string): ImportResult {
  // Verifies the source (throws ArchiveError for foreign/newer/damaged/older files) before attaching it.
  openArchive(otherFile, { readonly: true, create: false }).close();
  if (target.readonly) throw new Error(`${target.file} is open read-only; cannot import into it`);
  const db = target.db;
  // Attached by plain path (this SQLite build has URI names off); the statements below only read it.
  db.prepare('ATTACH DATABASE ? AS src').run(otherFile);
  try {
    return db.transaction((): ImportResult => {
      const total = (db.prepare('SELECT count(*) AS n FROM src.runs').get() as { n: number }).n;
      db.exec(`
        DROP TABLE IF EXISTS temp.run_map; DROP TABLE IF EXISTS temp.name_map;
        CREATE TEMP TABLE run_map (src_id INTEGER PRIMARY KEY, dst_id INTEGER);
        INSERT INTO main.metric_names(name) SELECT name FROM src.metric_names WHERE name NOT IN (SELECT name FROM main.metric_names);
        CREATE TEMP TABLE name_map AS SELECT s.id AS src_id, d.id AS dst_id FROM src.metric_names s JOIN main.metric_names d ON d.name = s.name;
      `);
      const newRuns = db.prepare('SELECT id, uuid FROM src.runs WHERE uuid NOT IN (SELECT uuid FROM main.runs) ORDER BY id').all() as { id: number; uuid: string }[];
      // Owner and trainer pids name processes of the machine the source was written on: not carried over.
      const ins = db.prepare(`INSERT INTO main.runs (${RUN_COLUMNS}) SELECT ${RUN_COLUMNS.replace(/\b(pid|owner_pid)\b/g, 'NULL')} FROM src.runs WHERE id = ?`);
      const map = db.prepare('INSERT INTO temp.run_map(src_id, dst_id) VALUES (?, ?)');
      for (const r of newRuns) map.run(r.id, ins.run(r.id).lastInsertRowid);
      db.exec(`
        INSERT INTO main.metrics(run_id, name_id, step, epoch, value)
          SELECT rm.dst_id, nm.dst_id, m.step, m.epoch, m.value FROM src.metrics m JOIN temp.run_map rm ON rm.src_id = m.run_id JOIN temp.name_map nm ON nm.src_id = m.name_id;
        INSERT INTO main.spectra(run_id, step, epoch, f_eig, wp_eig, alignment, asymmetry)
          SELECT rm.dst_id, s.step, s.epoch, s.f_eig, s.wp_eig, s.alignment, s.asymmetry FROM src.spectra s JOIN temp.run_map rm ON rm.src_id = s.run_id;
        INSERT INTO main.evals(run_id, step, epoch, probe_acc, knn_acc, probe_train_acc)
          SELECT rm.dst_id, e.step, e.epoch, e.probe_acc, e.knn_acc, e.probe_train_acc FROM src.evals e JOIN temp.run_map rm ON rm.src_id = e.run_id;
        INSERT INTO main.checkpoints(run_id, step, created_at, size, data)
          SELECT rm.dst_id, c.step, c.created_at, c.size, c.data FROM src.checkpoints c JOIN temp.run_map rm ON rm.src_id = c.run_id;
        INSERT INTO main.tags(run_id, tag) SELECT rm.dst_id, t.tag FROM src.tags t JOIN temp.run_map rm ON rm.src_id = t.run_id;
        INSERT INTO main.notes(run_id, markdown, updated_at) SELECT rm.dst_id, n.markdown, n.updated_at FROM src.notes n JOIN temp.run_map rm ON rm.src_id = n.run_id;
      `);
      const sweepsAdded = db
        .prepare('INSERT INTO main.sweeps(uuid, name, definition_json, created_at) SELECT uuid, name, definition_json, created_at FROM src.sweeps WHERE uuid NOT IN (SELECT uuid FROM main.sweeps)')
        .run().changes;
      // Membership is keyed by (sweep uuid, run uuid), so links of runs added now join sweeps old or new.
      db.exec(`
        INSERT OR IGNORE INTO main.sweep_runs(sweep_id, run_id, idx, combo_json)
          SELECT ds.id, dr.id, sr.idx, sr.combo_json FROM src.sweep_runs sr
            JOIN src.sweeps ss ON ss.id = sr.sweep_id JOIN main.sweeps ds ON ds.uuid = ss.uuid
            JOIN src.runs rs ON rs.id = sr.run_id JOIN main.runs dr ON dr.uuid = rs.uuid;
        DROP TABLE temp.run_map; DROP TABLE temp.name_map;
      `);
      return { runsAdded: newRuns.length, runsSkipped: total - newRuns.length, sweepsAdded };
    })();
  } finally {
    db.exec('DETACH DATABASE src');
  }
}

/** What merging one shard did: the run was added (or replaced its placeholder), already there, or not finished. */
export type ShardMerge = 'added' | 'present' | 'unfinished';

const FINAL = "('completed','failed','diverged','cancelled','interrupted')";

/**
 * Merges a sweep shard (an archive written by one task of a cluster sweep, holding one run and its
 * sweep link) once its run is final. The lab keeps a placeholder row for each member while the task
 * runs (queued/running, no metrics of its own): that row is replaced by the shard's run. A run already
 * merged (final, with metrics) is left alone, so merging the same shard twice adds nothing.
 */
export function mergeShard(target: Archive, shardFile: string): { result: ShardMerge; runUuid: string | null } {
  const shard = openArchive(shardFile, { readonly: true, create: false });
  let run: { uuid: string; status: string; last_step: number | null } | undefined;
  try {
    run = shard.db.prepare('SELECT uuid, status, last_step FROM runs ORDER BY id LIMIT 1').get() as typeof run;
  } finally {
    shard.close();
  }
  if (!run) return { result: 'unfinished', runUuid: null };
  if (!FINAL.includes(`'${run.status}'`)) return { result: 'unfinished', runUuid: run.uuid };
  const db = target.db;
  const mine = db.prepare(`SELECT id, status IN ${FINAL} AS final, EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = runs.id) AS has FROM runs WHERE uuid = ?`).get(run.uuid) as
    | { id: number; final: number; has: number }
    | undefined;
  // Already merged: final and with data, or final without data in the shard either (a member that failed at start).
  if (mine && mine.final && (mine.has || run.last_step === null)) return { result: 'present', runUuid: run.uuid };
  // The placeholder goes (its sweep link with it, by cascade); SQLite cannot ATTACH inside a
  // transaction, so a failure in between leaves the member absent, and the next merge adds it.
  if (mine) db.prepare('DELETE FROM runs WHERE id = ?').run(mine.id);
  importArchive(target, shardFile);
  return { result: 'added', runUuid: run.uuid };
}
