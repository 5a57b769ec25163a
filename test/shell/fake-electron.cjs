// Test harness (loaded with --require before dist/electron/main.cjs): answers require('electron')
// with recording stand-ins for the few Electron APIs the main process calls, so the real bundle's
// wiring can be observed under plain Node. After start-up it drives the registered IPC handler and
// prints a JSON report on stdout.
const Module = require('node:module');
const { EventEmitter } = require('node:events');

if (process.env.FAKE_PACKAGED === '1') process.resourcesPath = require('node:os').tmpdir();
const rec = { calls: [], windows: [], handlers: {}, menu: null, errors: [], permissions: {}, schemes: [], protocols: {}, saveDialogs: [] };
const saveAnswers = JSON.parse(process.env.FAKE_SAVE_PATHS || '[]');
const appEmitter = new EventEmitter();
let readyResolve;
const ready = new Promise((r) => (readyResolve = r));

class BrowserWindow extends EventEmitter {
  constructor(opts) {
    super();
    this.opts = opts;
    const wc = new EventEmitter();
    wc.id = 1;
    wc.sent = [];
    wc.send = (ch, payload) => wc.sent.push([ch, payload]);
    wc.setWindowOpenHandler = (h) => (wc.openHandler = h);
    this.webContents = wc;
    rec.windows.push(this);
    appEmitter.emit('web-contents-created', {}, wc);
  }
  loadFile(f) { this.loaded = f; return Promise.resolve(); }
  loadURL(u) { this.loaded = u; return Promise.resolve(); }
  maximize() {}
  show() {}
  isDestroyed() { return false; }
  isMinimized() { return false; }
  isMaximized() { return false; }
  getNormalBounds() { return { x: 0, y: 0, width: this.opts.width, height: this.opts.height }; }
}

const electron = {
  app: {
    // FAKE_PACKAGED=1 plays a packaged build (DevTools must then be off).
    isPackaged: process.env.FAKE_PACKAGED === '1',
    requestSingleInstanceLock: () => (rec.calls.push('requestSingleInstanceLock'), true),
    enableSandbox: () => rec.calls.push('enableSandbox'),
    setPath: (k, _v) => rec.calls.push(`setPath:${k}`),
    on: (ev, f) => (appEmitter.on(ev, f), electron.app),
    whenReady: () => ready,
    quit: () => rec.calls.push('quit'),
    exit: (c) => rec.calls.push(`exit:${c}`),
  },
  BrowserWindow,
  dialog: {
    showErrorBox: (t, m) => rec.errors.push(`${t}: ${m}`),
    showMessageBox: async () => ({}),
    // FAKE_SAVE_PATHS: the answers of successive save dialogs (a path, or null for Cancel).
    showSaveDialog: async (_win, opts) => {
      rec.saveDialogs.push(opts);
      const p = saveAnswers.shift();
      return p ? { canceled: false, filePath: p } : { canceled: true, filePath: '' };
    },
  },
  ipcMain: { handle: (ch, fn) => (rec.handlers[ch] = fn) },
  Menu: { buildFromTemplate: (t) => t, setApplicationMenu: (m) => (rec.menu = m) },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h) => (rec.permissions.request = h),
      setPermissionCheckHandler: (h) => (rec.permissions.check = h),
      setDevicePermissionHandler: (h) => (rec.permissions.device = h),
    },
  },
  utilityProcess: { fork: () => { throw new Error('no trainer in this test'); } },
  protocol: {
    registerSchemesAsPrivileged: (list) => (rec.calls.push('registerSchemesAsPrivileged'), rec.schemes.push(...list)),
    handle: (scheme, fn) => (rec.calls.push(`protocol.handle:${scheme}`), (rec.protocols[scheme] = fn)),
  },
};

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'electron') return electron;
  return load.call(this, request, parent, isMain);
};

setImmediate(async () => {
  readyResolve();
  for (let i = 0; i < 200 && !rec.windows.length; i++) await new Promise((r) => setTimeout(r, 25));
  const win = rec.windows[0];
  const handler = rec.handlers['dplab:request'];
  const page = 'app://lab/index.html';
  const filePage = 'file://' + require('node:path').join(__dirname, '..', '..', 'dist', 'renderer', 'index.html');
  const serve = async (url) => {
    const h = rec.protocols.app;
    if (!h) return null;
    const r = await h(new Request(url));
    const body = await r.text();
    return { status: r.status, csp: r.headers.get('content-security-policy'), type: r.headers.get('content-type'), html: body.includes('<html') || body.includes('<!doctype') || body.includes('<!DOCTYPE') };
  };
  const trusted = { sender: { id: 1 }, senderFrame: { url: page } };
  const out = {
    calls: rec.calls,
    errors: rec.errors,
    windowPrefs: win && win.opts.webPreferences,
    loaded: win && win.loaded,
    channels: Object.keys(rec.handlers),
    menu: (rec.menu || []).map((m) => m.label || m.role),
    fileMenu: ((rec.menu || [])[0]?.submenu || []).map((m) => m.label || m.role || m.type),
    permissionDenied: await new Promise((r) => rec.permissions.request({}, 'media', r)),
    info: handler && (await handler(trusted, 'app.info', {})),
    foreign: handler && (await handler({ sender: { id: 2 }, senderFrame: { url: page } }, 'app.info', {})),
    remote: handler && (await handler({ sender: { id: 1 }, senderFrame: { url: 'https://evil.example/' } }, 'app.info', {})),
    malformed: handler && (await handler(trusted, 'runs.list', { limit: 'many' })),
    openDenied: win && win.webContents.openHandler({ url: 'https://evil.example' }),
    fromFile: handler && (await handler({ sender: { id: 1 }, senderFrame: { url: filePage } }, 'app.info', {})),
    schemes: rec.schemes,
    index: await serve('app://lab/index.html'),
    traversal: await serve('app://lab/..%2f..%2fpackage.json'),
    otherHost: await serve('app://evil/index.html'),
    viewMenu: ((rec.menu || [])[2]?.submenu || []).map((m) => m.label || m.role || m.type),
  };
  // FAKE_EXPORTS_FILE: a JSON file of messages for the export channel, [{ args, foreign? }] (parsed
  // JSON, so a '__proto__' key arrives as an own key, as it would from the page).
  out.exports = [];
  const exportsFile = process.env.FAKE_EXPORTS_FILE;
  for (const m of exportsFile ? JSON.parse(require('node:fs').readFileSync(exportsFile, 'utf8')) : []) {
    const h = rec.handlers['dplab:export'];
    out.exports.push(h ? await h(m.foreign ? { sender: { id: 2 }, senderFrame: { url: page } } : trusted, m.args) : null);
  }
  out.saveDialogs = rec.saveDialogs;
  let prevented = false;
  win.webContents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example');
  out.navigationPrevented = prevented;
  process.stdout.write(JSON.stringify(out) + '\n');
  appEmitter.emit('before-quit', { preventDefault: () => {} });
  setTimeout(() => process.exit(0), 500);
});
