import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openArchive } from '../../src-main/archive/archive.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONNECTION = 'src-main/archive/connection.ts';

/** Files under `roots` (relative to `root`) outside src-main/archive/ that import archive/connection.ts, as "file: specifier". */
function outsideImporters(root: string, roots: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist' && !e.name.startsWith('.')) walk(p);
      } else if (/\.(ts|mts|js|mjs|svelte)$/.test(e.name)) {
        const rel = relative(root, p).split('\\').join('/');
        if (rel.startsWith('src-main/archive/')) continue;
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)) {
          const spec = m[1]!;
          if (!spec.startsWith('.')) continue;
          if (relative(root, resolve(dirname(p), spec)).split('\\').join('/') === CONNECTION) out.push(`${rel}: ${spec}`);
        }
      }
    }
  };
  for (const r of roots) walk(join(root, r));
  return out;
}

test('an open archive lends its SQLite connection to nobody: no field, own or inherited, holds it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-db-private-'));
  try {
    const a = openArchive(join(dir, 'a.sqlite'));
    try {
      assert.equal('db' in a, false);
      const values: unknown[] = [];
      for (let o: object | null = a; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
        for (const k of Reflect.ownKeys(o)) {
          const d = Object.getOwnPropertyDescriptor(o, k)!;
          if ('value' in d) values.push(d.value);
          else if (d.get && o !== a) values.push(d.get.call(a));
        }
      }
      const leaks = values.filter((v) => v instanceof Database);
      assert.equal(leaks.length, 0, 'a property of Archive is the raw better-sqlite3 connection');
      // Batches go through the class instead.
      const n = a.transaction(() => {
        a.createRun({ setup: {}, setupHash: 'h', seed: 1 });
        a.createRun({ setup: {}, setupHash: 'h', seed: 2 });
        return a.countRuns(['queued']);
      });
      assert.equal(n, 2);
    } finally {
      a.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('archive/connection.ts (the merges\' way to the connection) is imported only inside src-main/archive/', () => {
  // The scanner finds a violation where there is one (a fixture tree), then none in the repository.
  const fake = mkdtempSync(join(tmpdir(), 'dplab-db-private-tree-'));
  try {
    mkdirSync(join(fake, 'src-main/archive'), { recursive: true });
    mkdirSync(join(fake, 'src-main/service'), { recursive: true });
    mkdirSync(join(fake, 'test'), { recursive: true });
    writeFileSync(join(fake, CONNECTION), 'export const x = 1;\n');
    writeFileSync(join(fake, 'src-main/archive/merge.ts'), "import { x } from './connection.ts';\n");
    writeFileSync(join(fake, 'src-main/service/sneak.ts'), "import { connectionOf } from '../archive/connection.ts';\n");
    writeFileSync(join(fake, 'test/dyn.test.ts'), "const m = await import('../src-main/archive/connection.ts');\n");
    assert.deepEqual(outsideImporters(fake, ['src-main', 'test']).sort(), ["src-main/service/sneak.ts: ../archive/connection.ts", "test/dyn.test.ts: ../src-main/archive/connection.ts"]);
  } finally {
    rmSync(fake, { recursive: true, force: true });
  }
  assert.deepEqual(outsideImporters(ROOT, ['src-main', 'src-renderer/src', 'test', 'bench', 'scripts']), []);
});
