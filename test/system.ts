/**
 * What some tests need from the machine rather than from npm, found where each platform keeps it.
 * An environment variable overrides the search. Outside CI a missing one skips the tests that need
 * it, with the reason; under CI=true nothing skips: the search throws, so those test files fail.
 */
import { test as nodeTest, type TestContext, type TestOptions } from 'node:test';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { join } from 'node:path';

/** True when this runs in CI (CI=true or 1, as CI systems set it). */
export const IN_CI = /^(true|1)$/i.test(process.env.CI ?? '');

/** Where a system requirement was found, or why the tests that need it skip. */
export type Found = { path: string; skip: false } | { path: null; skip: string };

/** What the search looks at; tests pass their own to check the rules without touching the machine. */
export interface SearchEnv {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  home: string;
  exists: (path: string) => boolean;
  list: (dir: string) => string[];
}

const here: SearchEnv = {
  env: process.env,
  platform: process.platform,
  home: homedir(),
  exists: existsSync,
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
};

/** Chromium or Chrome binaries inside playwright's browser cache (newest revision first). */
function playwrightBrowsers(s: SearchEnv): string[] {
  const cache =
    s.env.PLAYWRIGHT_BROWSERS_PATH ||
    (s.platform === 'darwin' ? join(s.home, 'Library', 'Caches', 'ms-playwright') : s.platform === 'win32' ? join(s.env.LOCALAPPDATA ?? join(s.home, 'AppData', 'Local'), 'ms-playwright') : join(s.home, '.cache', 'ms-playwright'));
  const inside = [
    ['chrome-linux', 'chrome'],
    ['chrome-linux64', 'chrome'],
    ['chrome-mac', 'Chromium.app', 'Contents', 'MacOS', 'Chromium'],
    ['chrome-mac-arm64', 'Chromium.app', 'Contents', 'MacOS', 'Chromium'],
    ['chrome-win', 'chrome.exe'],
    ['chrome-win64', 'chrome.exe'],
  ];
  const revisions = s.list(cache).filter((d) => /^chromium-\d+$/.test(d)).sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1]));
  return revisions.flatMap((d) => inside.map((p) => join(cache, d, ...p)));
}

/** The places a Chromium or Chrome is installed on this platform, in the order they are tried. */
export function chromiumCandidates(s: SearchEnv = here): string[] {
  const system =
    s.platform === 'darwin'
      ? ['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'].flatMap((p) => [p, join(s.home, p)])
      : s.platform === 'win32'
        ? [s.env.PROGRAMFILES, s.env['PROGRAMFILES(X86)'], s.env.LOCALAPPDATA].filter((d): d is string => !!d).map((d) => join(d, 'Google', 'Chrome', 'Application', 'chrome.exe'))
        : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium', '/opt/google/chrome/chrome'];
  return [...system, ...playwrightBrowsers(s)];
}

/**
 * The Chromium the browser tests drive: $DPLAB_CHROMIUM when set (it must exist), else the first
 * of chromiumCandidates that exists. When none does: a skip reason outside CI, an error under CI.
 */
export function findChromium(s: SearchEnv = here, inCi = IN_CI): Found {
  const chosen = s.env.DPLAB_CHROMIUM;
  if (chosen) {
    if (!s.exists(chosen)) throw new Error(`DPLAB_CHROMIUM=${chosen}: no such file (point it at a Chromium or Chrome binary, or unset it to search)`);
    return { path: chosen, skip: false };
  }
  const tried = chromiumCandidates(s);
  const path = tried.find((p) => s.exists(p));
  if (path) return { path, skip: false };
  const why = `no Chromium or Chrome found (set DPLAB_CHROMIUM to one; looked in ${tried.join(', ')})`;
  if (inCi) throw new Error(`${why}; CI=true: the browser tests may not skip`);
  return { path: null, skip: why };
}

/** This machine's Chromium for the browser tests (see findChromium). */
export const CHROMIUM: Found = findChromium();

/** A test body, as node:test takes it. */
type Body = (t: TestContext) => void | Promise<void>;

/**
 * node:test's `test`, skipped with `found.skip` as the reason when a requirement is missing. A file
 * whose every test needs it imports this as `test`; its `before` hooks check `found.skip` themselves
 * (node:test runs hooks even when every test is skipped).
 */
export function testNeeding(found: Found): (name: string, a?: TestOptions | Body, b?: Body) => Promise<void> {
  return (name, a, b) => {
    const [opts, fn] = typeof a === 'function' ? [{}, a] : [a ?? {}, b];
    return nodeTest(name, found.skip ? { ...opts, skip: found.skip } : opts, fn);
  };
}

/** A test that needs Chromium: skipped with the reason where this machine has none (never under CI). */
export const browserTest = testNeeding(CHROMIUM);

/** Headless Chromium without the background traffic a closed network refuses. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Starts this machine's Chromium headless; only where CHROMIUM.skip is false (a before hook checks). */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM.path) throw new Error(CHROMIUM.skip || 'no Chromium');
  return chromium.launch({ executablePath: CHROMIUM.path, args: CHROMIUM_ARGS });
}
