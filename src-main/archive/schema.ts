/**
 * The archive's schema and its migrations. The file is marked with an SQLite application id so a
 * foreign database is told apart from ours before anything is written; `user_version` holds the
 * schema version, and each entry of MIGRATIONS upgrades one version (run at open, in a transaction).
 */

/** PRAGMA application_id of a lab archive: the bytes 'DPLA'. */
export const APPLICATION_ID = 0x44504c41;

/** One migration: SQL that takes the schema from version i to i+1 (i = index in MIGRATIONS). */
export interface Migration {
  description: string;
  sql: string;
}

/** Ordered migrations; the schema version of a fully migrated archive is MIGRATIONS.length. */
export const MIGRATIONS: Migration[] = [
  {
    description: 'runs, metrics, spectra, evaluations, checkpoints, sweeps, tags and notes',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT,
  setup_json TEXT NOT NULL,
  setup_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed','diverged','cancelled','interrupted')),
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  heartbeat_at INTEGER,
  pid INTEGER,
  owner_pid INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  backend TEXT,
  versions_json TEXT,
  app_version TEXT,
  host_json TEXT,
  seed INTEGER NOT NULL,
  dataset_name TEXT,
  dataset_hash TEXT,
  dataset_json TEXT,
  total_steps INTEGER,
  last_step INTEGER,
  summary_json TEXT,
  error TEXT
);
CREATE INDEX runs_status ON runs(status);
CREATE INDEX runs_created ON runs(created_at);
CREATE INDEX runs_setup_hash ON runs(setup_hash);
CREATE TABLE metric_names (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name_id INTEGER NOT NULL REFERENCES metric_names(id),
  step INTEGER NOT NULL,
  epoch REAL NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, name_id, step)
) WITHOUT ROWID;
CREATE TABLE spectra (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  epoch REAL NOT NULL,
  f_eig BLOB NOT NULL,
  wp_eig BLOB NOT NULL,
  alignment BLOB NOT NULL,
  asymmetry REAL,
  PRIMARY KEY (run_id, step)
);
CREATE TABLE evals (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  epoch REAL NOT NULL,
  probe_acc REAL,
  knn_acc REAL,
  probe_train_acc REAL,
  PRIMARY KEY (run_id, step)
);
CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (run_id, step)
);
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT,
  definition_json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE sweep_runs (
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  combo_json TEXT NOT NULL,
  PRIMARY KEY (sweep_id, run_id)
);
CREATE INDEX sweep_runs_run ON sweep_runs(run_id);
CREATE TABLE tags (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
);
CREATE INDEX tags_tag ON tags(tag);
CREATE TABLE notes (
  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  markdown TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`,
  },
  {
    description: "runs.owner_start: the owner process's start time, so a reused pid is not taken for a live owner",
    sql: `ALTER TABLE runs ADD COLUMN owner_start INTEGER;`,
  },
  {
    description: 'projections: the representation picture of each evaluation (features of the evaluation images on their two leading principal components)',
    sql: `
CREATE TABLE projections (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  epoch REAL NOT NULL,
  xy BLOB NOT NULL,
  labels BLOB NOT NULL,
  class_names_json TEXT NOT NULL,
  explained1 REAL,
  explained2 REAL,
  total_variance REAL,
  relative_variance REAL,
  PRIMARY KEY (run_id, step)
);`,
  },
  {
    description: 'sweep_runs.reused: 1 where the sweep linked a finished run the archive already held (same setup hash) instead of creating one to train, so a sweep says how many it reused after the fact (archives before this version read 0)',
    sql: `ALTER TABLE sweep_runs ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;`,
  },
];

/** Schema version this build writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export { RUN_STATUSES, type RunStatus } from '../common/events.ts';
