/**
 * The web mode as a user runs it: the real `dplab serve` child. Token, Origin and Host checks on
 * HTTP and on the socket, loopback by default, a few hundred malformed messages through the
 * WebSocket and the HTTP endpoint (each answered with an error, the process up, the archive
 * unchanged), protocol violations closing only the offending socket, and a tiny run whose progress
 * streams over the socket and lands in the archive.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { openArchive } from '../../src-main/archive/archive.ts';
import { bearer, clientFrame, malformedMessage, RawSocket, rng, startServe, TINY_SETUP, wsAuth, type Served } from './helpers.ts';

let dir: string;
let served: Served;
let archiveFile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-serve-'));
  archiveFile = join(dir, 'archive.sqlite');
  served = await startServe(['--archive', archiveFile, '--concurrency', '1'], { DPLAB_DATA_DIR: join(dir, 'data') });
});

after(async () => {
  const code = await served?.stop();
  assert.equal(code, 0, `dplab serve should stop cleanly on SIGTERM; stderr: ${served?.stderr()}`);
  rmSync(dir, { recursive: true, force: true });
});

function http(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: served.url.hostname, port: served.url.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Everything stored in the archive, as a comparable snapshot. */
function snapshot(): string {
  const a = openArchive(archiveFile, { readonly: true });
  try {
    return JSON.stringify({ counts: a.counts(), runs: a.listRuns().map((r) => ({ ...r, heartbeatAt: null })) });
  } finally {
    a.close();
  }
}

test('binds to loopback by default and prints a URL with a token', () => {
  assert.equal(served.url.hostname, '127.0.0.1');
  assert.match(served.token, /^[0-9a-f]{32}$/);
});

