/**
 * The WebSocket transport of `dplab serve`: requests go out as {id, name, args}, replies come back
 * by id, events arrive as {event}, and a heartbeat {hb} every HEARTBEAT_MS. Silence longer than
 * HEARTBEAT_TIMEOUT_MS (a hung server, a dead tunnel) announces 'lost' at once, but keeps the socket
 * and the requests in flight, since a server that only stalled answers them later ('restored' when
 * it speaks again). A close, or silence past `deadMs`, ends the socket: requests in flight fail with
 * a clear error and the client reconnects until the server is back, then announces 'restored'
 * (events of the gap are gone: listeners refetch). The token is held in memory, so a tab
 * reconnects to a restarted server that kept it; it goes out only in the upgrade's
 * Sec-WebSocket-Protocol header (never in the socket's URL, which gets logged). Exports bypass the
 * socket: they are fetched from POST /api/export (the token in an Authorization header) and saved as
 * a blob, so their size is not bounded by one reply.
 */
import { RequestError } from './error.ts';
import { saveBlob } from '../download.ts';
import {
  CONTRACT_VERSION,
  HEARTBEAT_TIMEOUT_MS,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
  type ConnectionChange,
  type ExportOutcome,
  type LabClient,
  type LabEvent,
  type RequestArgs,
  type RequestName,
  type Results,
  type ServerMessage,
} from '../../../../src-main/contract/index.ts';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** The socket URL for a page served by `dplab serve` (same host, /ws; no token: see socketProtocols). */
export function socketUrl(pageUrl: string): string {
  const page = new URL(pageUrl);
  const ws = new URL('/ws', page);
  ws.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  return ws.toString();
}

/** The subprotocols a socket offers: the lab's, and the one that carries the token. */
export function socketProtocols(token: string): string[] {
  return [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${token}`];
}

/** Options of the WebSocket client. */
export interface WsClientOptions {
  /** The access token (taken from the address bar at start); without it the lab refuses the page. */
  token?: string | null;
  /** Silence after which the connection is announced lost, in ms. */
  timeoutMs?: number;
  /** Silence after which the socket is given up and a new one opened, in ms. */
  deadMs?: number;
}

/** Connects to the server that served `pageUrl`; resolves once the contract versions agree. */
export async function wsClient(pageUrl: string, opts: WsClientOptions = {}): Promise<LabClient> {
  const url = socketUrl(pageUrl);
  const token = opts.token ?? new URL(pageUrl).searchParams.get('token');
  if (!token) {
    throw new RequestError({ code: 'disconnected', message: "this page has no access token: open the address dplab serve printed (it ends in ?token=…)" });
  }
  const protocols = socketProtocols(token);
  const timeoutMs = opts.timeoutMs ?? HEARTBEAT_TIMEOUT_MS;
  const deadMs = opts.deadMs ?? 10_000;
  const listeners = new Set<(e: LabEvent) => void>();
  const connection = new Set<(c: ConnectionChange) => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;
  let lost: string | null = null;
  let retryMs = 250;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let lastHeard = Date.now();
  /** The open socket has been silent past the timeout (announced lost, not yet given up). */
  let silent = false;

  const announce = (c: ConnectionChange) => {
    for (const l of [...connection]) {
      try {
        l(c);
      } catch (e) {
        console.error('connection listener failed', e);
      }
    }
  };

  const failAll = (why: string) => {
    for (const p of pending.values()) p.reject(new RequestError({ code: 'disconnected', message: why }));
    pending.clear();
  };

  /** Marks the open socket lost (once), fails what is in flight and starts reconnecting. */
  const loseConnection = (ws: WebSocket, why: string) => {
    if (socket !== ws) return;
    socket = null;
    const announced = silent;
    silent = false;
    ws.onclose = ws.onmessage = ws.onerror = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    failAll(`the connection to the lab was lost (${why}); reconnecting`);
    lost = why;
    // Already announced when the silence began; say it once.
    if (!announced) announce({ state: 'lost', reason: why });
    scheduleReconnect();
  };

  const scheduleReconnect = () => {
    if (retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      open().catch(() => {
        retryMs = Math.min(retryMs * 2, 4000);
        scheduleReconnect();
      });
    }, retryMs);
  };

  // The watchdog: silence past the timeout is announced; past deadMs the socket is given up.
  const watchdog = setInterval(() => {
    if (!socket) return;
    const quiet = Date.now() - lastHeard;
    const why = `no heartbeat from the server for ${Math.round(quiet / 100) / 10} s`;
    if (quiet > deadMs) loseConnection(socket, why);
    else if (quiet > timeoutMs && !silent) {
      silent = true;
      lost = why;
      announce({ state: 'lost', reason: why });
    }
  }, 100);

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    opening ??= new Promise<WebSocket>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, protocols);
      } catch (e) {
        // A token with characters no header may carry (an edited address): no socket at all.
        opening = null;
        reject(new RequestError({ code: 'disconnected', message: `cannot connect to the lab: ${(e as Error).message} (is the ?token= in this page's address right?)` }));
        return;
      }
      let opened = false;
      ws.onopen = () => {
        opened = true;
        lastHeard = Date.now();
        socket = ws;
        opening = null;
        resolve(ws);
        if (lost !== null) {
          lost = null;
          retryMs = 250;
          // Ask first, so listeners that refetch find a server that speaks our contract.
          void restored();
        }
      };
      ws.onmessage = (m) => {
        lastHeard = Date.now();
        if (silent && socket === ws) {
          // The server only stalled: nothing was dropped, but listeners may refetch all the same.
          silent = false;
          lost = null;
          announce({ state: 'restored' });
        }
        let msg: ServerMessage;
        try {
          msg = JSON.parse(String(m.data)) as ServerMessage;
        } catch {
          return;
        }
        // A heartbeat only proves the connection is alive (lastHeard): nothing to answer.
        if ('hb' in msg) return;
        if ('event' in msg) {
          for (const l of [...listeners]) {
            try {
              l(msg.event);
            } catch (e) {
              console.error('event listener failed', e);
            }
          }
          return;
        }
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new RequestError(msg.error));
      };
      ws.onclose = (ev) => {
        if (!opened) {
          opening = null;
          reject(
            new RequestError({
              code: 'disconnected',
              message: `cannot connect to the lab at ${new URL(url).host} (${ev.code === 1006 ? "refused: is dplab serve running, and is the ?token= in this page's address right?" : `closed ${ev.code}`})`,
            }),
          );
          return;
        }
        loseConnection(ws, `closed ${ev.code}${ev.reason ? `: ${ev.reason}` : ''}`);
      };
    });
    return opening;
  };

  const restored = async () => {
    try {
      const info = await client.request('app.info', {});
      if (info.contractVersion !== CONTRACT_VERSION) {
        announce({ state: 'lost', reason: `the server now speaks contract version ${info.contractVersion}, this page ${CONTRACT_VERSION}: reload the page` });
        return;
      }
    } catch {
      return; // lost again: the next reconnect announces
    }
    announce({ state: 'restored' });
  };

  try {
    await open();
  } catch (e) {
    clearInterval(watchdog);
    throw e;
  }

  const client: LabClient = {
    transport: 'http',
    async request<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<Results[N]> {
      if (lost !== null && !socket) throw new RequestError({ code: 'disconnected', message: `the lab is not connected (${lost}); reconnecting` });
      const ws = await open();
      const id = nextId++;
      return new Promise<Results[N]>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, name, args: args ?? {} }));
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    onConnection(listener) {
      connection.add(listener);
      return () => {
        connection.delete(listener);
      };
    },
    downloadExport: (args) => downloadExport(pageUrl, token, args),
  };

  const info = await client.request('app.info', {});
  if (info.contractVersion !== CONTRACT_VERSION) {
    clearInterval(watchdog);
    (socket as WebSocket | null)?.close();
    throw new Error(`this page speaks contract version ${CONTRACT_VERSION} but the server speaks ${info.contractVersion}; reload the page (or restart dplab serve after updating)`);
  }
  return client;
}

