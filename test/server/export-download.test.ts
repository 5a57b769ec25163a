/**
 * The web mode's export download (issue 25, "exports only as streams"): POST /api/export serves an
 * export larger than the 16 MiB a runs.export reply may hold, byte for byte what the archive's
 * export holds, while the server's heap grows by a small part of it (the body leaves one run at a
 * time with back-pressure); a missing or wrong token and hostile bodies are refused before any run
 * is read, each with a status and a message that names the problem.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LabService } from '../../src-main/service/service.ts';
import { startLabServer, type LabServer } from '../../src-main/server/server.ts';
import { exportDigest, fillManyRuns } from './many-runs.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** 400 runs of 1,000 steps of two metrics: about 19.5 MB of JSON, past the 16 MiB reply limit. */
const RUNS = 400;
const STEPS = 1000;
const REPLY_LIMIT = 16 * 1024 * 1024;

let dir: string;
let file: string;
let uuids: string[];
let service: LabService;
let server: LabServer;
let api: URL;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-export-download-'));
  file = join(dir, 'big.sqlite');
  uuids = fillManyRuns(file, RUNS, STEPS);
  service = new LabService({ archivePath: file, transport: 'http' });
  server = await startLabServer({ service, rootDir: dir, port: 0 });
  api = new URL('/api/export', server.url);
});

after(async () => {
  await server?.close();
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (body: string, headers: Record<string, string> = { Authorization: `Bearer ${server.token}` }, url: URL | string = api) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

test('an export past the one-reply limit arrives complete and byte-exact while the server heap stays bounded', { timeout: 300_000 }, async (t) => {
  // Warm up the export path (modules, statements) so the measurement sees the stream, not first use.
  const warm = await post(JSON.stringify({ runIds: uuids.slice(0, 2), format: 'json' }));
  assert.equal(warm.status, 200, await warm.clone().text());
  await warm.arrayBuffer();

  // What the archive's own export holds, as a hash (nothing of it kept).
  const { sha256: expected, bytes: expectedBytes } = exportDigest(file, uuids);
  assert.ok(expectedBytes > REPLY_LIMIT, `the export (${expectedBytes} bytes) is larger than one reply may be`);

  gc();
  const base = process.memoryUsage();
  let heapPeak = 0;
  let rssPeak = 0;
  const res = await post(JSON.stringify({ runIds: uuids, format: 'json' }));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="runs-\d{4}-\d\d-\d\d\.json"$/);
  assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  const got = createHash('sha256');
  let bytes = 0;
  let parts = 0;
  let runStarts = 0;
  let tail = '';
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    got.update(part);
    bytes += part.length;
    // Each run bundle starts a line; counted across part boundaries through a short tail.
    const text = tail + Buffer.from(part).toString('latin1');
    runStarts += text.split('\n{"format":"dplab-run"').length - 1;
    tail = text.slice(-24);
    if (++parts % 64 === 0) {
      gc();
      const m = process.memoryUsage();
      heapPeak = Math.max(heapPeak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
      rssPeak = Math.max(rssPeak, m.rss - base.rss);
    }
  }
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  t.diagnostic(`exported ${mib(bytes)} in ${parts} parts; heap+buffers growth peak ${mib(heapPeak)}, RSS growth peak ${mib(rssPeak)}`);
  assert.equal(bytes, expectedBytes, 'the body is complete');
  assert.equal(got.digest('hex'), expected, 'the body is byte for byte the archive export');
  assert.equal(runStarts, RUNS, 'one bundle per run');
  assert.ok(parts > 1, 'the body arrived in parts');
  // The claim: the export is never held whole. Streaming measured 0.7–1.1 MiB of heap for 18.7 MiB
  // on a quiet machine, and 8.6 MiB once in a loaded CI run (client and server share this process,
  // so a descheduled reader lets its side queue up); the same server building the body whole first
  // grew it by more than the body. So the bound is the body's own size, on the heap and its
  // buffers only: RSS is reported, not bounded, because the allocator keeps freed pages (a clean
  // clone once saw 38.2 MiB of RSS growth while the heap stayed within bounds).
  assert.ok(heapPeak < bytes, `heap and buffers grew by ${mib(heapPeak)} while streaming ${mib(bytes)}`);
});

test('a missing or wrong token, or the token in the URL, is refused before any run is read', async () => {
  const body = JSON.stringify({ runIds: uuids.slice(0, 1), format: 'json' });
  const wrong = server.token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
  for (const [what, headers, url] of [
    ['no Authorization header', {}, api],
    ['a wrong token', { Authorization: `Bearer ${wrong}` }, api],
    ['the token with a suffix', { Authorization: `Bearer ${server.token}0` }, api],
    ['another scheme', { Authorization: `Basic ${server.token}` }, api],
    ['the token as a query', {}, `${api.href}?token=${server.token}`],
  ] as [string, Record<string, string>, URL | string][]) {
    const r = await post(body, headers, url);
    assert.equal(r.status, 401, what);
    const text = await r.text();
    assert.match(text, /missing or wrong token/, what);
    assert.equal(r.headers.get('content-disposition'), null, `${what}: no attachment`);
  }
});

test('hostile bodies are refused with a status and a message naming the problem; the server serves on', async () => {
  const ok = uuids.slice(0, 1);
  const cases: [string, string, number, RegExp][] = [
    ['not JSON', '{"runIds": [', 400, /the export arguments are not JSON/],
    ['a __proto__ key', `{"runIds":${JSON.stringify(ok)},"format":"json","__proto__":{"polluted":true}}`, 400, /'__proto__' may not be a key/],
    ['a nested constructor key', `{"runIds":${JSON.stringify(ok)},"format":"json","what":{"constructor":{"prototype":{"polluted":true}}}}`, 400, /'constructor' may not be a key/],
    ['an unknown format', JSON.stringify({ runIds: ok, format: 'exe' }), 400, /format/],
    ['no runs', JSON.stringify({ runIds: [], format: 'json' }), 400, /runIds/],
    ['too many runs', JSON.stringify({ runIds: Array.from({ length: 10_001 }, (_, i) => `r${i}`), format: 'ndjson' }), 400, /runIds/],
    ['ids that are not strings', JSON.stringify({ runIds: [{ $gt: '' }], format: 'json' }), 400, /runIds/],
    ['an unknown run', JSON.stringify({ runIds: [...ok, '../../etc/passwd'], format: 'json' }), 404, /no run \.\.\/\.\.\/etc\/passwd in .*big\.sqlite/],
    ['a body over the request limit', JSON.stringify({ runIds: ok, format: 'json', pad: 'x'.repeat(5 * 1024 * 1024) }), 413, /request body over \d+ bytes/],
  ];
  for (const [what, body, status, message] of cases) {
    const r = await post(body);
    const text = await r.text();
    assert.equal(r.status, status, `${what}: ${text.slice(0, 200)}`);
    assert.match(text, message, what);
    assert.equal(r.headers.get('content-disposition'), null, `${what}: no attachment`);
  }
  assert.equal(({} as { polluted?: unknown }).polluted, undefined, 'no prototype was touched');
  // Only POST: a GET (a link, an <img>) exports nothing.
  const get = await fetch(api, { headers: { Authorization: `Bearer ${server.token}` } });
  assert.equal(get.status, 405);
  await get.arrayBuffer();
  // The server still exports after all of that.
  const after = await post(JSON.stringify({ runIds: uuids.slice(0, 3), format: 'ndjson' }));
  assert.equal(after.status, 200);
  assert.equal((await after.text()).trim().split('\n').length, 3);
});
