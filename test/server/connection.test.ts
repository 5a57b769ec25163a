/**
 * A stopped or hung server shows in the page, and the page recovers, in Debian's Chromium against
 * the real `dplab serve`: the token leaves the address bar; a frozen server (SIGSTOP: sockets stay
 * open, only the heartbeat stops) and a stopped one (SIGTERM) each show "disconnected" within 2 s;
 * runs added to the archive during the gap appear once the server is back, without a reload —
 * after a full restart too, since the token is kept beside the archive and by the tab. Screenshots go to
 * test-artifacts/.
 */
import { before, after } from 'node:test';
import { browserTest as test, CHROMIUM, launchChromium } from '../browser.ts';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { openArchive } from '../../src-main/archive/archive.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { ROOT, startServe, TINY_SETUP, type Served } from './helpers.ts';

let dir: string;
let archiveFile: string;
let served: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const ARTIFACTS = join(ROOT, 'test-artifacts');

before(async () => {
  if (CHROMIUM.skip) return;
  dir = mkdtempSync(join(tmpdir(), 'dplab-conn-'));
  archiveFile = join(dir, 'archive.sqlite');
  mkdirSync(ARTIFACTS, { recursive: true });
  served = await startServe(['--archive', archiveFile, '--concurrency', '1'], { DPLAB_DATA_DIR: join(dir, 'data') });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    // Chromium logs each refused reconnect attempt while the server is down; those are expected.
    if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text())) pageErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  if (served?.child.exitCode === null) served.child.kill('SIGCONT');
  await served?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Adds a finished run straight into the archive file (the server does not know of it). */
function addRun(name: string): void {
  const a = openArchive(archiveFile);
  try {
    a.createRun({ name, setup: parseSetup(TINY_SETUP) as unknown as Record<string, unknown>, setupHash: 'test', seed: 1, status: 'completed' });
  } finally {
    a.close();
  }
}

const connection = () => page.getByTestId('connection');

// Page-side code inside page.evaluate runs in Chromium; the Node tsconfig has no DOM types.
declare const window: unknown;
declare const location: { href: string };
declare const sessionStorage: { getItem(key: string): string | null };

/** Waits until the status bar says `state`; resolves with the milliseconds it took. */
async function waitState(state: 'connected' | 'disconnected', timeout: number): Promise<number> {
  const t0 = Date.now();
  await page.locator(`[data-testid="connection"][data-state="${state}"]`).waitFor({ timeout });
  return Date.now() - t0;
}

test('the page connects and takes the token out of the address bar', async () => {
  addRun('before any gap');
  const res = await page.goto(served.url.href);
  assert.equal(res?.status(), 200);
  await waitState('connected', 30_000);
  assert.doesNotMatch(page.url(), /token=/, 'the token is not left in the address bar');
  await page.getByRole('button', { name: /Runs/ }).first().click();
  await page.getByText('before any gap').first().waitFor({ timeout: 15_000 });
});

test('a hung server (no heartbeat) shows "disconnected" within 2 s; when it wakes the page recovers and shows what changed', async () => {
  served.child.kill('SIGSTOP');
  try {
    await waitState('disconnected', 2000);
    assert.match((await connection().textContent()) ?? '', /disconnected.*stale/);
    addRun('added while the server hung');
    await page.screenshot({ path: join(ARTIFACTS, 'connection-hung.png') });
  } finally {
    served.child.kill('SIGCONT');
  }
  await waitState('connected', 20_000);
  await page.getByText('added while the server hung').first().waitFor({ timeout: 15_000 });
});

