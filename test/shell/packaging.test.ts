/**
 * Packaging and the Electron code without the Electron binary (it cannot be installed here):
 * electron-builder.yml passes electron-builder's own schema validation and has what the issue asks
 * for; the Electron code type-checks against electron's types; `npm start` explains itself in one
 * line where the binary is missing; the esbuild bundles build.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { electronBinary } from '../../src-main/shell/start.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// electron-builder's own config loader and validator (app-builder-lib ships with electron-builder).
const require = createRequire(join(ROOT, 'node_modules', 'electron-builder', 'package.json'));

interface BuilderConfig {
  appId?: string;
  productName?: string;
  asar?: boolean;
  npmRebuild?: boolean;
  files?: unknown;
  electronFuses?: Record<string, boolean>;
  linux?: { target?: unknown; icon?: string };
  mac?: { target?: unknown; icon?: string };
  win?: { target?: unknown; icon?: string };
  directories?: { buildResources?: string };
}

async function loadConfig(): Promise<BuilderConfig> {
  const { getConfig } = require('app-builder-lib/out/util/config/config.js') as { getConfig: (dir: string, path: string | null, extra: unknown) => Promise<BuilderConfig> };
  return getConfig(ROOT, join(ROOT, 'electron-builder.yml'), null);
}

test('electron-builder.yml passes electron-builder\'s own validation', async () => {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (c: unknown, l: unknown) => Promise<void> };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  const config = await loadConfig();
  await validateConfiguration(config, new DebugLogger(false));
  // And the validator is real: an unknown key and a wrong type are refused.
  await assert.rejects(validateConfiguration({ ...config, notAnOption: 1 }, new DebugLogger(false)), /notAnOption|unknown|additional/i);
  await assert.rejects(validateConfiguration({ ...config, asar: 'yes please' }, new DebugLogger(false)));
});

test('electron-builder.yml: ids, targets, asar, native rebuild, fuses and icons', async () => {
  const c = await loadConfig();
  assert.equal(c.appId, 'org.directpredlab.app');
  assert.equal(c.productName, 'DirectPred Lab');
  assert.equal(c.asar, true);
  assert.equal(c.npmRebuild, true, 'better-sqlite3 is rebuilt for Electron');
  assert.deepEqual(c.linux?.target, ['AppImage', 'deb']);
  assert.equal(c.mac?.target, 'dmg');
  assert.equal(c.win?.target, 'nsis');
  const f = c.electronFuses ?? {};
  assert.equal(f.runAsNode, false);
  assert.equal(f.enableNodeOptionsEnvironmentVariable, false);
  assert.equal(f.enableNodeCliInspectArguments, false);
  assert.equal(f.onlyLoadAppFromAsar, true);
  // The renderer comes from app:// (shell/protocol.ts): file:// needs no extra privileges.
  assert.equal(f.grantFileProtocolExtraPrivileges, false);
  for (const icon of [c.linux?.icon, c.mac?.icon, c.win?.icon]) assert.ok(icon && existsSync(join(ROOT, icon)), `icon ${icon} exists`);
  for (const n of [16, 32, 48, 64, 128, 256, 512]) assert.ok(existsSync(join(ROOT, 'resources', 'icons', `${n}x${n}.png`)));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };
  assert.ok(JSON.stringify(c.files).includes(pkg.main.split('/').slice(0, 2).join('/')), `the packaged files include package.json's main (${pkg.main})`);
  for (const s of ['start', 'serve', 'dist', 'build:main', 'build:electron', 'build:renderer', 'test', 'typecheck']) assert.ok(pkg.scripts[s], `script ${s}`);
});

test('npm install works without ELECTRON_SKIP_BINARY_DOWNLOAD: electron runs no install script (it fetches its binary on first use)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  for (const hook of ['preinstall', 'install', 'postinstall']) assert.equal(pkg.scripts?.[hook], undefined, hook);
  const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; dependencies: Record<string, string> };
  assert.ok(ours.devDependencies.electron && !ours.dependencies.electron, 'electron is a dev dependency (electron-builder supplies the runtime)');
});

test('the Electron code is in the type-checked program, with electron\'s types', () => {
  // `npm run check` type-checks one program (tsconfig.json); this guards that the shell and
  // electron's declarations stay in it, which --listFilesOnly answers without checking again.
  assert.ok(existsSync(join(ROOT, 'node_modules', 'electron', 'electron.d.ts')), 'electron types are installed');
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.typecheck, /tsc -p tsconfig\.json --noEmit/);
  assert.match(pkg.scripts.check, /npm run --silent typecheck/);
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout.slice(0, 4000) + r.stderr);
  assert.match(r.stdout, /electron\/electron\.d\.ts/);
  assert.match(r.stdout, /shell\/main\.ts/);
  assert.match(r.stdout, /shell\/preload\.ts/);
});

test('npm start: where the Electron binary is missing, one line pointing to npm run serve', () => {
  const empty = mkdtempSync(join(tmpdir(), 'dplab-noelectron-'));
  try {
    // An override folder without the binary: the same situation as a skipped download.
    const bin = electronBinary({ ELECTRON_OVERRIDE_DIST_PATH: empty });
    assert.ok('path' in bin && !existsSync(bin.path));
    const here = electronBinary();
    if ('missing' in here) {
      // The skip variable keeps the test off the network (start.ts would otherwise try Electron's download once).
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/shell/start.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
      });
      assert.equal(r.status, 1);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /Electron binary is not installed.*npm run serve/);
      assert.doesNotMatch(r.stdout + r.stderr, /Downloading/);
    } else {
      assert.ok(existsSync(here.path), 'a reported binary exists');
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('the Dawn addon (webgpu) is unpacked from the asar and each platform ships only its own binary', async () => {
  // The YAML as electron-builder reads it (its own js-yaml; loadConfig's log line would go to the
  // test runner's stdout a third time in this file).
  const abl = createRequire(require.resolve('app-builder-lib/package.json'));
  const { load } = abl('js-yaml') as { load: (s: string) => unknown };
  const c = load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as { asarUnpack?: string[]; linux?: { files?: string[] }; mac?: { files?: string[] }; win?: { files?: string[] } };
  // electron-builder matches with the minimatch it ships, { dot: true }; ${arch} is the target arch.
  const { Minimatch } = abl('minimatch') as { Minimatch: new (p: string, o: object) => { match(f: string): boolean } };
  const matches = (pattern: string, file: string) => new Minimatch(pattern, { dot: true }).match(file);
  const dirs = ['linux-x64', 'linux-arm64', 'darwin-universal', 'win32-x64', 'win32-arm64'];
  for (const d of dirs) assert.ok(existsSync(join(ROOT, 'node_modules', 'webgpu', 'dist', d, 'dawn.node')), `the webgpu package has ${d}`);
  const binary = (d: string) => `node_modules/webgpu/dist/${d}/dawn.node`;
  assert.ok((c.asarUnpack ?? []).some((p) => matches(p, binary('linux-x64')) && matches(p, 'node_modules/webgpu/dist/win32-x64/dxcompiler.dll')),
    'dawn.node and its DLLs are unpacked');
  const targets: [string, string[] | undefined, string, string][] = [
    ['linux', c.linux?.files, 'x64', 'linux-x64'],
    ['linux', c.linux?.files, 'arm64', 'linux-arm64'],
    ['mac', c.mac?.files, 'universal', 'darwin-universal'],
    ['win', c.win?.files, 'x64', 'win32-x64'],
    ['win', c.win?.files, 'arm64', 'win32-arm64'],
  ];
  for (const [os, files, arch, own] of targets) {
    const excludes = (files ?? []).filter((p) => p.startsWith('!')).map((p) => p.slice(1).replaceAll('${arch}', arch));
    const shipped = dirs.filter((d) => !excludes.some((p) => matches(p, binary(d))));
    assert.deepEqual(shipped, [own], `${os} ${arch} ships ${shipped.join(', ')}`);
  }
  // The trainer bundle leaves webgpu external: it finds its binary relative to its own file.
  const build = readFileSync(join(ROOT, 'src-main', 'shell', 'build.ts'), 'utf8');
  assert.match(build, /external: \[[^\]]*'webgpu'/);
});
