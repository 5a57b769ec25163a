/**
 * The WebSocket transport of `dplab serve`: requests go out as {id, name, args}, replies come back
 * by id, events arrive as {event}. The token comes from the page's URL. A dropped connection fails
 * the requests in flight (with a clear error) and reconnects; listeners stay subscribed.
 */
import { RequestError } from './error.ts';
import { CONTRACT_VERSION, type LabClient, type LabEvent, type RequestArgs, type RequestName, type Results, type ServerMessage } from '../../../../src-main/contract/index.ts';

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** The socket URL for a page served by `dplab serve` (same host, /ws, the page's token). */
export function socketUrl(pageUrl: string): string {
  const page = new URL(pageUrl);
  const ws = new URL('/ws', page);
  ws.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = page.searchParams.get('token');
  if (token) ws.searchParams.set('token', token);
  return ws.toString();
}

/** Connects to the server that served `pageUrl`; resolves once the contract versions agree. */
export async function wsClient(pageUrl: string): Promise<LabClient> {
  const url = socketUrl(pageUrl);
  const listeners = new Set<(e: LabEvent) => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;
  let retryMs = 500;

  const failAll = (why: string) => {
    for (const p of pending.values()) p.reject(new RequestError({ code: 'disconnected', message: why }));
    pending.clear();
  };

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    opening ??= new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url);
      let opened = false;
      ws.onopen = () => {
        opened = true;
        retryMs = 500;
        socket = ws;
        opening = null;
        resolve(ws);
      };
      ws.onmessage = (m) => {
        let msg: ServerMessage;
        try {
          msg = JSON.parse(String(m.data)) as ServerMessage;
        } catch {
          return;
        }
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
        // A heartbeat only proves the connection is alive: nothing to answer.
        if ('hb' in msg) return;
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.result);
        else p.reject(new RequestError(msg.error));
      };
      ws.onclose = (ev) => {
        if (socket === ws) socket = null;
        if (!opened) {
          opening = null;
          reject(new Error(`cannot connect to the lab at ${new URL(url).host} (${ev.code === 1006 ? 'refused: is dplab serve running, and is the ?token= in this page\'s address right?' : `closed ${ev.code}`})`));
          return;
        }
        failAll(`the connection to the lab closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''}); retrying`);
        // Reconnect in the background so events resume; requests made meanwhile wait for it.
        if (listeners.size) setTimeout(() => void open().catch(() => {}), retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      };
    });
    return opening;
  };

  await open();

  const client: LabClient = {
    transport: 'http',
    async request<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<Results[N]> {
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
  };

  const info = await client.request('app.info', {});
  if (info.contractVersion !== CONTRACT_VERSION) {
    (socket as WebSocket | null)?.close();
    throw new Error(`this page speaks contract version ${CONTRACT_VERSION} but the server speaks ${info.contractVersion}; reload the page (or restart dplab serve after updating)`);
  }
  return client;
}
