/**
 * The lab's HTTP + WebSocket server in-process (a real LabService on a temp archive, a temp renderer
 * folder), probed with RAW requests over node:net: nothing normalises the path before the server's
 * own check, so the traversal cases escape if that check is removed. Also: 413 that the client can
 * read, a failing request answered with 500 and recorded, sessions instead of a token cookie, the CSP
 * header, the heartbeat, and the token file beside the archive.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from '../../src-main/service/service.ts';
import { CSP, sessionCookieName, startLabServer, type LabServer } from '../../src-main/server/server.ts';
import { archiveToken, cookieValue, Sessions, tokenFile } from '../../src-main/server/token.ts';
import { RawSocket } from './helpers.ts';

let dir: string;
let www: string;
let service: LabService;
let server: LabServer;
const recorded: string[] = [];
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
  server = await startLabServer({ service, rootDir: www, maxMessageBytes: MAX, heartbeatMs: 50, onError: (what, e) => recorded.push(`${what}: ${(e as Error).message}`) });
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
  const t = `?token=${server.token}`;
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
    `POST /api/request?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`,
    [big],
  );
  assert.equal(status(declared), 413, declared.slice(0, 100) || '(nothing read: the connection was reset)');
  assert.match(declared, /request body over 65536 bytes/);
  // Chunked, no length: refused once the limit is crossed, the client still sending.
  const chunks = Array.from({ length: 8 }, () => Buffer.concat([Buffer.from(`${MAX.toString(16)}\r\n`), Buffer.alloc(MAX, 0x20), Buffer.from('\r\n')]));
  const chunked = await raw(`POST /api/request?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nTransfer-Encoding: chunked\r\n\r\n`, chunks);
  assert.equal(status(chunked), 413, chunked.slice(0, 100) || '(nothing read: the connection was reset)');
  // Just under the limit is read and answered.
  const body = JSON.stringify({ id: 3, name: 'app.info', args: {}, pad: ' '.repeat(MAX - 200) });
  const fine = await raw(`POST /api/request?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
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
    const r = await raw(`POST /api/request?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.equal(status(r), 500);
    assert.match(r, /internal error: injected failure/);
    const ws = await RawSocket.open(new URL(`http://127.0.0.1:${server.port}`), {}, `/ws?token=${server.token}`);
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
  assert.ok(recorded.some((w) => /^POST \/api\/request\?token=…: injected failure/.test(w)), recorded.join('\n'));
  assert.ok(!recorded.some((w) => w.includes(server.token)), 'the token is not written into the record');
  assert.equal(status(await get(`/index.html?token=${server.token}`)), 200, 'still serving');
});

test('the token is exchanged for a session cookie bound to the port; the token itself never works as a cookie', async () => {
  const first = await get(`/?token=${server.token}`);
  assert.equal(status(first), 200);
  const [setCookie] = header(first, 'Set-Cookie');
  assert.ok(setCookie, 'a session cookie is set');
  const name = sessionCookieName(server.port);
  assert.match(setCookie!, new RegExp(`^${name}=[A-Za-z0-9_-]{32}; HttpOnly; SameSite=Strict; Path=/$`));
  const session = setCookie!.split(';')[0]!.slice(name.length + 1);
  assert.ok(!session.includes(server.token) && session !== server.token);
  assert.equal(status(await get('/index.html', { Cookie: `${name}=${session}` })), 200, 'the session opens the page');
  assert.deepEqual(header(await get('/index.html', { Cookie: `${name}=${session}` }), 'Set-Cookie'), [], 'no new session for a live one');
  for (const cookie of [`${name}=${server.token}`, `dplab_token_${server.port}=${server.token}`, `${name}x=${session}`, `${name}=${session}x`, `__proto__=${session}`, `constructor=${session}`]) {
    assert.equal(status(await get('/index.html', { Cookie: cookie })), 401, cookie);
  }
  // The socket: accepted with the session alone; opened with the token it starts a session too.
  const url = new URL(`http://127.0.0.1:${server.port}`);
  const viaCookie = await RawSocket.open(url, { Cookie: `${name}=${session}` });
  assert.ok(viaCookie instanceof RawSocket, JSON.stringify(viaCookie));
  viaCookie.end();
  const refused = await RawSocket.open(url, { Cookie: `${name}=${server.token}` });
  assert.ok('refused' in refused && /^HTTP\/1.1 401/.test(refused.refused));
  // A second lab on another port does not take this one's session.
  const other = await startLabServer({ service, rootDir: www });
  try {
    assert.equal(status(await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${other.port}\r\nConnection: close\r\nCookie: ${sessionCookieName(other.port)}=${session}\r\n\r\n`, [], { port: other.port })), 401);
  } finally {
    await other.close();
  }
});

test('the CSP with frame-ancestors is a response header on every response, and not in the page\'s meta tag', async () => {
  for (const path of [`/?token=${server.token}`, '/', `/nothing?token=${server.token}`]) {
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
  const ws = await RawSocket.open(url, {}, `/ws?token=${server.token}`);
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
  const silent = await RawSocket.open(url, {}, `/ws?token=${server.token}`);
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

test('sessions are capped (oldest out first) and cookie parsing takes the first of a repeated name, never a prototype key', () => {
  const s = new Sessions(3);
  const ids = [s.open(), s.open(), s.open(), s.open()];
  assert.equal(s.size, 3);
  assert.equal(s.has(ids[0]), false, 'the oldest went');
  assert.ok(ids.slice(1).every((id) => s.has(id)));
  assert.equal(s.has('__proto__'), false);
  assert.equal(s.has(undefined), false);
  assert.equal(cookieValue('a=1; b=2; a=3', 'a'), '1');
  assert.equal(cookieValue('__proto__=x', 'toString'), undefined);
  assert.equal(cookieValue('=x; ;b', 'b'), undefined);
  assert.equal(cookieValue(undefined, 'a'), undefined);
});
