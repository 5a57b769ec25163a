/**
 * Without --seeds (or a request's `seeds`), verdicts are read over every seed the archive holds
 * complete, never fewer than 3: a 3-seed default read a 5-seed reproduction's archive as
 * "reproduced" where all five seeds said inconclusive (seen in the Paper view).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openArchive } from '../../src-main/archive/archive.ts';
import { claimById } from '../../src-main/reproduce/claims.ts';
import { defaultSeeds } from '../../src-main/runs/reproduce.ts';
import { recordArmRun } from './arm-run.ts';
import { LabService } from '../../src-main/service/service.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('default seeds: every seed held complete, contiguous from 0, at least 3; the CLI report uses them', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-seeds-'));
  try {
    const file = join(dir, 'lab.sqlite');
    const claim = claimById('no-predictor-collapses')!;
    const seedsOf = () => {
      const a = openArchive(file, { readonly: true });
      try {
        return defaultSeeds(a, [claim]);
      } finally {
        a.close();
      }
    };
    recordArmRun(file, 'none', 0, 0.1);
    recordArmRun(file, 'linear', 0, 0.5);
    recordArmRun(file, 'directpred', 0, 0.7);
    assert.deepEqual(seedsOf(), [0, 1, 2], 'one seed held: the floor of 3');
    for (const s of [1, 2, 3, 4]) {
      recordArmRun(file, 'none', s, 0.1 + 0.01 * s);
      recordArmRun(file, 'directpred', s, 0.7 + 0.01 * s);
      if (s !== 3) recordArmRun(file, 'linear', s, 0.5 + 0.01 * s);
    }
    assert.deepEqual(seedsOf(), [0, 1, 2], 'seed 3 lacks an arm: seeds stop before it');
    recordArmRun(file, 'linear', 3, 0.53);
    assert.deepEqual(seedsOf(), [0, 1, 2, 3, 4]);
    const out = join(dir, 'report');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/dplab.mjs'), 'reproduce', 'report', 'no-predictor-collapses', '--archive', file, '--out', out], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /seeds 0, 1, 2, 3, 4/);
    assert.match(md, /\| no predictor, EMA \| 5 \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reproduce.results: without seeds, every seed the archive holds; seeds out of range or of the wrong type refused', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dplab-seeds-svc-'));
  const service = new LabService({ archivePath: join(dir, 'lab.sqlite'), transport: 'http', backend: 'wasm', concurrency: 1, dataDir: join(dir, 'data') });
  try {
    const seedsOf = async (args: Record<string, unknown>) => {
      const r = await service.handle('reproduce.results', args);
      assert.equal(r.ok, true, JSON.stringify(r).slice(0, 300));
      return (r as { result: { seeds: number[] } }).result.seeds;
    };
    assert.deepEqual(await seedsOf({}), [0, 1, 2], 'an empty archive: the floor of 3');
    assert.deepEqual(await seedsOf({ seeds: 4 }), [0, 1, 2, 3]);
    for (const seeds of [0, 21, 2.5, '3', null]) {
      const r = await service.handle('reproduce.results', { seeds });
      assert.equal(r.ok, false, `seeds ${JSON.stringify(seeds)} accepted`);
      assert.equal((r as { error: { code: string } }).error.code, 'invalid-args');
    }
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
