/**
 * The renderer's one client: the Electron preload bridge when present, otherwise the WebSocket
 * transport of `dplab serve`. Nothing else in the renderer knows which one is in use.
 */
import type { LabClient } from '../../../src-main/contract/index.ts';

let client: Promise<LabClient> | null = null;

/** The shared client, connected on first use. */
export function getClient(): Promise<LabClient> {
  // A failed attempt is forgotten, so a later call (e.g. a Retry button) connects afresh.
  client ??= connect().catch((e: unknown) => {
    client = null;
    throw e;
  });
  return client;
}

async function connect(): Promise<LabClient> {
  const bridge = (globalThis as { dplab?: unknown }).dplab;
  if (bridge) {
    const { ipcClient } = await import('./transports/ipc.ts');
    return ipcClient(bridge);
  }
  const { wsClient } = await import('./transports/ws.ts');
  return wsClient(location.href, { token: pageToken });
}

/** Where the tab keeps its token across reloads: this origin's (host and port's) own storage. */
const TOKEN_KEY = 'dplab.token';

/**
 * The access token of a page opened from `dplab serve`'s printed URL, taken out of the address bar
 * at start (so it is not left in history, bookmarks or screenshots) and kept by this tab only: in
 * memory, and in sessionStorage so a reload keeps it. Unlike a cookie, which the browser would send
 * to every server on this host whatever its port, sessionStorage belongs to this origin alone, and
 * the token leaves the page only in the headers the transport sets.
 */
const pageToken = takeToken();

function takeToken(): string | null {
  const loc = (globalThis as { location?: Location }).location;
  if (!loc || (globalThis as { dplab?: unknown }).dplab) return null;
  const url = new URL(loc.href);
  const token = url.searchParams.get('token');
  if (token) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  }
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    return token ?? sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return token; // storage refused (a sandboxed frame): memory only
  }
}
