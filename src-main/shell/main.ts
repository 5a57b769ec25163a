/**
 * Electron's main process (bundled to dist/electron/main.cjs): one hardened window on the built
 * renderer, the contract over IPC to the shared LabService, trainers in utility processes, a
 * single-instance lock, an application menu and a window that remembers its size. The archive is
 * the one `dplab` uses (DPLAB_ARCHIVE, else the user data folder), so the CLI and the app share it.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, type MenuItemConstructorOptions } from 'electron';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { IPC_EVENT_CHANNEL, IPC_EXPORT_CHANNEL, IPC_REQUEST_CHANNEL } from '../contract/names.ts';
import { resolveArchivePath, userDataDir } from '../archive/paths.ts';
import { LabService } from '../service/service.ts';
import { writeChunksToFile } from '../archive/export.ts';
import { isAppPage, makeExportHandler, makeIpcHandler, SenderConnections } from './ipc.ts';
import { utilityBackendsLauncher, utilityTrainerLauncher } from './launcher.ts';
import { denyPermissions, hardenContents, mainWindowOptions, parseBounds, type WindowBounds } from './window.ts';
import { APP_INDEX_URL, APP_SCHEME, appProtocolHandler } from './protocol.ts';

// The bundle lives in dist/electron; the renderer next to it in dist/renderer.
const HERE = __dirname;
const RENDERER = join(HERE, '..', 'renderer');
// The page is served from app://lab (protocol.ts), never from file://.
const INDEX_URL = APP_INDEX_URL;
const STATE_FILE = join(userDataDir(), 'window.json');

let win: BrowserWindow | null = null;
let service: LabService | null = null;
/** The service connection of each window's page: closing, reloading or losing the page cancels its jobs. */
let connections: SenderConnections | null = null;
let quitting = false;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  // Before 'ready': app:// is a standard, secure origin that may use fetch (CSP 'self' = the app).
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  // Chromium's profile goes under the lab's data folder, next to the archive and datasets.
  app.setPath('userData', join(userDataDir(), 'electron'));
  if (app.isPackaged) process.env.DPLAB_SAMPLE_DIR ??= join(process.resourcesPath, 'datasets', 'fashion-mnist-sample');
  app.on('second-instance', () => {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, (url) => isAppPage(url, INDEX_URL)));
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (e) => {
    if (quitting || !service) return;
    e.preventDefault();
    quitting = true;
    // Running trainers are stopped; their runs stay resumable from the newest checkpoint.
    void service.close().finally(() => app.quit());
  });
  app.whenReady().then(start, (e: unknown) => fatal(e));
}

function fatal(e: unknown): void {
  dialog.showErrorBox('DirectPred Lab could not start', (e as Error)?.message ?? String(e));
  app.exit(1);
}

async function start(): Promise<void> {
  denyPermissions(session.defaultSession);
  protocol.handle(APP_SCHEME, appProtocolHandler(RENDERER));
  try {
    service = new LabService({
      archivePath: resolveArchivePath(),
      transport: 'ipc',
      launch: utilityTrainerLauncher(join(HERE, 'trainer.cjs')),
      // Worker threads load their entry from disk, so the packaged app keeps it beside the asar.
      workerFile: join(HERE, 'jobs-worker.cjs').replace(`app.asar${sep}`, `app.asar.unpacked${sep}`),
      backends: { launch: utilityBackendsLauncher(join(HERE, 'backends.cjs')) },
    });
  } catch (e) {
    return fatal(e);
  }
  const svc = service;
  // The window's own events (job.started, its jobs' progress) go to it alone.
  connections = new SenderConnections((id) => svc.connect((event) => {
    if (win && !win.isDestroyed() && win.webContents.id === id) win.webContents.send(IPC_EVENT_CHANNEL, event);
  }));
  const trusted = (e: { sender: { id: number }; senderFrame: { url: string } | null }) => !!win && e.sender.id === win.webContents.id && isAppPage(e.senderFrame?.url, INDEX_URL);
  const handler = makeIpcHandler(service, trusted, connections);
  ipcMain.handle(IPC_REQUEST_CHANNEL, (e, name: unknown, args: unknown) => handler(e, name, args));
  // The Archive view's export, streamed to a file the user picks (one runs.export reply holds 16 MiB).
  const exporter = makeExportHandler(
    svc,
    trusted,
    async (defaultName) => {
      const ext = defaultName.slice(defaultName.lastIndexOf('.') + 1);
      const r = await dialog.showSaveDialog(win!, { title: 'Export runs', defaultPath: defaultName, filters: [{ name: ext.toUpperCase(), extensions: [ext] }] });
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    writeChunksToFile,
  );
  ipcMain.handle(IPC_EXPORT_CHANNEL, (e, args: unknown) => exporter(e, args));
  service.onEvent((event) => {
    if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT_CHANNEL, event);
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate()));
  createWindow();
}

