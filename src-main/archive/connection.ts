/**
 * The raw SQLite connection behind an open Archive, for this room's merges only: importArchive and
 * mergeShard (merge.ts) ATTACH another archive file and copy rows between the two in SQL, which no
 * narrow method of the class can say. Nothing outside src-main/archive/ imports this file
 * (test/archive/db-private.test.ts holds that): everywhere else the class's methods are the way in.
 */
import type Database from 'better-sqlite3';

const connections = new WeakMap<object, Database.Database>();

/** Records `db` as the connection of `archive` (the Archive constructor calls this). */
export function holdConnection(archive: object, db: Database.Database): void {
  connections.set(archive, db);
}

/** The connection of an Archive, for SQL across two attached files. */
export function connectionOf(archive: object): Database.Database {
  const db = connections.get(archive);
  if (!db) throw new Error('not an Archive made by openArchive: it has no connection');
  return db;
}
