// The lab's run threads as a setting (LabService `threads`, `dplab serve --threads N`): every run the
// lab trains uses that many wasm threads, whatever the cores would share out, and the run records
// it; a bad count is refused by name before the server starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { LabEvent, Results } from '../../src-main/contract/index.ts';
import { LabService } from '../../src-main/service/service.ts';
import { ROOT, TINY_SETUP } from '../server/helpers.ts';

/** Trains TINY_SETUP in a lab with `threads` and returns the thread count its run recorded. */
async function recordedThreads(threads: number): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-threads-opt-'));
  const service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'ipc', backend: 'wasm', concurrency: 1, threads, dataDir: join(dir, 'data') });
  try {
    const start = await service.handle('runs.start', { setup: TINY_SETUP });
    assert.ok(start.ok, JSON.stringify(start));
    const runId = (start.result as Results['runs.start']).runId;
    const status = await new Promise<string>((resolve) => {
      const off = service.onEvent((e: LabEvent) => {
        if (e.type === 'run.status' && e.runId === runId && e.status !== 'queued' && e.status !== 'running') off(), resolve(e.status);
      });
    });
    assert.equal(status, 'completed');
    const got = await service.handle('runs.get', { runId });
    assert.ok(got.ok, JSON.stringify(got));
    return (got.result as { versions?: Record<string, string> | null }).versions?.['wasm-threads'];
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a lab with threads N trains every run on N wasm threads', { timeout: 300_000 }, async () => {
  assert.equal(await recordedThreads(1), '1');
  assert.equal(await recordedThreads(2), '2');
});

test('dplab serve --threads refuses a count outside 1 … 8, naming the option', () => {
  const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'serve', '--no-open', '--port', '0', '--threads', '9'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--threads: threads must be an integer from 1 to 8, got '9'/);
});
