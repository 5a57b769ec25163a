/**
 * What every Chromium end-to-end test of the UI needs: the renderer built from this checkout (by
 * `npm test`, before the UI files start), this machine's Chromium (test/browser.ts; the tests skip
 * without one, except under CI) with headless flags, and a real `dplab serve` over an archive of
 * the test's own. UI files import `browserTest as test` from test/browser.ts.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { rendererBuildProblem } from '../../scripts/renderer-build.mjs';
import { CHROMIUM, launchChromium } from '../browser.ts';

/** The checkout's root folder. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Fails, saying what to run, unless dist/renderer is built from the current sources. It never builds:
 * UI test files run in parallel, and `npm test` builds the renderer once before any of them starts.
 */
export function ensureRendererBuild(): void {
  const problem = rendererBuildProblem();
  assert.equal(problem, null, `${problem}: run \`npm run build:renderer\` (\`npm test\` builds it before the UI test files)`);
}

/** A running `dplab serve`: its process, its tokenised URL and what it wrote to stderr so far. */
export interface ServedLab {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** What a served lab does beyond its `dplab serve` arguments. */
export interface LabOptions {
  /**
   * Let estimates start probe runs (default off: a fresh archive opens on Compose, whose estimate of
   * the large default would train it in the background of every test that does not test the probe).
   */
  estimateProbes?: boolean;
}

/** Starts `dplab serve` on a random loopback port over `archive` (plus `args`); resolves once it printed its URL. */
export async function serveLab(archive: string, args: readonly string[] = [], opts: LabOptions = {}): Promise<ServedLab> {
  const probes = opts.estimateProbes ? [] : ['--no-estimate-probes'];
  // One wasm thread a run unless the file asks otherwise: npm test runs two files at once on two
  // cores, and a small model's run on two threads spends about three times the CPU of one.
  const threads = args.includes('--threads') ? [] : ['--threads', '1'];
  const child = spawn(process.execPath, ['bin/dplab.mjs', 'serve', '--port', '0', '--no-open', '--archive', archive, ...probes, ...threads, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`dplab serve printed no URL in 90 s: ${err}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\w+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`dplab serve exited (${code}): ${err}`)));
  });
  return { child, url, stderr: () => err };
}

/**
 * Installed in every page before the app loads: counts what the page is still waiting for, so a
 * test can wait for a view to finish drawing on a condition instead of a stretch of unchanged text.
 * In flight: socket requests sent ({id, name, args}) without a reply ({id, ok}) yet, and timers of
 * at most 2 s (the app's debounces and coalesced reloads, up to Compare's 1.5 s) not yet fired or
 * cleared; longer ones (a toast's 4 s, a download's cleanup) do not draw a view. `__labPending()`
 * answers the count.
 */
const PENDING_PROBE = `(() => {
  const requests = new Set();
  const timers = new Set();
  Object.defineProperty(globalThis, '__labPending', { value: () => requests.size + timers.size });
  const send = WebSocket.prototype.send;
  const watched = new WeakSet();
  WebSocket.prototype.send = function (data) {
    let msg = null;
    try { msg = JSON.parse(data); } catch {}
    if (msg && typeof msg.id === 'number' && typeof msg.name === 'string') {
      requests.add(msg.id);
      if (!watched.has(this)) {
        watched.add(this);
        this.addEventListener('message', (ev) => {
          try { const r = JSON.parse(ev.data); if (r && typeof r.id === 'number') requests.delete(r.id); } catch {}
        });
        this.addEventListener('close', () => requests.clear());
      }
    }
    return send.call(this, data);
  };
  const setT = globalThis.setTimeout;
  const clearT = globalThis.clearTimeout;
  globalThis.setTimeout = function (fn, ms, ...rest) {
    if (typeof fn !== 'function') return setT(fn, ms, ...rest);
    const h = setT(function (...a) { timers.delete(h); return fn.apply(this, a); }, ms, ...rest);
    if ((Number(ms) || 0) <= 2000) timers.add(h);
    return h;
  };
  globalThis.clearTimeout = function (h) { timers.delete(h); return clearT(h); };
})()`;

/** How many requests and short timers (PENDING_PROBE) the page is still waiting for. */
export async function pendingWork(page: Page): Promise<number> {
  return (await page.evaluate('globalThis.__labPending()')) as number;
}

/** A page on a running lab: close() ends the browser and the server (and waits for it to exit). */
export interface LabPage {
  page: Page;
  browser: Browser;
  /** The address `dplab serve` printed (with its token). */
  url: string;
  server: ServedLab;
  /** Uncaught errors of the page, for the test to assert empty. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * The renderer built, `dplab serve` over `archive` (with `serveArgs`), Chromium on it at `viewport`
 * (downloads allowed), and the page loaded until its status bar shows the backend.
 */
export async function openLab(archive: string, viewport: { width: number; height: number }, serveArgs: readonly string[] = [], opts: LabOptions = {}): Promise<LabPage> {
  ensureRendererBuild();
  const server = await serveLab(archive, serveArgs, opts);
  const browser = await launchChromium();
  const pageErrors: string[] = [];
  const close = async () => {
    await browser.close();
    if (server.child.exitCode === null) {
      const exited = new Promise((r) => server.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
  };
  try {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    await context.addInitScript(PENDING_PROBE);
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.getByTestId('backend').waitFor({ timeout: 30_000 });
    return { page, browser, url: server.url, server, pageErrors, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Polls `check` every 250 ms until it holds; fails naming `what` after `ms`. */
export async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One test file's lab: its temporary folder and archive, the served lab and its page (set in `before`). */
export interface LabFixture {
  dir: string;
  file: string;
  lab: LabPage;
  page: Page;
}

/**
 * Registers the file's before/after hooks: a fresh folder with `lab.sqlite` (filled by `prepare`,
 * if given), `art` created for screenshots, the lab opened on it at `viewport`; afterwards closed
 * and the folder removed (nothing, where the tests skip for want of Chromium). `serve` adds options
 * to `dplab serve`. Read the fixture's fields inside tests, once `before` has run.
 */
export function labPerFile(opts: { prefix: string; art: string; viewport: { width: number; height: number }; prepare?: (file: string) => void | Promise<void>; serve?: readonly string[] } & LabOptions): LabFixture {
  const fx = {} as LabFixture;
  before(async () => {
    if (CHROMIUM.skip) return;
    mkdirSync(opts.art, { recursive: true });
    fx.dir = mkdtempSync(join(tmpdir(), opts.prefix));
    fx.file = join(fx.dir, 'lab.sqlite');
    await opts.prepare?.(fx.file);
    fx.lab = await openLab(fx.file, opts.viewport, opts.serve, { estimateProbes: !!opts.estimateProbes });
    fx.page = fx.lab.page;
  });
  after(async () => {
    await fx.lab?.close();
    if (fx.dir) rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}
