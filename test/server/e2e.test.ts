/**
 * End to end in Debian's Chromium against the real `dplab serve`: the page loads under its CSP with
 * no errors, the renderer's own WebSocket transport (src-renderer/src/lib/transports/ws.ts, bundled
 * as the renderer bundles it) connects with the page's token, a tiny run started through the
 * contract streams its progress to the page and lands in the archive. Screenshots go to
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
import { ROOT, startServe, TINY_SETUP, type Served } from './helpers.ts';

// Page-side code inside page.evaluate/waitForFunction runs in Chromium; the Node tsconfig has no DOM types.
declare const window: unknown;
declare const location: { href: string };
declare const sessionStorage: { getItem(key: string): string | null };

let dir: string;
let served: Served;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const ARTIFACTS = join(ROOT, 'test-artifacts');

before(async () => {
  if (CHROMIUM.skip) return;
  dir = mkdtempSync(join(tmpdir(), 'dplab-e2e-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  served = await startServe(['--archive', join(dir, 'archive.sqlite'), '--concurrency', '1'], { DPLAB_DATA_DIR: join(dir, 'data') });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    // No exceptions: frame-ancestors is sent as a header only, so the page loads without a CSP warning.
    if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close();
  await served?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Puts the renderer's WebSocket transport, exactly as written, into the page as window.DplabWs. */
async function injectTransport(): Promise<void> {
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
}

test('the page loads from dplab serve without errors', async () => {
  const res = await page.goto(served.url.href);
  assert.equal(res?.status(), 200);
  await page.getByText('DirectPred Lab').first().waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'serve-home.png') });
  assert.deepEqual(pageErrors, []);
});

test('a tiny run started through the renderer\'s WebSocket client streams progress to the page and lands in the archive', async () => {
  await injectTransport();
  const started = await page.evaluate(async (setup) => {
    const w = window as unknown as { DplabWs: { wsClient(u: string, o: unknown): Promise<{ transport: string; request(n: string, a: unknown): Promise<unknown>; onEvent(l: (e: unknown) => void): () => void }> }; events: unknown[] };
    // The token the page took out of its address bar and keeps for this tab.
    const client = await w.DplabWs.wsClient(location.href, { token: sessionStorage.getItem('dplab.token') });
    w.events = [];
    client.onEvent((e) => w.events.push(e));
    const info = (await client.request('app.info', {})) as { transport: string; contractVersion: number };
    const bad = await client.request('runs.get', { runId: '' }).then(
      () => null,
      (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
    );
    const { runId } = (await client.request('runs.start', { setup, name: 'e2e tiny' })) as { runId: string };
    return { runId, transport: client.transport, info, bad };
  }, TINY_SETUP);
  assert.equal(started.transport, 'http');
  assert.equal(started.info.transport, 'http');
  assert.equal(started.bad?.code, 'invalid-args', 'an invalid request is refused with the contract error');
  await page.waitForFunction(
    (runId) => (window as unknown as { events: { type: string; runId?: string; status?: string }[] }).events.some((e) => e.type === 'run.status' && e.runId === runId && !['queued', 'running'].includes(e.status!)),
    started.runId,
    { timeout: 120_000, polling: 200 },
  );
  const events = (await page.evaluate(() => (window as unknown as { events: unknown[] }).events)) as { type: string; runId?: string; status?: string; step?: number; events?: { type: string }[] }[];
  const mine = events.filter((e) => e.runId === started.runId);
  const progress = mine.filter((e) => e.type === 'run.progress').map((e) => e.step!);
  assert.ok(progress.length >= 2, `progress events reached the page: ${progress.join(',')}`);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
  assert.equal(progress.at(-1), 8);
  const metricKinds = new Set(mine.filter((e) => e.type === 'run.metrics').flatMap((e) => e.events!.map((x) => x.type)));
  assert.ok(metricKinds.has('scalars') && metricKinds.has('spectra') && metricKinds.has('eval'), [...metricKinds].join(','));
  assert.deepEqual(mine.filter((e) => e.type === 'run.status').map((e) => e.status), ['queued', 'running', 'completed']);
  const a = openArchive(join(dir, 'archive.sqlite'), { readonly: true });
  try {
    const r = a.getRun(started.runId)!;
    assert.equal(r.status, 'completed');
    assert.equal(r.name, 'e2e tiny');
    assert.equal(r.lastStep, 8);
    assert.ok(r.summary && r.summary.steps === 8);
  } finally {
    a.close();
  }
  // The renderer's own views, now with a run in the archive.
  await page.reload();
  await page.getByText('Runs', { exact: true }).first().click();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(ARTIFACTS, 'serve-runs.png') });
  assert.deepEqual(pageErrors, []);
});

test('when the server stops, the page\'s requests fail with a clear error instead of hanging', async () => {
  await injectTransport();
  await page.evaluate(async () => {
    const w = window as unknown as { DplabWs: { wsClient(u: string, o: unknown): Promise<unknown> }; client2: unknown };
    w.client2 = await w.DplabWs.wsClient(location.href, { token: sessionStorage.getItem('dplab.token') });
  });
  assert.equal(await served.stop(), 0);
  const message = await page.evaluate(async () => {
    const c = (window as unknown as { client2: { request(n: string, a: unknown): Promise<unknown> } }).client2;
    // Give the socket a moment to see the close, then ask.
    await new Promise((r) => setTimeout(r, 300));
    return c.request('app.info', {}).then(
      () => 'answered',
      (e: Error) => e.message,
    );
  });
  assert.match(message, /cannot connect to the lab|connection to the lab was lost|lab is not connected/);
});
