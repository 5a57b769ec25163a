/**
 * The lab's HTTP + WebSocket server in-process (a real LabService on a temp archive, a temp renderer
 * folder), probed with RAW requests over node:net: nothing normalises the path before the server's
 * own check, so the traversal cases escape if that check is removed. Also: 413 that the client can
 * read, a failing request answered with 500 and recorded, an abandoned upload told in one calm line,
 * the token as a header only (no cookie, no query), the CSP header, the heartbeat, and the token file
 * (beside a writable archive, in the per-user folder for a read-only one).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from '../../src-main/service/service.ts';
import { CSP, startLabServer, type LabServer } from '../../src-main/server/server.ts';
import { archiveToken, runtimeDir, runtimeTokenFile, tokenFile } from '../../src-main/server/token.ts';
import { RawSocket, wsAuth } from './helpers.ts';

let dir: string;
let www: string;
let service: LabService;
let server: LabServer;
const recorded: string[] = [];
const notices: string[] = [];
const SECRET = 'SECRET-OUTSIDE-THE-RENDERER';
const MAX = 64 * 1024;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-http-'));
  www = join(dir, 'www');
  mkdirSync(join(www, 'assets'), { recursive: true });
  writeFileSync(join(www, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(www, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  // A name with a backslash inside the folder: a path separator on Windows, so never served.
  writeFileSync(join(www, '..\\secret.txt'), SECRET);
  service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http', dataDir: join(dir, 'data') });
  server = await startLabServer({ service, rootDir: www, maxMessageBytes: MAX, heartbeatMs: 50, onError: (what, e) => recorded.push(`${what}: ${(e as Error).stack}`), onNotice: (l) => notices.push(l) });
});

after(async () => {
  await server?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `head` (and optional body chunks) on a fresh TCP connection; resolves with everything read until the server closes. */
