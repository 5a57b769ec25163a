/**
 * The schema's shape: every table and index of a database with its columns, compared with what the
 * migrations of its version create. integrity_check only proves the b-trees sound; a dropped table or
 * a column added by hand passes it and breaks the lab later.
 */
import Database from 'better-sqlite3';
import { MIGRATIONS } from './schema.ts';

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

/** One line per difference between `db`'s tables and indexes and those of schema `version`; [] when they match. */
export function shapeProblems(db: Database.Database, version: number): string[] {
  return compareShapes(schemaShape(db), expectedShape(version), version);
}
