/**
 * Several processes opening the same archive path at once (a sweep's `dplab run`s started together,
 * `dplab serve` and a CLI call): exactly one creates the schema, every other waits for it and opens
 * the finished file. Before the fix each read schema version 0 outside a transaction, then ran the
 * creation script, and all but one died with "table meta already exists".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';

const ARCHIVE = fileURLToPath(new URL('../../src-main/archive/archive.ts', import.meta.url));

test('processes that create the same new archive at once all open it', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-concurrent-'));
  try {
    for (let round = 0; round < 4; round++) {
      const file = join(dir, `lab-${round}.sqlite`);
      // Each child waits for a shared start time so the opens really overlap.
      const start = Date.now() + 1500;
      const script = `const { openArchive } = await import(${JSON.stringify(ARCHIVE)});
        while (Date.now() < ${start}) {}
        const a = openArchive(${JSON.stringify(file)});
        a.createRun({ setup: {}, setupHash: 'h', seed: process.pid, status: 'completed' });
        a.close();`;
      const results = await Promise.all(
        Array.from({ length: 8 }, () => new Promise<{ code: number | null; err: string }>((resolve) => {
          const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          c.stderr.on('data', (d: Buffer) => (err += d.toString()));
          c.on('exit', (code) => resolve({ code, err }));
        })),
      );
      for (const r of results) assert.equal(r.code, 0, r.err.slice(0, 1000));
      const a = openArchive(file);
      try {
        assert.equal(a.listRuns().length, 8, 'every process wrote its run');
        assert.deepEqual(a.integrityCheck(), ['ok']);
      } finally {
        a.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