/** The contract's error code for a refused export's HTTP status. */
function exportErrorCode(status: number): 'invalid-args' | 'not-found' | 'unauthorized' | 'failed' {
  return status === 400 || status === 413 ? 'invalid-args' : status === 404 ? 'not-found' : status === 401 || status === 403 ? 'unauthorized' : 'failed';
}

/** The file name of an `attachment; filename="…"` header (the server keeps it to [\w.-]). */
function attachmentName(header: string | null): string | null {
  const m = /filename="([\w.-]+)"/.exec(header ?? '');
  return m ? m[1]! : null;
}

/**
 * Fetches the streamed export of `args` and offers it as a file. The server writes it one run at a
 * time with back-pressure, and the browser collects the body into a blob (which Chromium spills to
 * disk when large), so neither side holds a capped reply string.
 */
async function downloadExport(pageUrl: string, token: string, args: RequestArgs<'runs.export'>): Promise<ExportOutcome> {
  let res: Response;
  try {
    res = await fetch(new URL('/api/export', pageUrl), {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new RequestError({ code: 'disconnected', message: `cannot reach the lab for the export: ${(e as Error).message}` });
  }
  if (!res.ok) {
    const why = (await res.text().catch(() => '')).slice(0, 2000);
    throw new RequestError({ code: exportErrorCode(res.status), message: why || `the lab refused the export (HTTP ${res.status})` });
  }
  const filename = attachmentName(res.headers.get('Content-Disposition')) ?? 'runs-export';
  let blob: Blob;
  try {
    blob = await res.blob();
  } catch (e) {
    // The server ends the response abruptly on a failure after the first byte: no short file is saved.
    throw new RequestError({ code: 'failed', message: `the export of ${filename} broke off before its end: ${(e as Error).message}` });
  }
  saveBlob(filename, blob);
  return { cancelled: false, filename, bytes: blob.size };
}
