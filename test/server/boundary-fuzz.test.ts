/**
 * A seeded fuzz of what `dplab serve` takes before the contract: raw request paths (encoded dots,
 * slashes and backslashes, NUL, overlong UTF-8, prototype names as segments), token parameters,
 * Cookie headers (prototype keys, the token as a cookie), Authorization headers and token
 * subprotocols (wrong, repeated, other schemes), Host and Origin, methods, and the same on the
 * WebSocket upgrade. Every request is answered with a 2xx/4xx (never a 500, never a hang), only the
 * token in its header (Bearer over HTTP, the subprotocol on the socket) opens the API or a socket,
 * the public static files are all that opens without it, no cookie is ever set, nothing outside the
 * renderer folder is served, no failure is recorded and Object.prototype stays clean.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from '../../src-main/service/service.ts';
import { startLabServer, type LabServer } from '../../src-main/server/server.ts';
import { rng } from './helpers.ts';

const SEED = 20261201;
const SECRET = 'FUZZ-SECRET-OUTSIDE';
let dir: string;
let service: LabService;
let server: LabServer;
const recorded: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-fuzz-'));
  const www = join(dir, 'www');
  mkdirSync(join(www, 'assets'), { recursive: true });
  writeFileSync(join(www, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(www, 'assets', 'a.js'), '1');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  service = new LabService({ archivePath: join(dir, 'a.sqlite'), transport: 'http', dataDir: join(dir, 'data') });
  server = await startLabServer({ service, rootDir: www, maxMessageBytes: 16 * 1024, onError: (w, e) => recorded.push(`${w}: ${String(e)}`) });
});

after(async () => {
  await server?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

function send(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(server.port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer in 10 s to ${JSON.stringify(text.slice(0, 200))}`));
    }, 10_000);
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    s.on('connect', () => s.write(text));
  });
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const SEGMENTS = ['..', '.', '%2e%2e', '.%2e', '%2E.', '..%2f', '..%2F', '..%5c', '..\\', '%00', '%c0%ae%c0%ae', '%ff', '%252e%252e', '%25', '__proto__', 'constructor', 'prototype', 'assets', 'a.js', 'index.html', 'secret.txt', '', '~', 'ws', 'api', 'request'];

function fuzzPath(r: () => number): string {
  const n = 1 + Math.floor(r() * 5);
  return '/' + Array.from({ length: n }, () => pick(r, SEGMENTS)).join(pick(r, ['/', '/', '/', '%2f', '\\', '//']));
}

/**
 * Credentials as a request may carry them: a query, a cookie, an Authorization header, offered
 * subprotocols. `http`/`socket`: whether they are the right token in the one place that transport
 * takes it (a Bearer header; a `dplab-token.` subprotocol, the first one offered).
 */
function fuzzAuth(r: () => number): { query: string; headers: string[]; http: boolean; socket: boolean } {
  const t = server.token;
  const query = pick(r, [`token=${t}`, `token=${t}x`, `token=wrong&token=${t}`, `__proto__[token]=${t}`, `token[]=${t}`, `constructor=${t}`, '', `token=${'%'.repeat(3)}`]);
  const cookie = pick(r, [null, null, `dplab_${server.port}=${t}`, `token=${t}`, `__proto__=${t}`, `constructor=${t}; toString=${t}`, ';;;=;=']);
  const authorization = pick(r, [
    { h: null, ok: false },
    { h: `Bearer ${t}`, ok: true },
    { h: `bearer ${t}`, ok: true },
    { h: `Bearer ${t}x`, ok: false },
    { h: `Bearer ${t.toUpperCase()}`, ok: t === t.toUpperCase() },
    { h: `Basic ${t}`, ok: false },
    { h: `Bearer ${t}, Bearer ${t}`, ok: false },
    { h: 'Bearer __proto__', ok: false },
    { h: t, ok: false },
    { h: 'Bearer ', ok: false },
  ]);
  const protocol = pick(r, [
    { h: null, ok: false },
    { h: `dplab, dplab-token.${t}`, ok: true },
    { h: `dplab-token.${t}, dplab`, ok: true },
    { h: `dplab, dplab-token.${t}x`, ok: false },
    { h: `dplab, dplab-token.x, dplab-token.${t}`, ok: false },
    { h: 'dplab', ok: false },
    { h: `dplab, ${t}`, ok: false },
    { h: `dplab, dplab-token.__proto__`, ok: false },
  ]);
  const headers: string[] = [];
  if (cookie) headers.push(`Cookie: ${cookie}`);
  if (authorization.h !== null) headers.push(`Authorization: ${authorization.h}`);
  if (protocol.h !== null) headers.push(`Sec-WebSocket-Protocol: ${protocol.h}`);
  return { query, headers, http: authorization.ok, socket: protocol.ok };
}

