/**
 * What every Chromium end-to-end test of the UI needs: the renderer built from this checkout (and
 * rebuilt only when a source is newer), Debian chromium's headless flags, and a real `dplab serve`
 * over an archive of the test's own.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after, before } from 'node:test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The checkout's root folder. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built page every UI test loads. */
export const DIST = join(ROOT, 'dist', 'renderer', 'index.html');
/** Everything the renderer bundles: a change in any of them makes the build stale. */
const RENDERER_SOURCES = ['src-renderer', 'src-main/contract', 'src-main/theory', 'src-main/spec', 'src-main/math', 'src-main/reproduce'];
/** Headless Debian chromium without the background traffic this closed network refuses. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Latest modification time of a file or of any file under a folder. */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

/**
 * Builds the renderer when a source is newer than the build. Test files run in parallel and build
 * the same folder, so: wait out a concurrent build (vite refuses a second one), then wait until the
 * folder has settled (a build empties it first).
 */
export async function ensureRendererBuild(): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let attempt = 0; attempt < 60; attempt++) {
    const srcTime = Math.max(...RENDERER_SOURCES.map((p) => newest(join(ROOT, p))));
    if (existsSync(DIST) && statSync(DIST).mtimeMs >= srcTime) break;
    const build = spawnSync('npm', ['run', 'build:renderer'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status === 0) break;
    if (!/another Vite build process/i.test(build.stderr + build.stdout)) assert.fail(`renderer build failed:\n${build.stdout}\n${build.stderr}`);
    await sleep(2000);
  }
  for (let i = 0; i < 120 && !(existsSync(DIST) && Date.now() - statSync(DIST).mtimeMs > 2000); i++) await sleep(500);
  assert.ok(existsSync(DIST), 'the renderer build is missing');
}

/** A running `dplab serve`: its process, its tokenised URL and what it wrote to stderr so far. */
export interface ServedLab {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts `dplab serve` on a random loopback port over `archive`; resolves once it printed its URL. */
export async function serveLab(archive: string): Promise<ServedLab> {
  const child = spawn(process.execPath, ['bin/dplab.mjs', 'serve', '--port', '0', '--no-open', '--archive', archive], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
 * The renderer built, `dplab serve` over `archive`, Chromium on it at `viewport` (downloads
 * allowed), and the page loaded until its status bar shows the backend.
 */
export async function openLab(archive: string, viewport: { width: number; height: number }): Promise<LabPage> {
  await ensureRendererBuild();
  const server = await serveLab(archive);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
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
    const page = await (await browser.newContext({ viewport, acceptDownloads: true })).newPage();
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
 * and the folder removed. Read the fixture's fields inside tests, once `before` has run.
 */
export function labPerFile(opts: { prefix: string; art: string; viewport: { width: number; height: number }; prepare?: (file: string) => void | Promise<void> }): LabFixture {
  const fx = {} as LabFixture;
  before(async () => {
    mkdirSync(opts.art, { recursive: true });
    fx.dir = mkdtempSync(join(tmpdir(), opts.prefix));
    fx.file = join(fx.dir, 'lab.sqlite');
    await opts.prepare?.(fx.file);
    fx.lab = await openLab(fx.file, opts.viewport);
    fx.page = fx.lab.page;
  });
  after(async () => {
    await fx.lab?.close();
    if (fx.dir) rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}
