/**
 * The Electron shell without the Electron binary: the window's security options, the hardening of
 * web contents (driven through EventEmitters standing in for Electron's objects), the built preload
 * bundle run in a VM context exposing exactly the contract, the IPC handler's sender check and a
 * few hundred malformed messages through it against a real LabService, and the bundled trainer
 * (dist/electron/trainer.cjs) training a tiny run for the RunManager, and the bundled `dplab backends`
 * (dist/electron/backends.cjs) answering backends.list.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { Requests, REQUEST_NAMES, CONTRACT_VERSION, IPC_REQUEST_CHANNEL, IPC_EVENT_CHANNEL } from '../../src-main/contract/index.ts';
import { IPC_EXPORT_CHANNEL } from '../../src-main/contract/names.ts';
import { buildElectron } from '../../src-main/shell/build.ts';
import { mainWindowOptions, hardenContents, denyPermissions, parseBounds, DEFAULT_BOUNDS } from '../../src-main/shell/window.ts';
import { isAppPage, makeExportHandler, makeIpcHandler } from '../../src-main/shell/ipc.ts';
import { LabService } from '../../src-main/service/service.ts';
import { nodeProbeLauncher } from '../../src-main/service/backends.ts';
import { openArchive } from '../../src-main/archive/archive.ts';
import { RunManager, type TrainerHandle } from '../../src-main/runs/manager.ts';
import type { FromTrainer, ToTrainer } from '../../src-main/runs/protocol.ts';
import { parseSetup } from '../../src-main/common/setup.ts';
import { malformedMessage, rng, TINY_SETUP } from '../server/helpers.ts';

let dir: string;
let bundles: string[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dplab-shell-'));
  bundles = await buildElectron();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('the main window is isolated, sandboxed, without Node and with web security', () => {
  const o = mainWindowOptions('/app/preload.cjs', { width: 1000, height: 700, x: 5, y: 6 });
  const w = o.webPreferences!;
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.webviewTag, false);
  assert.equal(w.preload, '/app/preload.cjs');
  assert.equal(w.disableBlinkFeatures, 'Auxclick');
  assert.equal(w.devTools, false, 'DevTools off unless main.ts asks (it does only when not packaged)');
  assert.equal(mainWindowOptions('/p', undefined, undefined, true).webPreferences!.devTools, true);
  assert.deepEqual([o.width, o.height, o.x, o.y], [1000, 700, 5, 6]);
});

test('saved window bounds are restored, absurd ones replaced by the default', () => {
  assert.deepEqual(parseBounds({ width: 1400.4, height: 900, x: 10, y: 20, maximized: true }), { width: 1400, height: 900, x: 10, y: 20, maximized: true });
  assert.deepEqual(parseBounds({ width: 10, height: 900 }), DEFAULT_BOUNDS);
  assert.deepEqual(parseBounds({ width: 'big' }), DEFAULT_BOUNDS);
  assert.deepEqual(parseBounds(null), DEFAULT_BOUNDS);
  assert.deepEqual(parseBounds({ width: 900, height: 600, x: Number.NaN, y: 3 }), { width: 900, height: 600 });
});

test('web contents: navigation away, redirects, webviews and new windows are refused', () => {
  const app = 'app://lab/index.html';
  const contents = new EventEmitter() as EventEmitter & { setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void; openHandler?: (d: { url: string }) => { action: string } };
  contents.setWindowOpenHandler = (h) => (contents.openHandler = h);
  hardenContents(contents as never, (u) => isAppPage(u, app));
  const nav = (event: string, url: string) => {
    let prevented = false;
    contents.emit(event, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  assert.equal(nav('will-navigate', 'https://evil.example/'), true);
  assert.equal(nav('will-navigate', 'file:///etc/passwd'), true);
  assert.equal(nav('will-navigate', `${app}#/runs`), false);
  assert.equal(nav('will-redirect', 'http://127.0.0.1:1/'), true);
  assert.equal(nav('will-attach-webview', 'https://x'), true);
  assert.deepEqual(contents.openHandler!({ url: 'https://evil.example' }), { action: 'deny' });
  assert.deepEqual(contents.openHandler!({ url: app }), { action: 'deny' });
});

test('every permission request and check is denied', () => {
  const handlers: Record<string, (...a: unknown[]) => unknown> = {};
  const session = {
    setPermissionRequestHandler: (h: (...a: unknown[]) => unknown) => (handlers.request = h),
    setPermissionCheckHandler: (h: (...a: unknown[]) => unknown) => (handlers.check = h),
    setDevicePermissionHandler: (h: (...a: unknown[]) => unknown) => (handlers.device = h),
  };
  denyPermissions(session as never);
  for (const p of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
    let granted: boolean | undefined;
    handlers.request!({}, p, (g: boolean) => (granted = g));
    assert.equal(granted, false, p);
    assert.equal(handlers.check!({}, p), false);
  }
  assert.equal(handlers.device!({}), false);
});

test('isAppPage accepts only our own app:// document', () => {
  const app = 'app://lab/index.html';
  assert.equal(isAppPage(app, app), true);
  assert.equal(isAppPage(`${app}?x=1#y`, app), true);
  assert.equal(isAppPage('app://lab/other.html', app), false);
  assert.equal(isAppPage('app://other/index.html', app), false);
  // file:// is no longer the app's origin: a local file can never talk to the lab.
  assert.equal(isAppPage('file:///opt/lab/dist/renderer/index.html', 'file:///opt/lab/dist/renderer/index.html'), false);
  assert.equal(isAppPage('https://opt/lab/dist/renderer/index.html', app), false);
  assert.equal(isAppPage('data:text/html,hi', app), false);
  assert.equal(isAppPage(undefined, app), false);
  assert.equal(isAppPage('not a url', app), false);
});

test('the built preload exposes exactly the contract, one function per request, and no ipcRenderer', async () => {
  assert.deepEqual([...REQUEST_NAMES].sort(), Object.keys(Requests).sort(), 'names.ts lists exactly the requests');
  const code = readFileSync(bundles.find((b) => b.endsWith('preload.cjs'))!, 'utf8');
  const exposed: Record<string, unknown> = {};
  const invoked: unknown[][] = [];
  const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (...a: unknown[]) => {
        invoked.push(a);
        return { ok: true, result: 'r' };
      },
      on: (ch: string, h: (...a: unknown[]) => void) => listeners.set(ch, [...(listeners.get(ch) ?? []), h]),
      removeListener: (ch: string, h: (...a: unknown[]) => void) => listeners.set(ch, (listeners.get(ch) ?? []).filter((x) => x !== h)),
    },
  };
  const required: string[] = [];
  // Electron's sandboxed preloads get a require limited to these modules.
  const sandboxRequire = (m: string) => {
    required.push(m);
    if (m === 'electron') return electron;
    if (['events', 'timers', 'url'].includes(m)) return {};
    throw new Error(`the sandboxed preload may not require ${m}`);
  };
  runInNewContext(code, { require: sandboxRequire, module: { exports: {} }, exports: {}, __dirname: '/app/dist/electron', __filename: '/app/dist/electron/preload.cjs' });
  assert.deepEqual(Object.keys(exposed), ['dplab']);
  const bridge = exposed.dplab as { contractVersion: number; requests: Record<string, (a?: unknown) => Promise<unknown>>; onEvent: (l: (e: unknown) => void) => () => void };
  assert.deepEqual(Object.keys(bridge).sort(), ['contractVersion', 'exportToFile', 'onEvent', 'requests']);
  assert.equal(bridge.contractVersion, CONTRACT_VERSION);
  assert.deepEqual(Object.keys(bridge.requests).sort(), Object.keys(Requests).sort());
  for (const [name, fn] of Object.entries(bridge.requests)) {
    assert.equal(typeof fn, 'function');
    assert.deepEqual(await fn({ a: 1 }), { ok: true, result: 'r' });
    assert.deepEqual(invoked.at(-1), [IPC_REQUEST_CHANNEL, name, { a: 1 }]);
  }
  assert.deepEqual(await (bridge as unknown as { exportToFile: (a: unknown) => Promise<unknown> }).exportToFile({ runIds: ['x'] }), { ok: true, result: 'r' });
  assert.deepEqual(invoked.at(-1), [IPC_EXPORT_CHANNEL, { runIds: ['x'] }], 'the export goes over its own channel, arguments as given');
  assert.ok(Object.isFrozen(bridge) && Object.isFrozen(bridge.requests), 'the page cannot swap the functions');
  const got: unknown[] = [];
  const off = bridge.onEvent((e) => got.push(e));
  for (const h of listeners.get(IPC_EVENT_CHANNEL) ?? []) h({ sender: 'raw event object' }, { type: 'queue', running: 0, queued: 0, concurrency: 1 });
  assert.deepEqual(got, [{ type: 'queue', running: 0, queued: 0, concurrency: 1 }], 'the page gets the event, not the IPC event object');
  off();
  assert.equal(listeners.get(IPC_EVENT_CHANNEL)!.length, 0);
  assert.throws(() => bridge.onEvent('x' as never));
  assert.ok(!JSON.stringify(Object.keys(bridge)).includes('ipc'));
  assert.ok(required.includes('electron'));
});

test('IPC: an untrusted sender is refused; 300 malformed messages get error replies and leave the archive unchanged', async () => {
  const archivePath = join(dir, 'ipc.sqlite');
  const service = new LabService({ archivePath, transport: 'ipc', concurrency: 1 });
  try {
    const calls: string[] = [];
    const counting = { handle: (n: string, a: unknown) => (calls.push(n), service.handle(n, a)) };
    const handler = makeIpcHandler(counting, (e) => e.sender.id === 1 && isAppPage(e.senderFrame?.url, 'app://lab/index.html'));
    const good = { sender: { id: 1 }, senderFrame: { url: 'app://lab/index.html' } };
    for (const bad of [
      { sender: { id: 2 }, senderFrame: { url: 'app://lab/index.html' } },
      { sender: { id: 1 }, senderFrame: { url: 'file:///app/index.html' } },
      { sender: { id: 1 }, senderFrame: { url: 'https://evil.example/' } },
      { sender: { id: 1 }, senderFrame: null },
    ]) {
      const r = await handler(bad, 'runs.start', { setup: TINY_SETUP });
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error.code, 'unauthorized');
    }
    assert.deepEqual(calls, [], 'refused senders never reach the service');
    const info = await handler(good, 'app.info', {});
    assert.equal(info.ok, true);
    const snap = () => {
      const a = openArchive(archivePath, { readonly: true });
      try {
        return JSON.stringify({ c: a.counts(), r: a.listRuns() });
      } finally {
        a.close();
      }
    };
    const before = snap();
    const r = rng(45);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const m = malformedMessage(r, i);
      let name: unknown;
      let args: unknown;
      try {
        const env = JSON.parse(m.text) as { name?: unknown; args?: unknown } | null;
        name = env && typeof env === 'object' ? env.name : env;
        args = env && typeof env === 'object' ? env.args : undefined;
      } catch {
        name = m.text;
        args = m.text;
      }
      const reply = await handler(good, name, args);
      if (m.replyId === -1 && typeof name === 'string' && Object.prototype.hasOwnProperty.call(Requests, name)) continue; // envelope-level junk over a valid name: IPC has no envelope
      assert.equal(reply.ok, false, `${String(m.text).slice(0, 100)} should be refused`);
      refused++;
    }
    assert.ok(refused >= 250, `${refused} messages checked`);
    assert.equal(snap(), before, 'the archive is unchanged');
    assert.equal((await handler(good, 'runs.list', {})).ok, true, 'still serving');
  } finally {
    await service.close();
  }
});

test('the bundled trainer (dist/electron/trainer.cjs) trains a tiny run for the RunManager', async () => {
  const entry = bundles.find((b) => b.endsWith('trainer.cjs'))!;
  // The same protocol as Electron's utilityProcess, over child_process IPC (runs/port.ts picks it).
  const launch = (): TrainerHandle => {
    const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let tail = '';
    child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
    return {
      pid: child.pid ?? -1,
      port: {
        send: (msg: ToTrainer) => new Promise<void>((ok, no) => (child.connected ? child.send(msg as object, (e) => (e ? no(e) : ok())) : no(new Error('gone')))),
        onMessage: (h: (m: FromTrainer) => void) => child.on('message', (m) => h(m as FromTrainer)),
        onClose: (h: () => void) => child.once('disconnect', h),
        close: () => child.connected && child.disconnect(),
      },
      kill: (s = 'SIGTERM') => child.kill(s),
      onExit: (h) => child.once('exit', (code, signal) => h(code, signal, tail)),
    };
  };
  const archive = openArchive(join(dir, 'bundle.sqlite'));
  const m = new RunManager(archive, { concurrency: 1, launch, backend: 'wasm' });
  try {
    const uuid = m.submit(parseSetup(TINY_SETUP));
    const r = await m.waitFor(uuid);
    assert.equal(r.status, 'completed', r.error ?? '');
    assert.equal(r.lastStep, 8);
    assert.ok(archive.getMetrics(uuid, ['loss'])[0]!.values.length > 0);
  } finally {
    await m.close();
    archive.close();
  }
});

test('the bundled dplab backends (dist/electron/backends.cjs, a utility process under Electron) answers backends.list', async () => {
  const entry = bundles.find((b) => b.endsWith('backends.cjs'))!;
  // Electron's utilityProcess puts its own arguments before ours; the entry takes only the --flags.
  const service = new LabService({ archivePath: join(dir, 'backends.sqlite'), transport: 'ipc', dataDir: join(dir, 'data'), backends: { launch: nodeProbeLauncher([process.execPath, entry, 'ignored-positional']) } });
  try {
    const r = await service.handle('backends.list', {});
    assert.ok(r.ok, JSON.stringify(r));
    const rep = (r.result as { report: { backends: { kind: string; loads: boolean }[]; auto: string } }).report;
    assert.deepEqual(rep.backends.map((b) => b.kind), ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']);
    assert.equal(rep.backends.find((b) => b.kind === 'wasm')!.loads, true, 'the bundle finds the wasm binaries');
  } finally {
    await service.close();
  }
});

test('the export handler: one export per window at a time, and a failure after the dialog names the file', async () => {
  const ev = { sender: { id: 1 }, senderFrame: { url: 'app://lab/index.html' } };
  const id = '11111111-1111-4111-8111-111111111111';
  let answer: (p: string | null) => void = () => {};
  const written: string[] = [];
  const h = makeExportHandler(
    { exportStream: async () => ({ filename: 'runs.json', chunks: ['a', 'b'] }) },
    (e) => e.sender.id === 1,
    () => new Promise((r) => (answer = r)),
    async (chunks, file) => {
      if (file.includes('readonly')) throw new Error('EACCES: permission denied');
      written.push(file);
      return [...chunks].join('').length;
    },
  );
  const first = h(ev, { runIds: [id], format: 'json' });
  await new Promise((r) => setImmediate(r));
  const second = await h(ev, { runIds: [id], format: 'json' });
  assert.equal(!second.ok && second.error.code, 'failed');
  assert.match(!second.ok ? second.error.message : '', /already being written/);
  answer('/tmp/x/runs.json');
  assert.deepEqual(await first, { ok: true, result: { cancelled: false, filename: 'runs.json', bytes: 2 } });
  const failing = h(ev, { runIds: [id], format: 'json' });
  await new Promise((r) => setImmediate(r));
  answer('/readonly/runs.json');
  const r = await failing;
  assert.equal(!r.ok && r.error.code, 'failed');
  assert.equal(!r.ok && r.error.message, 'could not write /readonly/runs.json: EACCES: permission denied');
  assert.deepEqual(written, ['/tmp/x/runs.json'], 'the second export never reached the writer');
});
