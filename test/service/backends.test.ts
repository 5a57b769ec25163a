// npm test: mostly waits (on the backends report's child process: 4 s of CPU in 11 s of wall, 2026-12-08)
/**
 * backends.list (issue 11: "the app shows the same list"): the service runs the real
 * `dplab backends --json --quick` in a child process and answers with its validated report, the
 * same reasons the CLI prints, cached for the session; a child that prints something other than a
 * report (or floods stdout), fails, hangs past the timeout or is cancelled gives an error naming that, and leaves no
 * process behind. Passes with and without VK_ICD_FILENAMES (SwiftShader): without it, webgpu just
 * reports why it does not load.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabEvent, Results } from '../../src-main/contract/index.ts';
import { LabService, type ServiceReply } from '../../src-main/service/service.ts';
import { nodeProbeLauncher, type ProbeLauncher } from '../../src-main/service/backends.ts';
import { processAlive } from '../../src-main/runs/process.ts';
import { BackendsReportSchema, type BackendsReport } from '../../src-main/common/backends.ts';

const dirs: string[] = [];
const services: LabService[] = [];
after(async () => {
  for (const s of services) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function open(backends?: ConstructorParameters<typeof LabService>[0]['backends']): LabService {
  const d = mkdtempSync(join(tmpdir(), 'dplab-backends-'));
  dirs.push(d);
  const s = new LabService({ archivePath: join(d, 'a.sqlite'), transport: 'http', dataDir: join(d, 'data'), ...(backends ? { backends } : {}) });
  services.push(s);
  return s;
}

function errorOf(r: ServiceReply): { code: string; message: string } {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r).slice(0, 300)}`);
  return (r as { error: { code: string; message: string } }).error;
}

/** A fake `dplab backends`: a real Node child running `code`; records the pids it started. */
function nodeScript(code: string, pids: number[] = []): ProbeLauncher {
  const launch = nodeProbeLauncher([process.execPath, '-e', code, '--']);
  return (args) => {
    const c = launch(args);
    if (c.pid) pids.push(c.pid);
    return c;
  };
}

/** The CLI itself, for comparison with what the service answers. */
function cliReport(): Promise<BackendsReport> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/dplab.mjs', 'backends', '--json', '--quick'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(BackendsReportSchema.parse(JSON.parse(out))) : reject(new Error(`dplab backends: ${code}: ${err}`))));
  });
}

