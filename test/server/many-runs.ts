/**
 * A large archive built in seconds: the lab's own schema (openArchive creates it), then runs,
 * metric rows and tags written by direct SQLite inserts in one transaction, as a cluster's worth
 * of finished runs would leave it. For the tests that need thousands of runs (exports, imports,
 * integrity checks), where recording them through the archive API would take minutes.
 */
import Database from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import { openArchive } from '../../src-main/archive/archive.ts';
import { exportChunks } from '../../src-main/archive/export.ts';

/** Fills `file` (created when missing) with `runs` completed runs of `steps` steps of loss and lr each; returns their uuids in order. */
export function fillManyRuns(file: string, runs: number, steps: number): string[] {
  openArchive(file).close();
  const db = new Database(file);
  const uuids: string[] = [];
  try {
    db.pragma('synchronous = OFF');
    db.transaction(() => {
      const names = ['loss', 'lr'].map((n) => {
        db.prepare('INSERT OR IGNORE INTO metric_names(name) VALUES (?)').run(n);
        return (db.prepare('SELECT id FROM metric_names WHERE name = ?').get(n) as { id: number }).id;
      });
      const run = db.prepare(
        `INSERT INTO runs (uuid, name, setup_json, setup_hash, status, created_at, started_at, ended_at, seed, total_steps, last_step, summary_json)
         VALUES (?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?)`,
      );
      const metric = db.prepare('INSERT INTO metrics(run_id, name_id, step, epoch, value) VALUES (?, ?, ?, 0, ?)');
      const tag = db.prepare('INSERT INTO tags(run_id, tag) VALUES (?, ?)');
      const t0 = Date.UTC(2026, 0, 1);
      for (let k = 0; k < runs; k++) {
        const uuid = randomUUID();
        uuids.push(uuid);
        const summary = JSON.stringify({ finalLoss: 1 / (steps + k), collapseStd: 0.5, steps });
        const id = run.run(uuid, `run ${k}`, JSON.stringify({ seed: k, optim: { lr: 0.03 } }), `h${k % 97}`, t0 + k, t0 + k, t0 + k + 1000, k, steps, steps, summary).lastInsertRowid;
        for (let s = 1; s <= steps; s++) {
          metric.run(id, names[0], s, 1 / (s + k) + Math.sin(s * k) * 1e-7);
          metric.run(id, names[1], s, 0.03 + s * 1e-9);
        }
        tag.run(id, `batch-${k % 10}`);
      }
    })();
  } finally {
    db.close();
  }
  return uuids;
}

/** The archive's own JSON export of `uuids` as a SHA-256 (hex) and a byte count, without keeping it. */
export function exportDigest(file: string, uuids: readonly string[]): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const a = openArchive(file, { readonly: true });
  try {
    for (const c of exportChunks(a, [...uuids], 'json')) {
      const b = Buffer.from(c, 'utf8');
      hash.update(b);
      bytes += b.length;
    }
  } finally {
    a.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}