test(`600 fuzzed raw HTTP requests (seed ${SEED}): answered 2xx/4xx, the API opened only with the Bearer token, no cookie, nothing outside served`, async () => {
  const r = rng(SEED);
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort().join();
  const failuresBefore = server.failures;
  let opened = 0;
  for (let i = 0; i < 600; i++) {
    const { query, headers, http: auth } = fuzzAuth(r);
    const dice = r();
    const path = dice < 0.3 ? pick(r, ['/api/request', '/api/request', '/api/export']) : dice < 0.45 ? pick(r, ['/', '/index.html', '/assets/a.js', '/assets/../index.html', '/assets/%2e%2e/index.html']) : fuzzPath(r);
    const method = path.startsWith('/api/') && r() < 0.7 ? 'POST' : pick(r, ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS']);
    const host = pick(r, [`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`, `localhost:${server.port}`, `evil.example:${server.port}`, '']);
    const origin = pick(r, [null, null, `http://${host}`, 'http://evil.example', 'null']);
    const body = method === 'POST' ? pick(r, ['{"id":1,"name":"app.info","args":{}}', '{"id":1,"name":"app.info","args":{}}', '{"id":1,"name":"app.info","args":{}}', '{"id":1,"name":"__proto__","args":{}}', '{"__proto__":{"x":1}}', 'x'.repeat(20_000)]) : '';
    const api = path === '/api/request' || path === '/api/export';
    const lines = [`${method} ${path}${query ? `?${query}` : ''} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
    if (origin) lines.push(`Origin: ${origin}`);
    lines.push(...headers);
    if (body) lines.push(`Content-Length: ${body.length}`);
    const what = `#${i} ${lines.join(' | ')}`;
    const res = await send(`${lines.join('\r\n')}\r\n\r\n${body}`);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1] ?? 0);
    const hostOk = /^(127\.0\.0\.1|localhost):\d+$/.test(host);
    const originOk = origin === null || origin === `http://${host}`;
    assert.ok([200, 400, 401, 403, 404, 405, 413].includes(status), `${what} → ${res.slice(0, 120)}`);
    assert.ok(!res.includes(SECRET), `${what} served a file outside the renderer folder`);
    assert.doesNotMatch(res.slice(0, res.indexOf('\r\n\r\n')), /Set-Cookie/i, `${what} set a cookie`);
    if (!hostOk || !originOk) assert.equal(status, 403, `${what} → ${status}, expected 403`);
    else if (api && !auth) assert.equal(status, 401, `${what} → ${status}, expected 401`);
    if (api && status !== 401 && status !== 403) {
      // Past the gate (answered, refused as malformed, or too large): only ever with the token.
      opened++;
      assert.ok(auth, what);
    }
    if (api && status === 200 && path === '/api/request') assert.match(res, /"ok":true/, what);
    if (!auth) assert.doesNotMatch(res, /"ok":true/, `${what} answered a request without the token`);
  }
  assert.ok(opened > 5, `some API requests got past the gate (${opened}), so the check was exercised both ways`);
  assert.equal(server.failures, failuresBefore, recorded.join('\n'));
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort().join(), protoKeys, 'Object.prototype untouched');
  assert.equal(({} as Record<string, unknown>).token, undefined);
});

test(`200 fuzzed WebSocket upgrades (seed ${SEED + 1}): 101 only with the token subprotocol and our own Origin/Host, never echoing the token`, async () => {
  const r = rng(SEED + 1);
  let upgraded = 0;
  for (let i = 0; i < 200; i++) {
    const { query, headers, socket: auth } = fuzzAuth(r);
    const path = r() < 0.8 ? '/ws' : pick(r, ['/ws/', '/WS', '/ws%2f', '/../ws', '/__proto__', '/ws/..']);
    const origin = pick(r, [null, `http://127.0.0.1:${server.port}`, 'http://evil.example']);
    const version = pick(r, ['13', '13', '13', '8', '']);
    const key = pick(r, ['dGhlIHNhbXBsZSBub25jZQ==', 'dGhlIHNhbXBsZSBub25jZQ==', 'short', '']);
    const lines = [`GET ${path}${query ? `?${query}` : ''} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Upgrade: websocket', 'Connection: Upgrade'];
    if (key) lines.push(`Sec-WebSocket-Key: ${key}`);
    if (version) lines.push(`Sec-WebSocket-Version: ${version}`);
    if (origin) lines.push(`Origin: ${origin}`);
    lines.push(...headers);
    const what = `#${i} ${lines.join(' | ')}`;
    const res = await new Promise<string>((resolve) => {
      const s = connect(server.port, '127.0.0.1');
      let out = '';
      s.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        // A completed upgrade stays open: read the status line, then hang up.
        if (out.includes('\r\n\r\n')) s.destroy();
      });
      s.on('error', () => {});
      s.on('close', () => resolve(out));
      s.on('connect', () => s.write(`${lines.join('\r\n')}\r\n\r\n`));
      setTimeout(() => s.destroy(), 10_000).unref();
    });
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1] ?? 0);
    assert.ok([101, 400, 401, 403, 404, 426].includes(status), `${what} → ${res.slice(0, 120)}`);
    if (status === 101) {
      upgraded++;
      assert.equal(path, '/ws', what);
      assert.ok(auth, what);
      assert.ok(!res.includes(server.token), `${what}: the token was echoed`);
      assert.ok(origin === null || origin === `http://127.0.0.1:${server.port}`, what);
    }
  }
  assert.ok(upgraded > 5, `some upgrades went through (${upgraded})`);
  assert.deepEqual(recorded, []);
});
