/**
 * Read-only and damaged archives (issue 15, item 8): an archive whose file and folder are not
 * writable (chmod a-w; the permission bits count even for root, who passes every access check) is
 * browsed read-only through the real CLI and the service, with no WAL side files created, and a
 * change is refused naming the file; a damaged archive is refused naming the file and leaves no
 * -wal/-shm; `dplab archive check` finds a schema of the wrong shape (a table dropped, a column
 * added) that integrity_check passes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ArchiveError, archiveWritable, openArchive } from '../../src-main/archive/archive.ts';
import { LabService } from '../../src-main/service/service.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'dplab-ro-'));
after(() => {
  for (const d of readdirSync(base)) chmodSync(join(base, d), 0o755);
  rmSync(base, { recursive: true, force: true });
});

function dplab(...args: string[]) {
  return spawnSync(process.execPath, ['bin/dplab.mjs', ...args], { cwd: ROOT, encoding: 'utf8' });
}

/** A folder holding one archive with `runs` runs, closed cleanly (no side files). */
function archiveWithRuns(name: string, runs: number): { folder: string; file: string; uuids: string[] } {
  const folder = join(base, name);
  mkdirSync(folder);
  const file = join(folder, 'a.sqlite');
  const a = openArchive(file);
  const uuids: string[] = [];
  for (let k = 0; k < runs; k++) {
    const r = a.createRun({ name: `r${k}`, setup: { seed: k }, setupHash: `h${k}`, seed: k, status: 'completed' });
    a.appendEvents(r.uuid, Array.from({ length: 50 }, (_, s) => ({ type: 'scalars' as const, step: s + 1, epoch: 0, values: { loss: 1 / (s + 1 + k) } })));
    uuids.push(r.uuid);
  }
  a.close();
  assert.deepEqual(readdirSync(folder), ['a.sqlite']);
  return { folder, file, uuids };
}

test('an archive on a read-only folder is browsed read-only, with no side files; changes name the file', async () => {
  const { folder, file, uuids } = archiveWithRuns('ro', 3);
  chmodSync(file, 0o444);
  chmodSync(folder, 0o555);
  try {
    assert.equal(archiveWritable(file), false);
    const list = dplab('runs', 'list', '--archive', file, '--json');
    assert.equal(list.status, 0, list.stderr);
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 3);
    const show = dplab('runs', 'show', uuids[1]!, '--archive', file);
    assert.equal(show.status, 0, show.stderr);
    assert.deepEqual(readdirSync(folder), ['a.sqlite'], 'browsing created no -wal/-shm');

    const tag = dplab('runs', 'tag', uuids[0]!, 'x', '--archive', file);
    assert.equal(tag.status, 1);
    assert.match(tag.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}: is open read-only`));

    const service = new LabService({ archivePath: file, transport: 'http' });
    try {
      const runs = await service.handle('runs.list', {});
      assert.equal(runs.ok, true);
      const metrics = await service.handle('runs.metrics', { runId: uuids[2]! });
      assert.equal(metrics.ok, true);
      const r = await service.handle('runs.note', { runId: uuids[0]!, markdown: 'hello' });
      assert.equal(r.ok, false);
      assert.match((r as { error: { message: string } }).error.message, /a\.sqlite: is open read-only/);
    } finally {
      await service.close();
    }
    assert.deepEqual(readdirSync(folder), ['a.sqlite'], 'the service left no side files');
  } finally {
    chmodSync(folder, 0o755);
    chmodSync(file, 0o644);
  }
});

test('an explicit read-only open creates no side files even where the folder is writable', () => {
  const { folder, file, uuids } = archiveWithRuns('explicit', 1);
  const a = openArchive(file, { readonly: true });
  assert.equal(a.getRun(uuids[0]!)?.name, 'r0');
  assert.deepEqual(readdirSync(folder), ['a.sqlite']);
  assert.throws(() => a.addTags(uuids[0]!, ['t']), (e: unknown) => e instanceof ArchiveError && e.kind === 'readonly' && e.message.startsWith(file));
  a.close();
  assert.deepEqual(readdirSync(folder), ['a.sqlite']);
  // And the writable archive still opens read-write (WAL) as before.
  const w = openArchive(file);
  assert.equal(w.readonly, false);
  w.addTags(uuids[0]!, ['t']);
  w.close();
});

test('a damaged archive is refused naming the file and leaves no -wal/-shm behind', () => {
  const { folder, file } = archiveWithRuns('damaged', 60);
  const db = new Database(file);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.close(); // still WAL mode in the header; the close checkpointed and removed the side files
  assert.deepEqual(readdirSync(folder), ['a.sqlite']);
  assert.ok(pages > 8, `expected a multi-page file, got ${pages}`);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, pageSize * Math.floor(pages / 2));
  closeSync(fd);
  for (const args of [['runs', 'list'], ['archive', 'check'], ['runs', 'export', '--all', '--format', 'json']]) {
    const r = dplab(...args, '--archive', file);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(file), `${args.join(' ')} names the file: ${r.stderr}`);
    assert.match(r.stderr, /damaged/);
    assert.deepEqual(readdirSync(folder), ['a.sqlite'], `${args.join(' ')} left side files`);
  }
  assert.throws(() => openArchive(file), (e: unknown) => e instanceof ArchiveError && e.kind === 'damaged' && e.message.startsWith(file));
  assert.deepEqual(readdirSync(folder), ['a.sqlite']);
});

test('archive check validates the schema shape against its version', () => {
  const { file } = archiveWithRuns('shape', 1);
  const ok = dplab('archive', 'check', '--archive', file, '--json');
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.deepEqual((JSON.parse(ok.stdout) as { schemaProblems: string[] }).schemaProblems, []);
  // integrity_check passes both of these; the lab would fail on them later.
  const db = new Database(file);
  db.exec('DROP TABLE notes; ALTER TABLE runs ADD COLUMN color TEXT');
  db.close();
  assert.deepEqual((new Database(file, { readonly: true }).pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check), ['ok']);
  const bad = dplab('archive', 'check', '--archive', file, '--json');
  assert.equal(bad.status, 1, bad.stdout);
  const report = JSON.parse(bad.stdout) as { ok: boolean; schemaProblems: string[] };
  assert.equal(report.ok, false);
  assert.ok(report.schemaProblems.some((p) => /table 'notes' of schema version \d+ is missing/.test(p)), report.schemaProblems.join('\n'));
  assert.ok(report.schemaProblems.some((p) => /table 'runs' has column\(s\) that schema version \d+ does not define: color TEXT/.test(p)), report.schemaProblems.join('\n'));
  const text = dplab('archive', 'check', '--archive', file);
  assert.match(text.stdout, /WRONG SHAPE: .*notes/);
});