test('HTTP: the API needs the token as a Bearer header (not in the URL); the page is public and sets no cookie', async () => {
  const body = '{"id":1,"name":"app.info","args":{}}';
  assert.equal((await http('/api/request', { method: 'POST', body })).status, 401);
  assert.equal((await http(`/api/request?token=${served.token}`, { method: 'POST', body })).status, 401, 'a token in the URL opens nothing');
  assert.equal((await http('/api/request', { method: 'POST', body, headers: bearer('0'.repeat(32)) })).status, 401);
  const api = await http('/api/request', { method: 'POST', body, headers: bearer(served.token) });
  assert.equal(api.status, 200);
  assert.equal((JSON.parse(api.body) as { ok: boolean }).ok, true);
  // The page and its assets carry no data: served to anyone on this machine, with or without the token.
  for (const path of ['/', `/?token=${served.token}`, '/index.html']) {
    const ok = await http(path);
    assert.equal(ok.status, 200, path);
    assert.match(ok.body, /<div id="app">/);
    assert.match(String(ok.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String(ok.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(ok.headers['set-cookie'], undefined, 'no cookie');
  }
  // No way out of the renderer folder (raw paths: see http.test.ts).
  assert.equal((await http('/..%2fpackage.json')).status, 404);
});

test('HTTP: a foreign Origin or a non-loopback Host is refused even with the token', async () => {
  const t = `?token=${served.token}`;
  const body = '{"id":1,"name":"app.info","args":{}}';
  assert.equal((await http(`/${t}`, { headers: { Origin: 'http://evil.example' } })).status, 403);
  assert.equal((await http('/api/request', { method: 'POST', headers: { ...bearer(served.token), Origin: 'http://evil.example' }, body })).status, 403);
  assert.equal((await http('/api/request', { method: 'POST', headers: { ...bearer(served.token), Host: `evil.example:${served.url.port}` }, body })).status, 403);
  assert.equal((await http(`/${t}`, { headers: { Host: `evil.example:${served.url.port}` } })).status, 403);
  assert.equal((await http(`/${t}`, { headers: { Origin: `http://${served.url.host}` } })).status, 200);
  assert.equal((await http('/api/request', { method: 'POST', headers: { ...bearer(served.token), Origin: `http://${served.url.host}` }, body })).status, 200);
});

test('WebSocket: refused without the token, with a wrong one, or from a foreign Origin', async () => {
  const none = await RawSocket.open(served.url);
  assert.ok('refused' in none && /^HTTP\/1.1 401/.test(none.refused), 'no token');
  const wrong = await RawSocket.open(served.url, wsAuth('f'.repeat(32)));
  assert.ok('refused' in wrong && /^HTTP\/1.1 401/.test(wrong.refused), 'wrong token');
  const inUrl = await RawSocket.open(served.url, {}, `/ws?token=${served.token}`);
  assert.ok('refused' in inUrl && /^HTTP\/1.1 401/.test(inUrl.refused), 'a token in the URL opens nothing');
  const foreign = await RawSocket.open(served.url, { ...wsAuth(served.token), Origin: 'http://evil.example' });
  assert.ok('refused' in foreign && /^HTTP\/1.1 403/.test(foreign.refused), 'foreign origin');
  const good = await RawSocket.open(served.url, { ...wsAuth(served.token), Origin: `http://${served.url.host}` });
  assert.ok(good instanceof RawSocket);
  good.sendText(JSON.stringify({ id: 7, name: 'app.info', args: {} }));
  const r = await good.reply(7);
  assert.equal(r.ok, true);
  assert.equal((r.result as { transport: string }).transport, 'http');
  good.end();
});

test('400 malformed messages over the WebSocket and 100 over HTTP: each gets an error reply; the server stays up; the archive is unchanged', async () => {
  const ws = await RawSocket.open(served.url, wsAuth(served.token));
  assert.ok(ws instanceof RawSocket);
  // Something stored first, so "unchanged" means something.
  ws.sendText(JSON.stringify({ id: 1, name: 'runs.list', args: {} }));
  assert.equal((await ws.reply(1)).ok, true);
  const before = snapshot();
  const r = rng(20261128);
  for (let i = 0; i < 400; i++) {
    const id = 1000 + i;
    const m = malformedMessage(r, id);
    ws.sendText(m.text);
    const reply = await ws.reply(m.replyId);
    assert.equal(reply.ok, false, `message ${i} (${m.text.slice(0, 120)}) should be refused`);
    assert.match(reply.error!.code, /^(invalid-args|unknown-request)$/, m.text.slice(0, 120));
    assert.ok(reply.error!.message.length > 0);
  }
  for (let i = 0; i < 100; i++) {
    const m = malformedMessage(r, 5000 + i);
    const res = await http('/api/request', { method: 'POST', body: m.text, headers: bearer(served.token) });
    assert.equal(res.status, 400, m.text.slice(0, 120));
    const reply = JSON.parse(res.body) as { ok: boolean; id: number };
    assert.equal(reply.ok, false);
    assert.equal(reply.id, m.replyId);
  }
  ws.sendText(JSON.stringify({ id: 2, name: 'app.info', args: {} }));
  assert.equal((await ws.reply(2)).ok, true, 'the same socket still works');
  ws.end();
  assert.equal(served.child.exitCode, null, 'the server is still running');
  assert.equal(snapshot(), before, 'the archive is unchanged');
});

test('protocol violations close only the offending socket with the right code', async () => {
  const cases: [string, (ws: RawSocket) => void, number][] = [
    ['unmasked frame', (ws) => ws.write(clientFrame(0x1, Buffer.from('{}'), { mask: false })), 1002],
    ['reserved bits', (ws) => ws.write(clientFrame(0x1, Buffer.from('{}'), { rsv: 4 })), 1002],
    ['unknown opcode', (ws) => ws.write(clientFrame(0x3, Buffer.from('x'))), 1002],
    ['binary message', (ws) => ws.write(clientFrame(0x2, Buffer.from([1, 2, 3]))), 1003],
    ['invalid UTF-8', (ws) => ws.write(clientFrame(0x1, Buffer.from([0xc3, 0x28]))), 1007],
    ['fragmented ping', (ws) => ws.write(clientFrame(0x9, Buffer.from('x'), { fin: false })), 1002],
    ['continuation out of nowhere', (ws) => ws.write(clientFrame(0x0, Buffer.from('x'))), 1002],
    ['message over the size limit', (ws) => ws.write(clientFrame(0x1, Buffer.alloc(5 * 1024 * 1024, 0x20))), 1009],
  ];
  for (const [what, send, code] of cases) {
    const ws = await RawSocket.open(served.url, wsAuth(served.token));
    assert.ok(ws instanceof RawSocket);
    send(ws);
    assert.equal(await ws.closeCode(), code, what);
    ws.end();
  }
  // Fragments, interleaved ping and a clean close on a well-behaved socket.
  const ws = await RawSocket.open(served.url, wsAuth(served.token));
  assert.ok(ws instanceof RawSocket);
  const msg = Buffer.from(JSON.stringify({ id: 9, name: 'presets.list', args: {} }));
  ws.write(clientFrame(0x1, msg.subarray(0, 10), { fin: false }));
  ws.write(clientFrame(0x9, Buffer.from('hi')));
  ws.write(clientFrame(0x0, msg.subarray(10, 20), { fin: false }));
  ws.write(clientFrame(0x0, msg.subarray(20), { fin: true }));
  const pong = await ws.next((f) => f.opcode === 0xa);
  assert.equal(pong.payload.toString(), 'hi');
  const reply = await ws.reply(9);
  assert.equal(reply.ok, true);
  assert.ok(Array.isArray(reply.result) && reply.result.length > 0);
  const close = Buffer.alloc(2);
  close.writeUInt16BE(1000);
  ws.write(clientFrame(0x8, close));
  assert.equal(await ws.closeCode(), 1000);
  ws.end();
  assert.equal(served.child.exitCode, null, 'the server is still running');
});

test('a tiny run started over the socket streams status, progress and metrics, and lands in the archive', async () => {
  const ws = await RawSocket.open(served.url, wsAuth(served.token));
  assert.ok(ws instanceof RawSocket);
  ws.sendText(JSON.stringify({ id: 1, name: 'runs.start', args: { setup: TINY_SETUP, name: 'tiny over ws' } }));
  const start = await ws.reply(1);
  assert.equal(start.ok, true, JSON.stringify(start.error));
  const runId = (start.result as { runId: string }).runId;
  const seen = new Set<string>();
  let lastStep = 0;
  let final = '';
  while (!final) {
    const f = await ws.next((fr) => fr.opcode === 1, 120_000);
    const m = JSON.parse(f.payload.toString()) as { event?: { type: string; runId?: string; status?: string; step?: number } };
    if (!m.event || m.event.runId !== runId) continue;
    seen.add(m.event.type);
    if (m.event.type === 'run.progress') {
      assert.ok(m.event.step! > lastStep, 'progress moves forward');
      lastStep = m.event.step!;
    }
    if (m.event.type === 'run.status' && !['queued', 'running'].includes(m.event.status!)) final = m.event.status!;
  }
  assert.equal(final, 'completed');
  assert.deepEqual([...seen].sort(), ['run.metrics', 'run.progress', 'run.projection', 'run.status']);
  assert.equal(lastStep, 8);
  ws.sendText(JSON.stringify({ id: 2, name: 'runs.metrics', args: { runId, names: ['loss'] } }));
  const metrics = (await ws.reply(2)).result as { name: string; steps: number[] }[];
  assert.equal(metrics[0]!.name, 'loss');
  assert.ok(metrics[0]!.steps.length > 0);
  ws.sendText(JSON.stringify({ id: 3, name: 'runs.get', args: { runId } }));
  const got = (await ws.reply(3)).result as { status: string; name: string; lastStep: number };
  assert.equal(got.status, 'completed');
  assert.equal(got.name, 'tiny over ws');
  // Large messages both ways (64-bit frame lengths): a 300 kB note in, the run with it out.
  const note = `# long\n${'λ'.repeat(150_000)}`;
  ws.sendText(JSON.stringify({ id: 4, name: 'runs.note', args: { runId, markdown: note } }));
  assert.equal((await ws.reply(4)).ok, true);
  ws.sendText(JSON.stringify({ id: 5, name: 'runs.get', args: { runId } }));
  assert.equal((((await ws.reply(5)).result) as { note: string }).note, note);
  ws.end();
  const a = openArchive(archiveFile, { readonly: true });
  try {
    const r = a.getRun(runId)!;
    assert.equal(r.status, 'completed');
    assert.ok(a.getSpectra(runId).length > 0, 'spectra stored');
    assert.ok(a.getEvals(runId).length > 0, 'evals stored');
  } finally {
    a.close();
  }
});