function raw(head: string, body: Buffer[] = [], opts: { port?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(opts.port ?? server.port, '127.0.0.1');
    let out = Buffer.alloc(0);
    s.on('data', (d: Buffer) => (out = Buffer.concat([out, d])));
    s.on('error', (e) => (out.length ? resolve(out.toString('utf8')) : reject(e)));
    s.on('close', () => resolve(out.toString('utf8')));
    s.on('connect', () => {
      s.write(head);
      for (const b of body) s.write(b);
    });
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

/** A raw GET with `Connection: close`. */
function get(path: string, headers: Record<string, string> = {}): Promise<string> {
  const lines = [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return raw(lines.join('\r\n') + '\r\n\r\n');
}

function status(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

function header(response: string, name: string): string[] {
  const head = response.slice(0, response.indexOf('\r\n\r\n'));
  return head
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(name.length + 1).trim());
}

test('raw path traversal (encoded dots and slashes, backslashes, double encoding) never leaves the renderer folder', async () => {
  const t = '';
  const ok = await get(`/assets/app.js${t}`);
  assert.equal(status(ok), 200, 'sanity: a file inside is served');
  assert.equal(status(await get(`/assets/../index.html${t}`)), 200, 'a `..` that stays inside is fine');
  for (const path of [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/..%2fsecret.txt',
    '/..%2Fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/.%2e/secret.txt',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/..\\secret.txt',
    '/..%5csecret.txt',
    '/%252e%252e%252fsecret.txt',
    '/..%252fsecret.txt',
    '/%2e%2e%00/secret.txt',
    '/%zz',
  ]) {
    const r = await get(`${path}${t}`);
    assert.equal(status(r), 404, `${path}: ${r.slice(0, 80)}`);
    assert.ok(!r.includes(SECRET), `${path} leaked the file outside`);
  }
});

test('an oversized body is answered with 413 that the client reads before the connection closes', async () => {
  const big = Buffer.alloc(4 * MAX, 0x20);
  // Declared length over the limit: refused before the body is read.
  const declared = await raw(
    `POST /api/request HTTP/1.1\r\nAuthorization: Bearer ${server.token}\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`,
    [big],
  );
  assert.equal(status(declared), 413, declared.slice(0, 100) || '(nothing read: the connection was reset)');
  assert.match(declared, /request body over 65536 bytes/);
  // Chunked, no length: refused once the limit is crossed, the client still sending.
  const chunks = Array.from({ length: 8 }, () => Buffer.concat([Buffer.from(`${MAX.toString(16)}\r\n`), Buffer.alloc(MAX, 0x20), Buffer.from('\r\n')]));
  const chunked = await raw(`POST /api/request HTTP/1.1\r\nAuthorization: Bearer ${server.token}\r\nHost: 127.0.0.1:${server.port}\r\nTransfer-Encoding: chunked\r\n\r\n`, chunks);
  assert.equal(status(chunked), 413, chunked.slice(0, 100) || '(nothing read: the connection was reset)');
  // Just under the limit is read and answered.
  const body = JSON.stringify({ id: 3, name: 'app.info', args: {}, pad: ' '.repeat(MAX - 200) });
  const fine = await raw(`POST /api/request HTTP/1.1\r\nAuthorization: Bearer ${server.token}\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  assert.equal(status(fine), 200, fine.slice(0, 200));
});

test('a request whose handling fails is answered with 500 and a message, recorded, and the server goes on', async () => {
  const real = service.handle.bind(service);
  const before = server.failures;
  service.handle = async () => {
    throw new Error('injected failure');
  };
  try {
    const body = '{"id":1,"name":"app.info","args":{}}';
    const r = await raw(`POST /api/request HTTP/1.1\r\nAuthorization: Bearer ${server.token}\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.equal(status(r), 500);
    assert.match(r, /internal error: injected failure/);
    const ws = await RawSocket.open(new URL(`http://127.0.0.1:${server.port}`), wsAuth(server.token));
    assert.ok(ws instanceof RawSocket);
    ws.sendText(body);
    const reply = await ws.reply(-1);
    assert.equal(reply.ok, false);
    assert.match(reply.error!.message, /injected failure/);
    ws.end();
  } finally {
    service.handle = real;
  }
  assert.equal(server.failures, before + 2);
  assert.ok(recorded.some((w) => /^POST \/api\/request: Error: injected failure/.test(w)), recorded.join('\n'));
  assert.ok(!recorded.some((w) => w.includes(server.token)), 'the token is not written into the record');
  assert.equal(status(await get('/index.html')), 200, 'still serving');
});

test('the token opens the lab only as a Bearer header or the socket\'s token subprotocol: never as a query or a cookie, and no cookie is set', async () => {
  const body = '{"id":1,"name":"app.info","args":{}}';
  const post = (path: string, headers: Record<string, string>) =>
    raw([`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Connection: close', `Content-Length: ${body.length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n') + `\r\n\r\n${body}`);
  const ok = await post('/api/request', { Authorization: `Bearer ${server.token}` });
  assert.equal(status(ok), 200, ok.slice(0, 200));
  assert.equal(status(await post('/api/request', { Authorization: `bearer  ${server.token}` })), 200, 'the scheme is case-insensitive');
  for (const [path, headers] of [
    [`/api/request?token=${server.token}`, {}],
    ['/api/request', { Cookie: `dplab_${server.port}=${server.token}` }],
    ['/api/request', { Authorization: `Bearer ${server.token}x` }],
    ['/api/request', { Authorization: `Basic ${server.token}` }],
    ['/api/request', { Authorization: server.token }],
    ['/api/request', { Authorization: `Bearer ${server.token.toUpperCase()}` }],
    ['/api/export', { Cookie: `dplab_${server.port}=${server.token}` }],
    [`/api/export?token=${server.token}`, {}],
  ] as [string, Record<string, string>][]) {
    const r = await post(path, headers);
    assert.equal(status(r), 401, `${path} ${JSON.stringify(headers)}: ${r.slice(0, 120)}`);
    assert.ok(!r.includes('"result"'), 'nothing answered');
  }
  // The page and its assets are public (code, no data); no response sets a cookie.
  for (const r of [await get(`/?token=${server.token}`), await get('/'), ok]) {
    assert.equal(status(r) === 200 || status(r) === 0, true);
    assert.deepEqual(header(r, 'Set-Cookie'), [], 'no cookie');
  }
  // The socket: only the token subprotocol opens it; the lab's protocol is selected, never the token's.
  const url = new URL(`http://127.0.0.1:${server.port}`);
  const good = await RawSocket.open(url, wsAuth(server.token));
  assert.ok(good instanceof RawSocket, JSON.stringify(good));
  good.end();
  for (const [headers, path] of [
    [{}, `/ws?token=${server.token}`],
    [{ Cookie: `dplab_${server.port}=${server.token}` }, '/ws'],
    [{ Authorization: `Bearer ${server.token}` }, '/ws'],
    [wsAuth(`${server.token}0`), '/ws'],
    [{ 'Sec-WebSocket-Protocol': `dplab-token.x, dplab-token.${server.token}` }, '/ws'],
  ] as [Record<string, string>, string][]) {
    const refused = await RawSocket.open(url, headers, path);
    assert.ok('refused' in refused && /^HTTP\/1.1 401/.test(refused.refused), `${path} ${JSON.stringify(headers)}`);
  }
  const reply = await new Promise<string>((resolve) => {
    const s = connect(server.port, '127.0.0.1', () =>
      s.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Buffer.alloc(16, 1).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${Object.entries(wsAuth(server.token)).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`),
    );
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('\r\n\r\n')) {
        s.destroy();
        resolve(out);
      }
    });
  });
  assert.match(reply, /^HTTP\/1.1 101/);
  assert.deepEqual(header(reply, 'Sec-WebSocket-Protocol'), ['dplab'], 'the token is not echoed');
});

test('a client that abandons its upload mid-way is told in one calm line: no failure, no stack trace', async () => {
  const before = { failures: server.failures, recorded: recorded.length, notices: notices.length };
  const s = connect(server.port, '127.0.0.1');
  await new Promise((ok) => s.once('connect', ok));
  s.write(`POST /api/request HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nContent-Length: 50000\r\n\r\n${'x'.repeat(1000)}`);
  await new Promise((ok) => setTimeout(ok, 300));
  s.destroy();
  const t0 = Date.now();
  while (notices.length === before.notices && Date.now() - t0 < 5000) await new Promise((ok) => setTimeout(ok, 20));
  await new Promise((ok) => setTimeout(ok, 200));
  assert.deepEqual(recorded.slice(before.recorded), [], 'not recorded as a failure');
  assert.equal(server.failures, before.failures);
  const told = notices.slice(before.notices);
  assert.equal(told.length, 1, told.join('\n'));
  assert.match(told[0]!, /^upload aborted by client \(POST \/api\/request after 1000 of 50000 bytes\)$/);
  assert.ok(!told[0]!.includes(server.token) && !told[0]!.includes('\n'));
  // And the server goes on.
  assert.equal(status(await get('/index.html')), 200);
});

test('the CSP with frame-ancestors is a response header on every response, and not in the page\'s meta tag', async () => {
  for (const path of [`/?token=${server.token}`, '/', '/nothing', '/api/request']) {
    const [csp] = header(await get(path), 'Content-Security-Policy');
    assert.equal(csp, CSP, path);
    assert.match(csp!, /frame-ancestors 'none'/);
  }
  const html = readFileSync(new URL('../../src-renderer/index.html', import.meta.url), 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1];
  assert.ok(meta, 'the page keeps its CSP meta for the desktop app');
  assert.doesNotMatch(meta!, /frame-ancestors/, 'a meta tag cannot carry frame-ancestors (browsers warn and ignore it)');
});

test('heartbeat: every socket hears {hb} each interval; a peer that stops answering pings is dropped', async () => {
  const url = new URL(`http://127.0.0.1:${server.port}`);
  const ws = await RawSocket.open(url, wsAuth(server.token));
  assert.ok(ws instanceof RawSocket);
  const beats: number[] = [];
  while (beats.length < 3) {
    const f = await ws.next((fr) => fr.opcode === 1, 5000);
    const m = JSON.parse(f.payload.toString()) as { hb?: number };
    if (typeof m.hb === 'number') beats.push(m.hb);
  }
  assert.deepEqual(beats, [beats[0]!, beats[0]! + 1, beats[0]! + 2]);
  await ws.next((fr) => fr.opcode === 9, 5000);
  assert.equal(ws.closed, false, 'a peer that answers pings stays');
  const silent = await RawSocket.open(url, wsAuth(server.token));
  assert.ok(silent instanceof RawSocket);
  silent.answerPings = false;
  const t0 = Date.now();
  while (!silent.closed && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  assert.equal(silent.closed, true, 'the silent peer was dropped');
  assert.equal(ws.closed, false);
  ws.end();
});

test('the token file beside the archive: created owner-only, reused, tightened, replaced when malformed or rotated', () => {
  const archive = join(dir, 'tok', 'lab.sqlite');
  mkdirSync(join(dir, 'tok'));
  const file = tokenFile(archive);
  assert.equal(file, `${archive}.token`);
  const a = archiveToken(archive);
  assert.equal(a.created, true);
  assert.match(a.token, /^[0-9a-f]{32}$/);
  assert.equal(readFileSync(file, 'utf8').trim(), a.token);
  if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
  const b = archiveToken(archive);
  assert.deepEqual([b.token, b.created], [a.token, false], 'the same archive keeps its token');
  if (process.platform !== 'win32') {
    chmodSync(file, 0o644);
    assert.equal(archiveToken(archive).token, a.token);
    assert.equal(statSync(file).mode & 0o777, 0o600, 'a file others could read is tightened');
  }
  const c = archiveToken(archive, true);
  assert.notEqual(c.token, a.token, 'rotation gives a new token');
  assert.equal(readFileSync(file, 'utf8').trim(), c.token);
  writeFileSync(file, 'not a token');
  const d = archiveToken(archive);
  assert.equal(d.created, true);
  assert.match(d.token, /^[0-9a-f]{32}$/);
  const e = archiveToken(join(dir, 'no-such-folder', 'x.sqlite'));
  assert.match(e.warning ?? '', /cannot write the token file .*no-such-folder.*this run only/);
});

test('a read-only archive\'s token file goes to the per-user folder (owner-only), never beside the archive; a folder not ours is refused', () => {
  const run = join(dir, 'xdg');
  mkdirSync(run, { mode: 0o700 });
  const env = { XDG_RUNTIME_DIR: run };
  assert.equal(runtimeDir(env), join(run, 'dplab'));
  if (process.platform !== 'win32') assert.equal(runtimeDir({}), join(tmpdir(), `dplab-${process.getuid!()}`));
  const archive = join(dir, 'ro', 'lab.sqlite');
  const other = join(dir, 'ro2', 'lab.sqlite');
  mkdirSync(join(dir, 'ro'));
  const a = archiveToken(archive, false, { readOnly: true, env });
  assert.equal(a.warning, undefined);
  assert.equal(a.file, runtimeTokenFile(archive, env));
  assert.ok(a.file.startsWith(join(run, 'dplab') + '/'), a.file);
  assert.notEqual(runtimeTokenFile(other, env), a.file, 'two archives of one name keep different tokens');
  assert.equal(readFileSync(a.file, 'utf8').trim(), a.token);
  assert.throws(() => statSync(tokenFile(archive)), /ENOENT/, 'nothing beside the archive');
  if (process.platform !== 'win32') {
    assert.equal(statSync(a.file).mode & 0o777, 0o600);
    assert.equal(statSync(join(run, 'dplab')).mode & 0o777, 0o700);
  }
  assert.equal(archiveToken(archive, false, { readOnly: true, env }).token, a.token, 'reused');
  // A runtime folder someone else made first (a shared temp folder) is not used.
  if (process.platform !== 'win32' && process.getuid?.() === 0) {
    const shared = join(dir, 'shared');
    mkdirSync(join(shared, 'dplab'), { recursive: true });
    chownSync(join(shared, 'dplab'), 12345, 12345);
    const r = archiveToken(archive, false, { readOnly: true, env: { XDG_RUNTIME_DIR: shared } });
    assert.match(r.warning ?? '', /belongs to user 12345.*this run only/);
    assert.deepEqual(readdirSync(join(shared, 'dplab')), []);
  }
});
