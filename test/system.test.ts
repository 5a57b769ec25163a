// The search for what tests need from the machine (test/system.ts), on made-up machines: an
// environment variable wins, each platform's usual places are found, a missing requirement is a
// skip reason outside CI and an error under CI.
import test from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromiumCandidates, findChromium, findFashionMnist, findSwiftShader, type SearchEnv } from './system.ts';

/** A machine with exactly `files` (and the folders that hold them). */
function machine(files: string[], over: Partial<SearchEnv> = {}): SearchEnv {
  const set = new Set(files);
  return {
    env: {},
    platform: 'linux',
    home: '/home/dev',
    exists: (p) => set.has(p),
    list: (dir) => [...new Set(files.filter((f) => f.startsWith(dir + '/')).map((f) => f.slice(dir.length + 1).split('/')[0]!))],
    ...over,
  };
}

test('DPLAB_CHROMIUM wins over every usual place, and must exist', () => {
  const m = machine(['/usr/bin/chromium', '/opt/my/chrome'], { env: { DPLAB_CHROMIUM: '/opt/my/chrome' } });
  assert.deepEqual(findChromium(m, false), { path: '/opt/my/chrome', skip: false });
  assert.deepEqual(findChromium(m, true), { path: '/opt/my/chrome', skip: false });
  const wrong = machine(['/usr/bin/chromium'], { env: { DPLAB_CHROMIUM: '/opt/nothing/chrome' } });
  assert.throws(() => findChromium(wrong, false), /DPLAB_CHROMIUM=\/opt\/nothing\/chrome: no such file/);
});

test('the usual places: Debian first, then other Linux names, macOS app bundles, playwright\'s cache (newest revision)', () => {
  assert.deepEqual(findChromium(machine(['/usr/bin/chromium', '/usr/bin/google-chrome']), false).path, '/usr/bin/chromium');
  assert.deepEqual(findChromium(machine(['/usr/bin/chromium-browser']), false).path, '/usr/bin/chromium-browser');
  assert.deepEqual(findChromium(machine(['/usr/bin/google-chrome-stable']), false).path, '/usr/bin/google-chrome-stable');
  const chrome = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
  assert.deepEqual(findChromium(machine([chrome], { platform: 'darwin' }), false).path, chrome);
  // Not found on macOS under Linux paths, and the other way round.
  assert.equal(findChromium(machine(['/usr/bin/chromium'], { platform: 'darwin' }), false).path, null);
  assert.equal(findChromium(machine([chrome]), false).path, null);
  const cache = '/home/dev/.cache/ms-playwright';
  const pw = machine([`${cache}/chromium-1100/chrome-linux/chrome`, `${cache}/chromium-1200/chrome-linux64/chrome`, `${cache}/chromium-99/chrome-linux/chrome`]);
  assert.equal(findChromium(pw, false).path, `${cache}/chromium-1200/chrome-linux64/chrome`);
  const moved = machine(['/srv/pw/chromium-1200/chrome-linux/chrome'], { env: { PLAYWRIGHT_BROWSERS_PATH: '/srv/pw' } });
  assert.equal(findChromium(moved, false).path, '/srv/pw/chromium-1200/chrome-linux/chrome');
  const mac = machine(['/home/dev/Library/Caches/ms-playwright/chromium-1200/chrome-mac-arm64/Chromium.app/Contents/MacOS/Chromium'], { platform: 'darwin' });
  assert.match(findChromium(mac, false).path ?? '', /chrome-mac-arm64\/Chromium\.app/);
  const win = machine([join('C:\\Program Files', 'Google', 'Chrome', 'Application', 'chrome.exe')], { platform: 'win32', env: { PROGRAMFILES: 'C:\\Program Files' } });
  assert.equal(findChromium(win, false).path, join('C:\\Program Files', 'Google', 'Chrome', 'Application', 'chrome.exe'));
});

test('no Chromium anywhere: a skip reason naming the override and the places looked in; under CI an error', () => {
  const bare = machine([]);
  const found = findChromium(bare, false);
  assert.equal(found.path, null);
  assert.equal(typeof found.skip, 'string');
  assert.match(found.skip as string, /no Chromium or Chrome found \(set DPLAB_CHROMIUM/);
  for (const p of chromiumCandidates(bare)) assert.ok((found.skip as string).includes(p), p);
  assert.throws(() => findChromium(bare, true), /no Chromium or Chrome found.*CI=true: the browser tests may not skip/);
});

test('SwiftShader: VK_ICD_FILENAMES wins; else a Chromium build\'s ICD file with the Vulkan loader; none on macOS; CI fails instead of skipping', () => {
  const loader = '/usr/lib/x86_64-linux-gnu/libvulkan.so.1';
  assert.deepEqual(findSwiftShader(machine(['/usr/lib/chromium/vk_swiftshader_icd.json', '/my/icd.json'], { env: { VK_ICD_FILENAMES: '/my/icd.json' } }), true), { path: '/my/icd.json', skip: false });
  assert.throws(() => findSwiftShader(machine([], { env: { VK_ICD_FILENAMES: '/gone.json' } }), false), /VK_ICD_FILENAMES=\/gone\.json: no such file/);
  assert.equal(findSwiftShader(machine(['/usr/lib/chromium/vk_swiftshader_icd.json', loader]), false).path, '/usr/lib/chromium/vk_swiftshader_icd.json');
  assert.equal(findSwiftShader(machine(['/opt/google/chrome/vk_swiftshader_icd.json', '/usr/lib64/libvulkan.so.1']), false).path, '/opt/google/chrome/vk_swiftshader_icd.json');
  const noLoader = findSwiftShader(machine(['/usr/lib/chromium/vk_swiftshader_icd.json']), false);
  assert.match(noLoader.skip || '', /Vulkan loader libvulkan\.so\.1 not found/);
  assert.throws(() => findSwiftShader(machine(['/usr/lib/chromium/vk_swiftshader_icd.json']), true), /libvulkan\.so\.1 not found.*CI=true/);
  assert.match(findSwiftShader(machine([loader]), false).skip || '', /SwiftShader's Vulkan ICD .* not found \(apt-get install chromium libvulkan1/);
  assert.match(findSwiftShader(machine([], { platform: 'darwin' }), false).skip || '', /no place on this platform/);
  assert.throws(() => findSwiftShader(machine([loader]), true), /CI=true: the tests that need it may not skip/);
});

test('Fashion-MNIST: DPLAB_FASHION_MNIST wins over Debian\'s folder; missing is a skip reason, or an error under CI', () => {
  const deb = '/usr/share/datasets/fashion-mnist';
  assert.deepEqual(findFashionMnist(deb, machine([deb, '/data/fm'], { env: { DPLAB_FASHION_MNIST: '/data/fm' } }), false), { path: '/data/fm', skip: false });
  assert.deepEqual(findFashionMnist(deb, machine([deb]), true), { path: deb, skip: false });
  assert.match(findFashionMnist(deb, machine([]), false).skip || '', /Fashion-MNIST not found \(apt-get install dataset-fashion-mnist, or set DPLAB_FASHION_MNIST/);
  assert.throws(() => findFashionMnist(deb, machine([]), true), /Fashion-MNIST not found.*CI=true/);
});
