/**
 * A seeded fuzz of what `dplab serve` takes before the contract: raw request paths (encoded dots,
 * slashes and backslashes, NUL, overlong UTF-8, prototype names as segments), token parameters,
 * Cookie headers (prototype keys, the token as a cookie, repeated and foreign names), Host and
 * Origin, methods, and the same on the WebSocket upgrade. Every request is answered with a 2xx/4xx
 * (never a 500, never a hang), only a valid token or live session opens anything, nothing outside
 * the renderer folder is served, no failure is recorded and Object.prototype stays clean.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabService } from '../../src-main/service/service.ts';
import { sessionCookieName, startLabServer, type LabServer } from '../../src-main/server/server.ts';
import { rng } from './helpers.ts';

const SEED = 20261201;
const SECRET = 'FUZZ-SECRET-OUTSIDE';
let dir: string;
let service: LabService;
let server: LabServer;
let session: string;
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
  const first = await send(`GET /?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`);
  session = /Set-Cookie: [^=]+=([^;]+)/i.exec(first)![1]!;
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

type Auth = 'token' | 'session' | 'none';

function fuzzAuth(r: () => number): { query: string; cookie: string | null; auth: Auth } {
  const name = sessionCookieName(server.port);
  const tokenParam = pick(r, [
    { q: `token=${server.token}`, ok: true },
    { q: `token=${server.token}x`, ok: false },
    { q: `token=${server.token.toUpperCase()}`, ok: server.token === server.token.toUpperCase() },
    { q: `token=wrong&token=${server.token}`, ok: false },
    { q: `__proto__[token]=${server.token}`, ok: false },
    { q: `token[]=${server.token}`, ok: false },
    { q: `constructor=${server.token}`, ok: false },
    { q: '', ok: false },
    { q: `token=${'%'.repeat(3)}`, ok: false },
  ]);
  const cookie = pick(r, [
    { c: null, ok: false },
    { c: `${name}=${session}`, ok: true },
    { c: `${name}=${server.token}`, ok: false },
    { c: `dplab_token_${server.port}=${server.token}`, ok: false },
    { c: `${name}=x; ${name}=${session}`, ok: false },
    { c: `${name}=${session}; ${name}=x`, ok: true },
    { c: `__proto__=${session}`, ok: false },
    { c: `constructor=${session}; toString=${session}; hasOwnProperty=1`, ok: false },
    { c: `${name}=${session.slice(1)}`, ok: false },
    { c: `dplab_1=${session}`, ok: false },
    { c: ';;;=;=', ok: false },
  ]);
  const auth: Auth = tokenParam.ok ? 'token' : cookie.ok ? 'session' : 'none';
  return { query: tokenParam.q, cookie: cookie.c, auth };
}

test(`600 fuzzed raw HTTP requests (seed ${SEED}): answered 2xx/4xx, opened only with the token or a live session, nothing outside served`, async () => {
  const r = rng(SEED);
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort().join();
  const failuresBefore = server.failures;
  let opened = 0;
  for (let i = 0; i < 600; i++) {
    const { query, cookie, auth } = fuzzAuth(r);
    const method = pick(r, ['GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS']);
    const dice = r();
    const path = dice < 0.1 ? '/api/request' : dice < 0.35 ? pick(r, ['/', '/index.html', '/assets/a.js', '/assets/../index.html', '/assets/%2e%2e/index.html']) : fuzzPath(r);
    const host = pick(r, [`127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`, `localhost:${server.port}`, `evil.example:${server.port}`, '']);
    const origin = pick(r, [null, null, `http://${host}`, 'http://evil.example', 'null']);
    const body = method === 'POST' ? pick(r, ['{"id":1,"name":"app.info","args":{}}', '{"id":1,"name":"__proto__","args":{}}', '{"__proto__":{"x":1}}', 'x'.repeat(20_000)]) : '';
    const lines = [`${method} ${path}${query ? `?${query}` : ''} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
    if (origin) lines.push(`Origin: ${origin}`);
    if (cookie) lines.push(`Cookie: ${cookie}`);
    if (body) lines.push(`Content-Length: ${body.length}`);
    const what = `#${i} ${lines.join(' | ')}`;
    const res = await send(`${lines.join('\r\n')}\r\n\r\n${body}`);
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1] ?? 0);
    const hostOk = /^(127\.0\.0\.1|localhost):\d+$/.test(host);
    const originOk = origin === null || origin === `http://${host}`;
    assert.ok([200, 400, 401, 403, 404, 405, 413].includes(status), `${what} → ${res.slice(0, 120)}`);
    assert.ok(!res.includes(SECRET), `${what} served a file outside the renderer folder`);
    if (!hostOk || !originOk) assert.equal(status, 403, `${what} → ${status}, expected 403`);
    else if (auth === 'none') assert.equal(status, 401, `${what} → ${status}, expected 401`);
    if (status === 200) {
      opened++;
      assert.notEqual(auth, 'none', what);
      if (method === 'POST') assert.match(res, /"ok":true/, what);
    }
  }
  assert.ok(opened > 5, `some requests were let in (${opened}), so the check was exercised both ways`);
  assert.equal(server.failures, failuresBefore, recorded.join('\n'));
  assert.equal(Object.getOwnPropertyNames(Object.prototype).sort().join(), protoKeys, 'Object.prototype untouched');
  assert.equal(({} as Record<string, unknown>).token, undefined);
});

test(`200 fuzzed WebSocket upgrades (seed ${SEED + 1}): 101 only with the token or a live session and our own Origin/Host`, async () => {
  const r = rng(SEED + 1);
  let upgraded = 0;
  for (let i = 0; i < 200; i++) {
    const { query, cookie, auth } = fuzzAuth(r);
    const path = r() < 0.8 ? '/ws' : pick(r, ['/ws/', '/WS', '/ws%2f', '/../ws', '/__proto__', '/ws/..']);
    const origin = pick(r, [null, `http://127.0.0.1:${server.port}`, 'http://evil.example']);
    const version = pick(r, ['13', '13', '13', '8', '']);
    const key = pick(r, ['dGhlIHNhbXBsZSBub25jZQ==', 'dGhlIHNhbXBsZSBub25jZQ==', 'short', '']);
    const lines = [`GET ${path}${query ? `?${query}` : ''} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, 'Upgrade: websocket', 'Connection: Upgrade'];
    if (key) lines.push(`Sec-WebSocket-Key: ${key}`);
    if (version) lines.push(`Sec-WebSocket-Version: ${version}`);
    if (origin) lines.push(`Origin: ${origin}`);
    if (cookie) lines.push(`Cookie: ${cookie}`);
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
      assert.notEqual(auth, 'none', what);
      assert.ok(origin === null || origin === `http://127.0.0.1:${server.port}`, what);
    }
  }
  assert.ok(upgraded > 5, `some upgrades went through (${upgraded})`);
  assert.deepEqual(recorded, []);
});
