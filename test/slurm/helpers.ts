// Shared by the Slurm sweep tests: the cluster (started when missing), a temp folder, the dplab
// command, tiny seeded setups and the comparison of two archives' runs.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Archive } from '../../src-main/archive/archive.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';
import { clusterForTests } from './cluster.ts';

export const { problem, skip } = clusterForTests();
export const dir = mkdtempSync(join(tmpdir(), 'dplab-slurm-'));
export const bin = fileURLToPath(new URL('../../bin/dplab.mjs', import.meta.url));
export const dataDir = join(dir, 'data');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const ENV = { ...process.env, DPLAB_SLURM_POLL_MS: '1000', DPLAB_DATA_DIR: dataDir };

export type Out = { code: number | null; out: string; err: string };
export function dplab(args: string[], env: NodeJS.ProcessEnv = ENV): Promise<Out> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env, cwd: dir });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

export const tiny = (steps: number) => ({ ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 100, maxSteps: steps } });

export function sweepFile(name: string, def: Record<string, unknown>): string {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify({ name, ...def }));
  return f;
}

export function squeueTasks(jobId: string): string[] {
  const r = spawnSync('squeue', ['-h', '-r', '-j', jobId, '-o', '%K|%T'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n').filter(Boolean) : [];
}

export async function until(what: string, ok: () => boolean, ms = 240_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

export function close(a: number | null | undefined, b: number | null | undefined, what: string) {
  assert.ok(typeof a === 'number' && typeof b === 'number', `${what}: ${a} vs ${b}`);
  assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

/** Every member of the sweep in `a` has the same loss curve and final metrics as its namesake in `b`. */
export function sameRuns(a: Archive, b: Archive, sweepA: string, sweepB: string): void {
  const ra = a.listRuns({ sweep: sweepA, order: 'oldest' });
  const rb = b.listRuns({ sweep: sweepB, order: 'oldest' });
  assert.deepEqual(ra.map((r) => r.name).sort(), rb.map((r) => r.name).sort());
  for (const x of ra) {
    const y = rb.find((r) => r.name === x.name)!;
    assert.equal(x.status, 'completed', `${x.name}: ${x.error}`);
    assert.equal(y.status, 'completed', `${y.name}: ${y.error}`);
    const la = a.getMetrics(x.uuid, ['loss'])[0]!;
    const lb = b.getMetrics(y.uuid, ['loss'])[0]!;
    assert.deepEqual(la.steps, lb.steps, `${x.name}: steps`);
    la.values.forEach((v, i) => close(v, lb.values[i], `${x.name}: loss at step ${la.steps[i]}`));
    const sa = x.summary as unknown as Record<string, number>;
    const sb = y.summary as unknown as Record<string, number>;
    for (const k of ['finalLoss', 'collapseStd', 'effectiveRank', 'probeAcc', 'knnAcc']) close(sa[k], sb[k], `${x.name}: ${k}`);
  }
}