async function gone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (pids.some((p) => processAlive(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const p of pids) assert.equal(processAlive(p), false, `probe process ${p} is still alive`);
}

test('backends.list runs the real dplab backends --quick: every backend, the CLI reasons, auto’s pick; cached for the session', async () => {
  const s = open();
  const events: LabEvent[] = [];
  s.onEvent((e) => events.push(e));
  const r = await s.handle('backends.list', {});
  assert.ok(r.ok, JSON.stringify(r));
  const res = r.result as Results['backends.list'];
  assert.equal(res.measured, false);
  assert.equal(res.cached, false);
  const rep = res.report;
  assert.deepEqual(rep.backends.map((b) => b.kind), ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']);
  const by = Object.fromEntries(rep.backends.map((b) => [b.kind, b]));
  assert.equal(by.wasm!.loads, true);
  assert.equal(by.cpu!.loads, true);
  for (const b of rep.backends) {
    assert.equal(b.rate, undefined, `${b.kind}: the quick report has no figures`);
    if (!b.loads) assert.ok((b.reason ?? '').length > 10, `${b.kind} does not load and must say why`);
  }
  if (!by['tfjs-node-gpu']!.loads) assert.match(`${by['tfjs-node-gpu']!.reason} ${by['tfjs-node-gpu']!.needs}`, /CUDA 11\.2/);
  // webgpu: on SwiftShader (VK_ICD_FILENAMES set) it loads on a software adapter that auto skips; else it says why not.
  const gpu = by.webgpu!;
  if (gpu.loads) {
    assert.ok(gpu.adapter, 'a loading webgpu names its adapter');
    if (gpu.adapter.fallback) assert.notEqual(rep.auto, 'webgpu');
  } else assert.match(gpu.reason ?? '', /webgpu/);
  const first = rep.backends.find((b) => b.loads && !b.adapter?.fallback)!;
  assert.equal(rep.auto, first.kind, 'auto takes the first loading backend of the ladder that is no software adapter');
  assert.ok(events.some((e) => e.type === 'backends.progress' && /wasm: loading/.test(e.line)), 'progress lines reach the event stream');

  // Exactly the CLI's words.
  const cli = await cliReport();
  assert.deepEqual(rep.backends.map((b) => [b.kind, b.loads, b.reason ?? null, b.needs ?? null, b.found ?? null]), cli.backends.map((b) => [b.kind, b.loads, b.reason ?? null, b.needs ?? null, b.found ?? null]));
  assert.equal(rep.auto, cli.auto);

  // The status bar's backend (app.info) is now auto's real pick, with the adapter when it is webgpu.
  const info = await s.handle('app.info', {});
  assert.ok(info.ok);
  const i = info.result as Results['app.info'];
  assert.equal(i.backendPreference, 'auto');
  assert.equal(i.backend, rep.auto);
  assert.deepEqual(i.adapter, rep.auto === 'webgpu' ? by.webgpu!.adapter : null);

  const again = await s.handle('backends.list', {});
  assert.ok(again.ok);
  const res2 = again.result as Results['backends.list'];
  assert.equal(res2.cached, true, 'the quick report is kept for the session');
  assert.equal(res2.atMs, res.atMs);
  assert.deepEqual(res2.report, rep);
});

test('backends.list: malformed output of the child is an error naming what is wrong', async () => {
  const pids: number[] = [];
  const notJson = open({ launch: nodeScript('console.log("hello, this is not a report")', pids) });
  const e1 = errorOf(await notJson.handle('backends.list', {}));
  assert.equal(e1.code, 'failed');
  assert.match(e1.message, /^backends\.list: dplab backends --json gave no valid report: its output is not JSON .*hello, this is not a report/);

  const wrongShape = open({ launch: nodeScript('console.log(JSON.stringify({ backends: [{ kind: "metal", loads: "yes" }], auto: "wasm", platform: "x" }))', pids) });
  const e2 = errorOf(await wrongShape.handle('backends.list', {}));
  assert.match(e2.message, /not a backends report: backends\.0\.kind: .*; backends\.0\.loads: /);

  const crashes = open({ launch: nodeScript('process.stderr.write("progress: wasm: loading…\\nError: Dawn exploded\\n"); process.exit(3)', pids) });
  const e3 = errorOf(await crashes.handle('backends.list', {}));
  assert.match(e3.message, /dplab backends ended with exit code 3: Error: Dawn exploded$/);

  const flood = open({ launch: nodeScript('process.stdout.write("x".repeat(3_000_000)); setInterval(() => {}, 1000)', pids) });
  const e5 = errorOf(await flood.handle('backends.list', {}));
  assert.match(e5.message, /printed more than 1048576 characters; that is not a report/);

  // A failure is not cached: the next request runs the child again.
  const e4 = errorOf(await notJson.handle('backends.list', {}));
  assert.match(e4.message, /not JSON/);
  assert.equal(pids.length, 5);
  await gone(pids);
});

test('backends.list: a child past the timeout is stopped and reported; a measure can be cancelled; the queue is bounded', async () => {
  const pids: number[] = [];
  const hang = 'process.stderr.write("progress: cpu: timing the reference step (B = 2)…\\n"); setInterval(() => {}, 1000)';
  const s = open({ launch: nodeScript(hang, pids), quickTimeoutMs: 3000, queueLimit: 0 });
  const e = errorOf(await s.handle('backends.list', {}));
  // The last stage is named when the child got that far (under load its start alone may take seconds).
  assert.match(e.message, /^backends\.list: dplab backends ran longer than 3 s and was stopped( \(last stage: cpu: timing the reference step \(B = 2\)…\))?$/);
  await gone(pids);

  const events: LabEvent[] = [];
  s.onEvent((ev) => events.push(ev));
  const measuring = s.handle('backends.list', { measure: true, jobId: 'm1' });
  await new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      if (events.some((ev) => ev.type === 'backends.progress' && ev.jobId === 'm1')) resolve(clearInterval(iv));
      else if (Date.now() - t0 > 60_000) reject(new Error('no progress event from the measuring child'));
    }, 20);
  });
  // queueLimit 0: a second request while one runs is refused at once.
  const busy = errorOf(await s.handle('backends.list', { measure: true, jobId: 'm2' }));
  assert.match(busy.message, /already running .*limit 0/);
  const c = await s.handle('jobs.cancel', { jobId: 'm1' });
  assert.deepEqual(c, { ok: true, result: { ok: true } });
  assert.match(errorOf(await measuring).message, /backends\.list job m1 was cancelled/);
  assert.deepEqual(await s.handle('jobs.cancel', { jobId: 'm1' }), { ok: true, result: { ok: false } });
  assert.equal(pids.length, 2);
  await gone(pids);
});

test('backends.list arguments are validated at the boundary', async () => {
  const s = open({ launch: nodeScript('process.exit(9)') });
  const e = errorOf(await s.handle('backends.list', { measure: 'yes' }));
  assert.equal(e.code, 'invalid-args');
  assert.match(e.message, /measure/);
});
