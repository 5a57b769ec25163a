/**
 * The attack of issue 15 item 1, replayed through every door: a sweep axis (or `--set`) path of
 * `__proto__.NODE_OPTIONS` once walked into Object.prototype, and the next trainer process forked
 * with an inherited `NODE_OPTIONS=--import=data:…` ran the attacker's module. Through HTTP, the
 * WebSocket, the IPC handler and the CLI the payload must be refused, Object.prototype left
 * untouched, and no file written; the lab keeps training normally afterwards.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../src-main/contract/index.ts';
import { LabService } from '../../src-main/service/service.ts';
import { makeIpcHandler } from '../../src-main/shell/ipc.ts';
import { ROOT, startServe, TINY_SETUP, type Served } from '../server/helpers.ts';

let dir: string;
let marker: string;
let payload: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-proto-'));
  marker = join(dir, 'pwned');
  // A module that leaves a file behind if it ever runs (no spaces or double quotes: NODE_OPTIONS splits and unquotes).
  payload = `--import=data:text/javascript,import{writeFileSync}from'node:fs';writeFileSync('${marker}','x')`;
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The attack's requests: pollute through the sweep preview, then read a run through an empty id. */
function attacks(): { name: string; args: unknown }[] {
  return [
    { name: 'sweeps.preview', args: { definition: { base: TINY_SETUP, axes: { '__proto__.NODE_OPTIONS': [payload] } } } },
    { name: 'sweeps.preview', args: { definition: { base: TINY_SETUP, axes: { 'constructor.prototype.NODE_OPTIONS': [payload] } } } },
    { name: 'sweeps.start', args: { definition: { base: TINY_SETUP, axes: { 'optim.__proto__.NODE_OPTIONS': [payload] } } } },
    { name: 'sweeps.get', args: { sweepId: 'x', groupBy: ['__proto__'] } },
    { name: 'runs.start', args: JSON.parse(`{"setup": {"__proto__": {"NODE_OPTIONS": ${JSON.stringify(payload)}}, "optim": {"maxSteps": 1}}}`) },
  ];
}

function assertClean(where: string): void {
  assert.equal(Object.hasOwn(Object.prototype, 'NODE_OPTIONS'), false, `${where}: Object.prototype polluted`);
  assert.equal(existsSync(marker), false, `${where}: the attacker's module ran`);
}

const tinyRun = { ...TINY_SETUP, optim: { ...TINY_SETUP.optim, maxSteps: 2 } };

