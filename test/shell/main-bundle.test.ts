/**
 * The real Electron main bundle (dist/electron/main.cjs) under plain Node with a recording stand-in
 * for the `electron` module (test/shell/fake-electron.cjs): single-instance lock and sandbox first,
 * a window with the secure preferences on the built renderer, the request channel registered with
 * the sender check, the application menu, permissions denied, navigation and window.open refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectron } from '../../src-main/shell/build.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('the main bundle wires a hardened window, the checked IPC channel and the menu', async () => {
  await buildElectron();
  const dir = mkdtempSync(join(tmpdir(), 'dplab-main-'));
  try {
    const r = spawnSync(process.execPath, ['--require', join(ROOT, 'test/shell/fake-electron.cjs'), join(ROOT, 'dist/electron/main.cjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, XDG_DATA_HOME: join(dir, 'data'), DPLAB_ARCHIVE: join(dir, 'archive.sqlite') },
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown> & {
      calls: string[];
      windowPrefs: Record<string, unknown>;
      info: { ok: boolean; result: { transport: string; archive: string } };
      foreign: { ok: boolean; error: { code: string } };
      remote: { ok: boolean; error: { code: string } };
      malformed: { ok: boolean; error: { code: string } };
    };
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.calls.slice(0, 2), ['requestSingleInstanceLock', 'enableSandbox']);
    assert.equal(out.windowPrefs.contextIsolation, true);
    assert.equal(out.windowPrefs.sandbox, true);
    assert.equal(out.windowPrefs.nodeIntegration, false);
    assert.equal(out.windowPrefs.webSecurity, true);
    assert.match(String(out.windowPrefs.preload), /dist\/electron\/preload\.cjs$/);
    // The page comes from the app's own privileged scheme, registered before 'ready', never file://.
    assert.equal(out.loaded, 'app://lab/index.html');
    assert.ok(out.calls.indexOf('registerSchemesAsPrivileged') >= 0 && out.calls.indexOf('registerSchemesAsPrivileged') < out.calls.indexOf('protocol.handle:app'));
    assert.deepEqual(out.schemes, [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    const index = out.index as { status: number; csp: string; type: string; html: boolean };
    assert.equal(index.status, 200);
    assert.equal(index.html, true);
    assert.match(index.type, /^text\/html/);
    assert.doesNotMatch(index.csp, /unsafe-inline|unsafe-eval/);
    assert.match(index.csp, /connect-src 'self';/);
    assert.match(index.csp, /script-src 'self';/);
    assert.equal((out.traversal as { status: number }).status, 404);
    assert.equal((out.otherHost as { status: number }).status, 404);
    assert.equal((out.fromFile as { error: { code: string } }).error.code, 'unauthorized', 'a file:// page may not talk to the lab');
    assert.equal(out.windowPrefs.devTools, true, 'DevTools only while not packaged (app.isPackaged is false here)');
    assert.ok((out.viewMenu as string[]).includes('toggleDevTools'));
    assert.deepEqual(out.channels, ['dplab:request', 'dplab:export']);
    assert.equal(out.info.ok, true);
    assert.equal(out.info.result.transport, 'ipc');
    assert.equal(out.info.result.archive, join(dir, 'archive.sqlite'), 'the archive dplab uses');
    assert.equal(out.foreign.error.code, 'unauthorized', 'another window');
    assert.equal(out.remote.error.code, 'unauthorized', 'a page that is not ours');
    assert.equal(out.malformed.error.code, 'invalid-args');
    assert.deepEqual(out.menu, ['File', 'editMenu', 'View', 'windowMenu']);
    assert.deepEqual(out.fileMenu, ['Open Archive…', 'Import Archive…', 'Import Dataset…', 'Export All Runs…', 'separator', 'quit']);
    assert.equal(out.permissionDenied, false);
    assert.deepEqual(out.openDenied, { action: 'deny' });
    assert.equal(out.navigationPrevented, true);

    // A packaged build: no DevTools in the window nor in the menu.
    const p = spawnSync(process.execPath, ['--require', join(ROOT, 'test/shell/fake-electron.cjs'), join(ROOT, 'dist/electron/main.cjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, FAKE_PACKAGED: '1', XDG_DATA_HOME: join(dir, 'data'), DPLAB_ARCHIVE: join(dir, 'archive.sqlite') },
      timeout: 60_000,
    });
    assert.equal(p.status, 0, p.stderr);
    const packaged = JSON.parse(p.stdout.trim().split('\n').pop()!) as { windowPrefs: Record<string, unknown>; viewMenu: string[]; errors: string[] };
    assert.deepEqual(packaged.errors, []);
    assert.equal(packaged.windowPrefs.devTools, false);
    assert.ok(!packaged.viewMenu.includes('toggleDevTools'), packaged.viewMenu.join(','));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
