/**
 * The main window's options and the hardening of every web contents: sandboxed, isolated, no Node,
 * web security on; navigation, new windows, webviews and permission requests refused. Types only
 * from `electron`, so tests can check the options without the Electron binary.
 */
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';

/** A saved window size and position. */
export interface WindowBounds {
  width: number;
  height: number;
  x?: number;
  y?: number;
  maximized?: boolean;
}

/** Default size of a first start. */
export const DEFAULT_BOUNDS: WindowBounds = { width: 1280, height: 800 };

/** Parses saved bounds, falling back to the default for anything missing or absurd. */
export function parseBounds(raw: unknown): WindowBounds {
  const b = raw as Partial<WindowBounds> | null;
  const okSize = (v: unknown, min: number) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= 20000;
  if (!b || !okSize(b.width, 400) || !okSize(b.height, 300)) return { ...DEFAULT_BOUNDS };
  const out: WindowBounds = { width: Math.round(b.width!), height: Math.round(b.height!) };
  if (typeof b.x === 'number' && typeof b.y === 'number' && Number.isFinite(b.x) && Number.isFinite(b.y)) {
    out.x = Math.round(b.x);
    out.y = Math.round(b.y);
  }
  if (b.maximized === true) out.maximized = true;
  return out;
}

/**
 * The BrowserWindow options: the security settings are not negotiable. `devTools` is off in a
 * packaged build (main.ts passes `!app.isPackaged`), so a user's app offers no console to paste into.
 */
export function mainWindowOptions(preloadPath: string, bounds: WindowBounds = DEFAULT_BOUNDS, icon?: string, devTools = false): BrowserWindowConstructorOptions {
  return {
    width: bounds.width,
    height: bounds.height,
    ...(bounds.x !== undefined && bounds.y !== undefined ? { x: bounds.x, y: bounds.y } : {}),
    minWidth: 800,
    minHeight: 500,
    show: false,
    title: 'DirectPred Lab',
    backgroundColor: '#ffffff',
    ...(icon ? { icon } : {}),
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click must not open links in a new window (window.open is refused, auxclick too).
      disableBlinkFeatures: 'Auxclick',
      devTools,
    },
  };
}

/** Refuses navigation away from the app, new windows and webviews on a web contents. */
export function hardenContents(contents: WebContents, isAppUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  contents.on('will-redirect', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Denies every permission request and check (camera, notifications, clipboard, …). */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