test('a stopped server shows "disconnected" within 2 s; restarted on the same archive, the tab reconnects with the kept token and shows current data', async () => {
  const port = served.url.port;
  const token = served.token;
  const stopping = served.stop();
  await waitState('disconnected', 2000);
  assert.equal(await stopping, 0);
  addRun('added while the server was down');
  await page.screenshot({ path: join(ARTIFACTS, 'connection-stopped.png') });
  served = await startServe(['--archive', archiveFile, '--concurrency', '1', '--port', port], { DPLAB_DATA_DIR: join(dir, 'data') });
  assert.equal(served.token, token, 'the same archive keeps its token');
  await waitState('connected', 20_000);
  await page.getByText('added while the server was down').first().waitFor({ timeout: 15_000 });
  // A view not loaded before the restart still loads its code.
  await page.getByRole('button', { name: /Theory/ }).first().click();
  await page.getByTestId('fixed-readout').waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('.fatal').count(), 0, 'the Theory view loaded');
  // A reload works too: the tab kept its token (sessionStorage), though the address bar no longer has it.
  const again = await page.reload();
  assert.equal(again?.status(), 200);
  await waitState('connected', 30_000);
  await page.screenshot({ path: join(ARTIFACTS, 'connection-restored.png') });
  assert.deepEqual(pageErrors, []);
});

test('the transport itself: a stall past the timeout is announced but keeps requests; silence past deadMs gives the socket up and a new one is opened', async () => {
  const bundle = await build({
    entryPoints: [join(ROOT, 'src-renderer/src/lib/transports/ws.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'DplabWs',
    platform: 'browser',
    target: 'es2022',
    write: false,
  });
  await page.evaluate(bundle.outputFiles[0]!.text + ';window.DplabWs = DplabWs;');
  type W = {
    DplabWs: { wsClient(u: string, o: unknown): Promise<{ request(n: string, a: unknown): Promise<unknown>; onConnection(l: (c: { state: string }) => void): () => void }> };
    conn: string[];
    client: { request(n: string, a: unknown): Promise<unknown> };
    stalled: Promise<string>;
  };
  await page.evaluate(async () => {
    const w = window as unknown as W;
    const c = await w.DplabWs.wsClient(location.href, { deadMs: 4000, token: sessionStorage.getItem('dplab.token') });
    w.conn = [];
    w.client = c;
    c.onConnection((ch) => w.conn.push(ch.state));
  });
  // A short stall: announced lost, the request asked during it is answered when the server wakes.
  served.child.kill('SIGSTOP');
  try {
    await page.waitForFunction(() => (window as unknown as W).conn.includes('lost'), null, { timeout: 3000, polling: 50 });
    await page.evaluate(() => {
      const w = window as unknown as W;
      w.stalled = w.client.request('app.info', {}).then(
        (i) => `answered ${(i as { transport: string }).transport}`,
        (e: Error) => `failed: ${e.message}`,
      );
    });
  } finally {
    served.child.kill('SIGCONT');
  }
  assert.equal(await page.evaluate(() => (window as unknown as W).stalled), 'answered http');
  assert.deepEqual(await page.evaluate(() => (window as unknown as W).conn), ['lost', 'restored']);
  // A long one: the socket is given up (the request in flight fails), a new one opens once the server answers.
  served.child.kill('SIGSTOP');
  try {
    await page.evaluate(() => {
      const w = window as unknown as W;
      w.stalled = w.client.request('app.info', {}).then(
        () => 'answered',
        (e: Error) => `failed: ${e.message}`,
      );
    });
    assert.match(await page.evaluate(() => (window as unknown as W).stalled), /failed: the connection to the lab was lost \(no heartbeat/);
  } finally {
    served.child.kill('SIGCONT');
  }
  await page.waitForFunction(() => (window as unknown as W).conn.length === 4 && (window as unknown as W).conn[3] === 'restored', null, { timeout: 20_000, polling: 100 });
  assert.deepEqual(await page.evaluate(() => (window as unknown as W).conn), ['lost', 'restored', 'lost', 'restored']);
  assert.equal(await page.evaluate(() => (window as unknown as W).client.request('app.info', {}).then(() => 'ok')), 'ok');
});
