/**
 * What some tests need from the machine rather than from npm, found where each platform keeps it.
 * An environment variable overrides the search. Outside CI a missing one skips the tests that need
 * it, with the reason; under CI=true nothing skips: the search throws, so those test files fail.
 */
import { test as nodeTest, type TestContext, type TestOptions } from 'node:test';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
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

/**
 * A folder or file named by `variable` (it must exist), else the first of `places` that exists;
 * else a skip reason outside CI and an error under CI. `what` names the requirement in the reason.
 */
function findIn(s: SearchEnv, inCi: boolean, variable: string, places: string[], what: string, fix: string): Found {
  const chosen = s.env[variable];
  if (chosen) {
    if (!s.exists(chosen)) throw new Error(`${variable}=${chosen}: no such file or folder (${fix}, or unset it to search)`);
    return { path: chosen, skip: false };
  }
  const path = places.find((p) => s.exists(p));
  if (path) return { path, skip: false };
  const why = `${what} not found (${fix}, or set ${variable}; looked in ${places.join(', ') || 'no place on this platform'})`;
  if (inCi) throw new Error(`${why}; CI=true: the tests that need it may not skip`);
  return { path: null, skip: why };
}

/** Where distributions' and playwright's Chromium builds keep SwiftShader's Vulkan ICD file (Linux). */
function swiftShaderPlaces(s: SearchEnv): string[] {
  if (s.platform !== 'linux') return [];
  const cache = s.env.PLAYWRIGHT_BROWSERS_PATH || join(s.home, '.cache', 'ms-playwright');
  const revisions = s.list(cache).filter((d) => /^chromium-\d+$/.test(d)).sort((a, b) => Number(b.split('-')[1]) - Number(a.split('-')[1]));
  return [
    '/usr/lib/chromium/vk_swiftshader_icd.json',
    '/usr/lib64/chromium/vk_swiftshader_icd.json',
    '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
    '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
    '/opt/google/chrome/vk_swiftshader_icd.json',
    ...revisions.flatMap((d) => ['chrome-linux', 'chrome-linux64'].map((sub) => join(cache, d, sub, 'vk_swiftshader_icd.json'))),
  ];
}

/** The Vulkan loader (libvulkan.so.1), which Dawn opens to reach any ICD, in the usual library folders. */
const VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'].map((d) => join(d, 'libvulkan.so.1'));

/**
 * SwiftShader, the software Vulkan driver the webgpu tests run on: $VK_ICD_FILENAMES when set (one
 * ICD file, which must exist), else the ICD file that Chromium builds ship; on Linux only, and only
 * with the Vulkan loader installed. Missing: a skip reason outside CI, an error under CI.
 */
export function findSwiftShader(s: SearchEnv = here, inCi = IN_CI): Found {
  const fix = 'apt-get install chromium libvulkan1 (or another Chromium build that ships vk_swiftshader_icd.json)';
  const icd = findIn(s, inCi, 'VK_ICD_FILENAMES', swiftShaderPlaces(s), 'SwiftShader\'s Vulkan ICD (vk_swiftshader_icd.json)', fix);
  if (icd.skip || s.env.VK_ICD_FILENAMES) return icd;
  if (VULKAN_LOADERS.some((p) => s.exists(p))) return icd;
  const why = `the Vulkan loader libvulkan.so.1 not found (${fix}; looked in ${VULKAN_LOADERS.join(', ')})`;
  if (inCi) throw new Error(`${why}; CI=true: the tests that need it may not skip`);
  return { path: null, skip: why };
}

/**
 * The Fashion-MNIST IDX files: $DPLAB_FASHION_MNIST when set, else `debianDir` (where Debian's
 * dataset-fashion-mnist package puts them). Missing: a skip reason outside CI, an error under CI.
 */
export function findFashionMnist(debianDir: string, s: SearchEnv = here, inCi = IN_CI): Found {
  return findIn(s, inCi, 'DPLAB_FASHION_MNIST', [debianDir], 'Fashion-MNIST', 'apt-get install dataset-fashion-mnist');
}

/** A test body, as node:test takes it. */
type Body = (t: TestContext) => void | Promise<void>;

/**
 * node:test's `test`, skipped with `found.skip` as the reason when a requirement is missing. A file
 * whose every test needs it uses this as `test`; its `before` hooks check `found.skip` themselves
 * (node:test runs hooks even when every test is skipped).
 */
export function testNeeding(found: Found): (name: string, a?: TestOptions | Body, b?: Body) => Promise<void> {
  return (name, a, b) => {
    const [opts, fn] = typeof a === 'function' ? [{}, a] : [a ?? {}, b];
    return nodeTest(name, found.skip ? { ...opts, skip: found.skip } : opts, fn);
  };
}
