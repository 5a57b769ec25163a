/**
 * Bounded long jobs (issue 15, item 3): theory.run refuses a horizon of more than 10^7 integration
 * steps in its schema, naming the fields; the service's one shared pool queues a limited number of
 * jobs and refuses the next, cancels a job by id, stops a job at its timeout, and terminates its
 * workers on close — so a real `dplab serve` stops promptly on SIGTERM while a long theory job runs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { runSimulation } from '../../src-main/theory/presets.ts';
import { MAX_THEORY_STEPS } from '../../src-main/theory/params.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dplab-jobs-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A full-matrix flow of ~10^5 RK4 steps on 300×200 matrices: minutes of one core, within the step limit. */
const LONG = { kind: 'full-matrix', params: { n1: 300, n2: 200, t1: 1000, integrator: { method: 'rk4', dt: 0.01 } } };

function errorOf(r: ServiceReply): { code: string; message: string } {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 200)}`);
  return (r as { error: { code: string; message: string } }).error;
}

test('a horizon beyond 10^7 steps is refused by the schema, naming the fields', () => {
  const cases: [string, unknown, RegExp][] = [
    ['full-matrix', { t1: 1e12, integrator: { method: 'rk4', dt: 1e-9 } }, /integrator\.dt: t1\/dt = 1000000000000\/1e-9 = 1\.00e\+21 integration steps, more than the limit of 1e\+7/],
    ['modes', { modes: { p0: [0.1], s0: [0.1] }, t1: 1e6, integrator: { method: 'rk4', dt: 0.01 } }, /integrator\.dt: .*1\.00e\+8 integration steps/],
    ['reduced', { t1: 1e9 }, /integrator\.dt: .*more than the limit/],
    ['phase-portrait', { t1: 1e5, dt: 0.01 }, /dt: t1\/dt × starts = 100000\/0\.01 × 25/],
    ['low-dim-flow', { variant: 'tied', t1: 1e4, dt: 1e-4, starts: [[0.1, 0.2]] }, /dt: .*1\.00e\+8 integration steps/],
    ['sgd-bridge', { flow: { t1: 1e6 }, lr: 0.01 }, /lr: flow\.t1\/lr/],
    ['modes', { modes: { p0: [0.1], s0: [0.1] }, integrator: { method: 'dopri5', maxSteps: 1e9 } }, /integrator\.maxSteps/],
  ];
  for (const [kind, params, re] of cases) {
    assert.throws(() => runSimulation({ kind: kind as never, params }), (e: Error) => {
      assert.equal(e.name, 'TheoryParamsError', `${kind}: ${e.message}`);
      assert.match(e.message, re, kind);
      return true;
    });
  }
  // The limit itself still runs (the default horizons are far below it).
  assert.equal(MAX_THEORY_STEPS, 10_000_000);
  const ok = runSimulation({ kind: 'modes', params: { modes: { p0: [0.1], s0: [0.1] }, t1: 10, integrator: { method: 'rk4', dt: 0.01 } } });
  assert.equal(ok.kind, 'modes');
});

test('theory.run over the service: the attack horizon is refused at once as invalid-args', async () => {
  const dir = tempDir();
  const service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http' });
  try {
    const e = errorOf(await service.handle('theory.run', { params: { kind: 'full-matrix', params: { t1: 1e12, integrator: { method: 'rk4', dt: 1e-9 } } } }));
    assert.equal(e.code, 'invalid-args');
    assert.match(e.message, /integrator\.dt: .*more than the limit of 1e\+7 per request; raise dt or lower t1/);
  } finally {
    await service.close();
  }
});

test('one pool: a full queue is refused, jobs are cancelled by id, a job stops at its timeout', async () => {
  const dir = tempDir();
  const service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http', jobs: { workers: 1, queueLimit: 1, theoryTimeoutMs: 120_000 } });
  try {
    const a = service.handle('theory.run', { params: LONG, jobId: 'a' });
    const b = service.handle('theory.run', { params: LONG, jobId: 'b' });
    const c = errorOf(await service.handle('theory.run', { params: LONG, jobId: 'c' }));
    assert.equal(c.code, 'failed');
    assert.match(c.message, /theory\.run: the job queue is full \(1 running, 1 waiting, limit 1\)/);
    // A duplicate id is the caller's mistake.
    assert.equal(errorOf(await service.handle('theory.run', { params: LONG, jobId: 'b' })).code, 'invalid-args');
    // Cancel the running one: its request answers; the waiting one starts.
    const cancelA = await service.handle('jobs.cancel', { jobId: 'a' });
    assert.deepEqual(cancelA, { ok: true, result: { ok: true } });
    assert.match(errorOf(await a).message, /theory\.run: job a was cancelled/);
    assert.deepEqual(await service.handle('jobs.cancel', { jobId: 'a' }), { ok: true, result: { ok: false } });
    assert.deepEqual(await service.handle('jobs.cancel', { jobId: 'b' }), { ok: true, result: { ok: true } });
    assert.match(errorOf(await b).message, /job b was cancelled/);
    // A small job still runs through the same pool afterwards.
    const ok = await service.handle('theory.run', { preset: 'fig4a' });
    assert.equal(ok.ok, true, JSON.stringify(ok).slice(0, 300));
  } finally {
    await service.close();
  }
  const timed = new LabService({ archivePath: join(dir, 'b.sqlite'), transport: 'http', jobs: { theoryTimeoutMs: 1500 } });
  try {
    const e = errorOf(await timed.handle('theory.run', { params: LONG }));
    assert.match(e.message, /theory\.run: the job ran longer than 2 s and was stopped/);
  } finally {
    await timed.close();
  }
});

test('close() terminates a running job: its request answers and nothing keeps running', async () => {
  const dir = tempDir();
  const service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http' });
  const running = service.handle('theory.run', { params: LONG, jobId: 'long' });
  await new Promise((r) => setTimeout(r, 500));
  await service.close();
  const e = errorOf(await running);
  assert.match(e.message, /shutting down/);
});

test('a real `dplab serve` obeys SIGTERM while a long theory job runs', async () => {
  const dir = tempDir();
  const child = spawn(process.execPath, ['bin/dplab.mjs', 'serve', '--port', '0', '--no-open', '--archive', join(dir, 'a.sqlite')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL in 120 s: ${err}`)), 120_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /DirectPred Lab at (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(new URL(m[1]!));
        }
      });
    });
    const api = new URL('/api/request', url);
    const reply = fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${url.searchParams.get('token')}` }, body: JSON.stringify({ id: 1, name: 'theory.run', args: { params: LONG } }) }).then(
      (r) => r.json() as Promise<{ ok: boolean; error?: { message: string } }>,
      (e: Error) => ({ ok: false, error: { message: `connection: ${e.message}` } }),
    );
    // Give the worker time to start its integration, then ask the server to stop.
    await new Promise((r) => setTimeout(r, 2000));
    child.kill('SIGTERM');
    // The guard's timer is cleared once the race is decided: left pending, it kept this file's
    // process alive for its full 30 s after the last test passed.
    let guard: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([exited, new Promise<'alive'>((r) => (guard = setTimeout(() => r('alive'), 30_000)))]);
    clearTimeout(guard);
    assert.equal(code, 0, `dplab serve should exit 0 after SIGTERM; stderr: ${err}`);
    const r = await reply;
    assert.equal(r.ok, false);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
