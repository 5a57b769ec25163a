/**
 * The session stays on the lab's port. Real Chromium opens the lab from the URL `dplab serve`
 * printed and uses it; then the same browser visits another web server on 127.0.0.1 (another port:
 * browsers send cookies to every port of a host), top-level, in a new tab and as subresources. That
 * server records every header the browser sent it and replays them against the lab, as any local
 * server the user visits could: each replay must be refused (401 over HTTP, the socket not opened),
 * and the token must appear nowhere in what the other server received.
 */
import { before, after } from 'node:test';
import { browserTest as test, CHROMIUM, launchChromium } from '../browser.ts';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ensureRendererBuild } from '../ui/harness.ts';
import { RawSocket, startServe, wsAuth, type Served } from '../server/helpers.ts';

let dir: string;
let lab: Served;
let other: Server;
let otherPort: number;
let browser: Browser;
/** Every request the other server received: its request line and headers as the browser sent them. */
const seen: { line: string; headers: IncomingHttpHeaders }[] = [];

before(async () => {
  if (CHROMIUM.skip) return;
  ensureRendererBuild();
  dir = mkdtempSync(join(tmpdir(), 'dplab-port-'));
  lab = await startServe(['--archive', join(dir, 'archive.sqlite')], { DPLAB_DATA_DIR: join(dir, 'data') });
  other = createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, headers: { ...req.headers } });
    if ((req.url ?? '').split('?')[0] === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      // Subresources and a credentialed fetch back to this server, the ways a page makes a browser send cookies.
      res.end(`<!doctype html><title>another local server</title><img src="/pixel.png"><script src="/x.js"></script>
<script>fetch('/fetched', { credentials: 'include' }).then(() => { document.title = 'done'; });</script>`);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((ok) => other.listen(0, '127.0.0.1', ok));
  otherPort = (other.address() as AddressInfo).port;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (other) await new Promise((ok) => other.close(ok));
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** True in the other server's page once its credentialed fetch came back (runs in the browser). */
const loaded = () => (globalThis as unknown as { document: { title: string } }).document.title === 'done';

/** POSTs runs.list to the lab with exactly `headers` (plus the lab's Host and the body's length). */
function labRequest(headers: IncomingHttpHeaders): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ id: 1, name: 'runs.list', args: {} });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: Number(lab.url.port), path: '/api/request', method: 'POST', headers: { ...headers, host: lab.url.host, 'content-length': String(Buffer.byteLength(body)), 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers a replaying server would forward: all the browser sent, less those of the connection itself. */
function replayable(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || ['host', 'connection', 'content-length', 'transfer-encoding', 'upgrade'].includes(k) || k.startsWith('sec-websocket')) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

test('what a browser that uses the lab sends to another server on 127.0.0.1 opens nothing in the lab', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(lab.url.href);
  await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 30_000 });
  // The page really talks to the lab: a view with data loads.
  await page.getByRole('button', { name: /Runs/ }).first().click();
  assert.doesNotMatch(page.url(), /token=/);
  // The same tab, then a second tab, visit the other server; the lab's page stays open in the first.
  const second = await context.newPage();
  await second.goto(`http://127.0.0.1:${otherPort}/`);
  await second.waitForFunction(loaded, null, { timeout: 10_000 });
  await page.goto(`http://127.0.0.1:${otherPort}/?from=lab-tab`);
  await page.waitForFunction(loaded, null, { timeout: 10_000 });
  // And back to the lab in the same tab (the token is kept by that tab), then away again.
  await page.goBack();
  await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 30_000 });
  await page.goto(`http://127.0.0.1:${otherPort}/?again`);
  await page.waitForFunction(loaded, null, { timeout: 10_000 });
  await context.close();

  assert.ok(seen.length >= 9, `the other server was visited: ${seen.map((s) => s.line).join(', ')}`);
  const everything = JSON.stringify(seen);
  assert.ok(!everything.includes(lab.token), 'the token never reached the other server');
  const withCookies = seen.filter((s) => s.headers.cookie);
  for (const s of seen) {
    const headers = replayable(s.headers);
    const r = await labRequest(headers);
    assert.equal(r.status, 401, `${s.line} replayed (${JSON.stringify(headers)}): ${r.body.slice(0, 200)}`);
    // The socket: the same headers on an upgrade, with and without the browser's Origin.
    for (const h of [headers, { ...headers, origin: lab.url.origin }]) {
      const ws = await RawSocket.open(lab.url, h);
      if (ws instanceof RawSocket) ws.end();
      assert.ok(!(ws instanceof RawSocket) && /^HTTP\/1.1 40[13]/.test(ws.refused), `${s.line}: the socket opened with ${JSON.stringify(h)}`);
    }
  }
  // Control: the replay path itself works when it carries the credential the page keeps to itself.
  assert.equal((await labRequest({ authorization: `Bearer ${lab.token}` })).status, 200);
  const ws = await RawSocket.open(lab.url, wsAuth(lab.token));
  assert.ok(ws instanceof RawSocket, JSON.stringify(ws));
  ws.end();
  // Said for the record: the browser sent this many cookies along (none, with the session bound to its server).
  assert.deepEqual(withCookies.map((s) => s.headers.cookie), []);
});