function readBounds(): WindowBounds {
  try {
    return parseBounds(JSON.parse(readFileSync(STATE_FILE, 'utf8')));
  } catch {
    return parseBounds(null);
  }
}

function saveBounds(w: BrowserWindow): void {
  try {
    const b = w.getNormalBounds();
    mkdirSync(userDataDir(), { recursive: true });
    writeFileSync(STATE_FILE, JSON.stringify({ ...b, maximized: w.isMaximized() }));
  } catch {
    // Losing the window size is not worth an error.
  }
}

function createWindow(): void {
  const bounds = readBounds();
  const icon = join(HERE, '..', '..', 'resources', 'icons', '512x512.png');
  win = new BrowserWindow(mainWindowOptions(join(HERE, 'preload.cjs'), bounds, existsSync(icon) ? icon : undefined, !app.isPackaged));
  const w = win;
  if (bounds.maximized) w.maximize();
  w.once('ready-to-show', () => w.show());
  w.on('close', () => saveBounds(w));
  const contentsId = w.webContents.id;
  const dropJobs = () => connections?.close(contentsId);
  // A new document in the window (a reload) is a new page: the old page's jobs go with it.
  w.webContents.on('did-navigate', dropJobs);
  w.webContents.on('render-process-gone', dropJobs);
  w.webContents.once('destroyed', dropJobs);
  w.on('closed', () => {
    dropJobs();
    win = null;
  });
  void w.loadURL(INDEX_URL);
}

async function request(name: string, args: unknown): Promise<unknown> {
  if (!service) throw new Error('the lab is not started');
  const r = await service.handle(name, args);
  if (!r.ok) throw new Error(r.error.message);
  return r.result;
}

async function menuAction(what: string, f: () => Promise<string | undefined>): Promise<void> {
  try {
    const msg = await f();
    if (msg && win) void dialog.showMessageBox(win, { type: 'info', message: msg });
  } catch (e) {
    dialog.showErrorBox(`${what} failed`, (e as Error).message);
  }
}

function menuTemplate(): MenuItemConstructorOptions[] {
  const sqlite = [{ name: 'DirectPred Lab archive', extensions: ['sqlite', 'db'] }];
  return [
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Archive…',
          accelerator: 'CmdOrCtrl+O',
          click: () =>
            void menuAction('Opening the archive', async () => {
              const r = await dialog.showOpenDialog(win!, { title: 'Open archive', properties: ['openFile', 'promptToCreate'], filters: sqlite });
              if (r.canceled || !r.filePaths[0]) return undefined;
              await request('archive.open', { path: r.filePaths[0] });
              return undefined;
            }),
        },
        {
          label: 'Import Archive…',
          click: () =>
            void menuAction('Importing the archive', async () => {
              const r = await dialog.showOpenDialog(win!, { title: 'Import runs from another archive', properties: ['openFile'], filters: sqlite });
              if (r.canceled || !r.filePaths[0]) return undefined;
              const res = (await request('archive.import', { path: r.filePaths[0] })) as { added: number; skipped: number };
              return `Imported ${res.added} run(s); ${res.skipped} already present.`;
            }),
        },
        {
          label: 'Import Dataset…',
          click: () =>
            void menuAction('Importing the dataset', async () => {
              const r = await dialog.showOpenDialog(win!, { title: 'Import a dataset (file or folder)', properties: ['openFile', 'openDirectory'] });
              if (r.canceled || !r.filePaths[0]) return undefined;
              const res = (await request('datasets.import', { path: r.filePaths[0] })) as { name: string };
              return `Imported dataset '${res.name}'.`;
            }),
        },
        {
          label: 'Export All Runs…',
          click: () =>
            void menuAction('Exporting', async () => {
              const runs = (await request('runs.list', { limit: 10000 })) as { id: string }[];
              if (!runs.length) return 'The archive has no runs to export.';
              const stamp = new Date().toISOString().slice(0, 10);
              const r = await dialog.showSaveDialog(win!, { title: 'Export runs', defaultPath: `runs-${stamp}.json`, filters: [{ name: 'JSON', extensions: ['json'] }] });
              if (r.canceled || !r.filePath || !service) return undefined;
              // Streamed to the file one run at a time: memory stays that of one run however many there are.
              await service.exportToFile({ runIds: runs.map((x) => x.id), format: 'json' }, r.filePath);
              return `Exported ${runs.length} run(s) to ${r.filePath}.`;
            }),
        },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      // No DevTools in a packaged build (the window's devTools preference is off there too).
      submenu: [{ role: 'reload' }, ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' } as const]), { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
  ];
}