test('IPC handler (LabService in this process): refused, prototype untouched, trainers still start clean', async () => {
  const service = new LabService({ archivePath: join(dir, 'ipc.sqlite'), transport: 'ipc', concurrency: 1, dataDir: join(dir, 'data') });
  try {
    const handler = makeIpcHandler(service, () => true);
    const sender = { sender: { id: 1 }, senderFrame: { url: 'file:///app/index.html' } };
    for (const a of attacks()) {
      const r = await handler(sender, a.name, a.args);
      assert.equal(r.ok, false, `${a.name} ${JSON.stringify(a.args).slice(0, 120)} should be refused`);
      assert.equal(!r.ok && r.error.code, 'invalid-args');
      assertClean(a.name);
    }
    const empty = await handler(sender, 'runs.get', {});
    assert.equal(empty.ok, false, 'runs.get {} reads no run');
    const started = await handler(sender, 'runs.start', { setup: tinyRun });
    assert.equal(started.ok, true, JSON.stringify(started));
    const runId = (started as { result: { runId: string } }).result.runId;
    const deadline = Date.now() + 120_000;
    let status = '';
    while (Date.now() < deadline) {
      const r = await handler(sender, 'runs.get', { runId });
      status = r.ok ? (r.result as { status: string }).status : '';
      if (['completed', 'failed', 'diverged', 'interrupted'].includes(status)) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(status, 'completed');
    assertClean('after a trainer ran');
  } finally {
    await service.close();
  }
});

/** A request over `POST /api/request` with the token as the page sends it. */
async function viaHttp(served: Served, name: string, args: unknown): Promise<{ ok: boolean; error?: { code: string } }> {
  const body = JSON.stringify({ id: 1, name, args });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: served.url.hostname, port: served.url.port, path: '/api/request', method: 'POST', headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json', Origin: served.url.origin } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text) as { ok: boolean });
          } catch {
            reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('dplab serve over HTTP and WebSocket: refused, the server unpolluted, a run afterwards trains clean', async () => {
  const served = await startServe(['--archive', join(dir, 'serve.sqlite'), '--concurrency', '1'], { DPLAB_DATA_DIR: join(dir, 'data') });
  try {
    for (const a of attacks()) {
      const r = await viaHttp(served, a.name, a.args);
      assert.equal(r.ok, false, `HTTP ${a.name}`);
      assert.equal(r.error?.code, 'invalid-args');
    }
    const wsUrl = new URL('/ws', served.url);
    wsUrl.protocol = 'ws:';
    const ws = new WebSocket(wsUrl, [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${served.token}`], { headers: { Origin: served.url.origin } });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    const replies = new Map<number, { ok: boolean; error?: { code: string }; result?: unknown }>();
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { id?: number; ok?: boolean };
      if (typeof m.id === 'number') replies.set(m.id, m as { ok: boolean });
    });
    const ask = async (id: number, name: string, args: unknown) => {
      ws.send(JSON.stringify({ id, name, args }));
      const deadline = Date.now() + 30_000;
      while (!replies.has(id)) {
        if (Date.now() > deadline) throw new Error(`no reply to ${name}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      return replies.get(id)!;
    };
    let id = 10;
    for (const a of attacks()) {
      const r = await ask(id++, a.name, a.args);
      assert.equal(r.ok, false, `WS ${a.name}`);
      assert.equal(r.error?.code, 'invalid-args');
    }
    assert.equal((await ask(id++, 'runs.get', {})).ok, false, 'runs.get {} reads no run');
    // The server's prototype: an object literal there would now inherit NODE_OPTIONS; a fresh run shows it.
    const started = await ask(id++, 'runs.start', { setup: tinyRun });
    assert.equal(started.ok, true, JSON.stringify(started));
    const runId = (started.result as { runId: string }).runId;
    const deadline = Date.now() + 120_000;
    let status = '';
    while (Date.now() < deadline && !['completed', 'failed', 'diverged', 'interrupted'].includes(status)) {
      const r = await ask(id++, 'runs.get', { runId });
      status = r.ok ? (r.result as { status: string }).status : '';
      await new Promise((res) => setTimeout(res, 200));
    }
    assert.equal(status, 'completed');
    ws.close();
    assertClean('after a trainer forked by dplab serve ran');
  } finally {
    await served.stop();
  }
});

test('CLI: --set and sweep axes with prototype keys exit 2 naming the path; nothing runs, nothing is written', () => {
  const setupFile = join(dir, 'tiny.json');
  writeFileSync(setupFile, JSON.stringify(tinyRun));
  const archive = join(dir, 'cli.sqlite');
  for (const path of ['__proto__.NODE_OPTIONS', 'constructor.prototype.NODE_OPTIONS']) {
    const r = spawnSync(process.execPath, ['bin/dplab.mjs', 'run', setupFile, '--archive', archive, '--set', `${path}=${payload}`], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /may not appear in a field path/);
    assertClean(`dplab run --set ${path}`);
  }
  const sweepFile = join(dir, 'sweep.json');
  writeFileSync(sweepFile, JSON.stringify({ base: tinyRun, axes: { '__proto__.NODE_OPTIONS': [payload] }, seeds: 1 }));
  const s = spawnSync(process.execPath, ['bin/dplab.mjs', 'sweep', sweepFile, '--archive', archive], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(s.status, 2, s.stderr);
  assert.match(s.stderr, /may not appear in a field path/);
  assertClean('dplab sweep');
  assert.equal(existsSync(archive) ? spawnSync(process.execPath, ['bin/dplab.mjs', 'runs', 'list', '--archive', archive, '--json'], { cwd: ROOT, encoding: 'utf8' }).stdout.includes('"id"') : false, false, 'no run recorded');
});
