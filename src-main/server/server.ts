/**
 * `dplab serve`'s HTTP server: the built renderer as static files and the contract over a
 * WebSocket (`/ws`, the `ws` package: requests → replies, events pushed, a heartbeat) and plain
 * HTTP (`POST /api/request`; `POST /api/export`, the streamed download of runs).
 *
 * Access is bound to this server: the page takes the token out of the printed URL and sends it with
 * every request as `Authorization: Bearer TOKEN`, and on the socket's upgrade as the subprotocol
 * `dplab-token.TOKEN` (the one header a browser lets a page set there). There is no cookie: cookies
 * ignore ports, so every other server on this host would receive one and could replay it. The
 * static files (the built renderer: code, no data) are public, since a page load cannot carry a
 * header. A foreign Origin is refused, and while bound to loopback a Host header other than a
 * loopback name is refused too (DNS rebinding). These checks run before the WebSocket upgrade.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { HEARTBEAT_MS, RequestEnvelope, WS_PROTOCOL, WS_TOKEN_PREFIX, type ContractError, type ReplyEnvelope, type ServerMessage } from '../contract/index.ts';
import type { LabConnection, LabService } from '../service/service.ts';
import { FileCache, mimeType, staticPath } from './static.ts';
import { newToken, secretMatches } from './token.ts';
import { handleExportRequest } from './export.ts';
import { encodeReply } from './encode.ts';

/** Options of the lab's HTTP server. */
export interface LabServerOptions {
  service: LabService;
  /** Folder of the built renderer (index.html and assets). */
  rootDir: string;
  /** Interface to bind; 127.0.0.1 by default. */
  host?: string;
  /** Port; 0 picks a free one. */
  port?: number;
  /** The access token; a random 32-hex-digit one by default. */
  token?: string;
  /** Largest request message (WebSocket message or POST body) in bytes. */
  maxMessageBytes?: number;
  /** PNG answered for /favicon.ico when the renderer has none (browsers ask for it). */
  faviconFile?: string;
  /** Interval of the heartbeat sent to every socket, in ms (HEARTBEAT_MS by default). */
  heartbeatMs?: number;
  /** Where a failed request or socket handler is recorded (stderr by default); the server goes on. */
  onError?: (what: string, error: unknown) => void;
  /** Where ordinary happenings that are no failure (a client abandoning its upload) are told, one line each (stderr by default). */
  onNotice?: (line: string) => void;
}

/** A running server. */
export interface LabServer {
  /** The URL to open, with the token. */
  url: string;
  host: string;
  port: number;
  token: string;
  server: Server;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Requests and handlers that failed (each was recorded and, where possible, answered with 500). */
  readonly failures: number;
  close(): Promise<void>;
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The page's policy, sent as a header on every response (a meta tag cannot carry frame-ancestors,
 * and the header also covers responses that are not HTML).
 */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The credential a request carries: the Bearer token of its Authorization header. */
export function bearerToken(req: IncomingMessage): string | null {
  const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : null;
}

/** The credential a WebSocket upgrade carries: the first offered subprotocol `dplab-token.…`. */
export function socketToken(req: IncomingMessage): string | null {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',');
  for (const p of offered) {
    const t = p.trim();
    if (t.startsWith(WS_TOKEN_PREFIX)) return t.slice(WS_TOKEN_PREFIX.length);
  }
  return null;
}

/** Close codes the lab sends (RFC 6455 §7.4.1). */
const CLOSE = { goingAway: 1001, unsupportedData: 1003 } as const;

/** Outgoing bytes buffered for one socket before its reader is considered stuck and dropped. */
const MAX_BUFFERED = 64 * 1024 * 1024;

/** How long an oversized upload is still read (and discarded) after its 413, so the client sees the reply. */
const LINGER_MS = 2000;

/** Starts the server; resolves once it listens. */
export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const root = opts.rootDir;
  const maxMessage = opts.maxMessageBytes ?? 4 * 1024 * 1024;
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  const service = opts.service;
  const files = new FileCache();
  /** Open sockets, each with whether it answered our last protocol ping. */
  const sockets = new Map<WebSocket, { alive: boolean }>();
  let failures = 0;
  let port = opts.port ?? 0;
  const record = (what: string, e: unknown) => {
    failures++;
    try {
      (opts.onError ?? ((w, err) => console.error(`dplab serve: ${w} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)))(what, e);
    } catch {
      // a failing recorder must not take the server down either
    }
  };

  const notice = (line: string) => {
    try {
      (opts.onNotice ?? ((l) => console.error(`dplab serve: ${l}`)))(line);
    } catch {
      // as for record
    }
  };

  /**
   * Why a request is refused, or null when it may proceed. `credential` is what the request carries
   * (its Bearer token, or the socket's token subprotocol); undefined for the public static files.
   */
  const refusal = (req: IncomingMessage, credential?: string | null): { status: number; why: string } | null => {
    const hostHeader = req.headers.host ?? '';
    const hostName = hostHeader.replace(/:\d+$/, '');
    if (isLoopback(host) && !isLoopback(hostName)) return { status: 403, why: `Host '${hostHeader.slice(0, 100)}' is not this machine` };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${hostHeader}`) return { status: 403, why: `Origin '${String(origin).slice(0, 100)}' is not this lab's` };
    if (credential !== undefined && !secretMatches(token, credential)) {
      return {
        status: 401,
        why: `missing or wrong token: open the URL dplab serve printed (with its ?token=…); its page sends the token as 'Authorization: Bearer TOKEN', and on the socket as the subprotocol '${WS_TOKEN_PREFIX}TOKEN'`,
      };
    }
    return null;
  };

  const security = (res: ServerResponse) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  };

  const plain = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(text);
  };

  const serveStatic = async (req: IncomingMessage, rawPath: string, res: ServerResponse) => {
    const file = staticPath(root, rawPath);
    if (!file) return plain(res, 404, 'not found');
    let body = await files.get(file);
    let type = mimeType(file);
    if (!body && rawPath === '/favicon.ico' && opts.faviconFile) {
      body = await files.get(opts.faviconFile);
      type = 'image/png';
    }
    if (!body) return plain(res, 404, `not found: ${rawPath.slice(0, 200)}`);
    // Built assets have content hashes in their names; index.html must always be fetched anew.
    const cache = rawPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': cache, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  /**
   * Answers an oversized upload with 413 on the raw socket, then closes only our side and reads on
   * for a while: closing with unread bytes would reset the connection and the client would never
   * see the reply.
   */
  const tooLarge = (req: IncomingMessage) => {
    const sock = req.socket;
    const text = `request body over ${maxMessage} bytes`;
    sock.write(
      `HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${text}`,
    );
    sock.end();
    req.resume();
    const timer = setTimeout(() => sock.destroy(), LINGER_MS);
    timer.unref();
    sock.once('close', () => clearTimeout(timer));
  };

  /** The body of a POST, or null when it was too large (already answered) or the client went away. */
  const readBody = (req: IncomingMessage): Promise<string | null> =>
    new Promise((done, fail) => {
      const declared = Number(req.headers['content-length']);
      if (declared > maxMessage) {
        tooLarge(req);
        return done(null);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      const onData = (d: Buffer) => {
        size += d.length;
        if (size <= maxMessage) return void chunks.push(d);
        over = true;
        chunks.length = 0;
        req.off('data', onData);
        tooLarge(req);
        done(null);
      };
      req.on('data', onData);
      req.on('end', () => {
        if (!over) done(Buffer.concat(chunks).toString('utf8'));
      });
      // A client that goes away mid-upload (a closed tab, a cancelled import) is no server failure:
      // one line says so, and there is no one left to answer.
      let told = false;
      const abandoned = () => {
        if (over || told || req.complete) return false;
        told = true;
        notice(`upload aborted by client (${req.method} ${rawPathOf(req)} after ${size} of ${Number.isFinite(declared) ? declared : '?'} bytes)`);
        done(null);
        return true;
      };
      req.on('close', abandoned);
      req.on('error', (e) => {
        if (over || told) return;
        if (!abandoned()) fail(e);
      });
    });

  const handleApi = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return plain(res, 405, 'POST a JSON {name, args} here');
    const text = await readBody(req);
    if (text === null) return;
    // The request is its own connection: a client that goes away before the reply cancels its job.
    const conn = service.connect();
    res.once('close', () => conn.close());
    const reply = await answer(text, conn);
    const code = reply.error?.code;
    const status = reply.ok ? 200 : code === 'invalid-args' || code === 'unknown-request' ? 400 : code === 'not-found' ? 404 : 500;
    const body = await encodeReply(reply);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
  };

  /** Parses one request message and runs it; every failure becomes an error reply. */
  const answer = async (text: string, conn: LabConnection): Promise<ReplyEnvelope & { error?: ContractError }> => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return errorReply(-1, { code: 'invalid-args', message: `the message is not JSON: ${(e as Error).message}` });
    }
    const env = RequestEnvelope.safeParse(raw);
    if (!env.success) {
      const id = (raw as { id?: unknown } | null)?.id;
      return errorReply(typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : -1, {
        code: 'invalid-args',
        message: `not a request envelope {id, name, args}: ${env.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ')}`,
      });
    }
    const reply = await conn.handle(env.data.name, env.data.args);
    return reply.ok ? { id: env.data.id, ok: true, result: reply.result } : { id: env.data.id, ok: false, error: reply.error };
  };

  const handleHttp = async (req: IncomingMessage, res: ServerResponse) => {
    security(res);
    const target = req.url ?? '/';
    // The path is taken as sent: URL parsing would resolve `..` and `%2e%2e` before our own check.
    const q = target.indexOf('?');
    const rawPath = q < 0 ? target : target.slice(0, q);
    if (!rawPath.startsWith('/')) return plain(res, 400, 'bad request target');
    const api = rawPath === '/api/request' || rawPath === '/api/export';
    const no = refusal(req, api ? bearerToken(req) : undefined);
    if (no) return plain(res, no.status, no.why);
    if (rawPath === '/api/request') return handleApi(req, res);
    if (rawPath === '/api/export') return handleExportRequest(service, req, res, readBody);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
    return serveStatic(req, rawPath, res);
  };

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((e: unknown) => {
      record(`${req.method} ${(req.url ?? '').replace(/token=[^&]*/, 'token=…').slice(0, 200)}`, e);
      if (!res.headersSent) plain(res, 500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessage,
    perMessageDeflate: false,
    clientTracking: false,
    // Select our protocol, never the token's: the reply then does not echo the token.
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  const rejectUpgrade = (socket: Duplex, status: number, reason: string, body: string) => {
    const b = Buffer.from(body, 'utf8');
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n${body}`);
  };

  const accept = (ws: WebSocket) => {
    const peer = { alive: true };
    sockets.set(ws, peer);
    ws.on('pong', () => (peer.alive = true));
    const send = (m: ServerMessage) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      // A peer that reads nothing must not make the server hold unbounded memory.
      if (ws.bufferedAmount > MAX_BUFFERED) return ws.terminate();
      ws.send(JSON.stringify(m));
    };
    const off = service.onEvent((event) => {
      try {
        send({ event });
      } catch (e) {
        record('sending an event', e);
      }
    });
    // The socket's jobs are its own: cancelled when it closes, out of reach of other sockets.
    const conn = service.connect((event) => send({ event }));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(CLOSE.unsupportedData, 'binary messages are not part of the contract');
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      answer(text, conn)
        .then(encodeReply)
        .then((data) => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (ws.bufferedAmount > MAX_BUFFERED) return ws.terminate();
          ws.send(data, { binary: false });
        })
        .catch((e: unknown) => {
          record('a WebSocket request', e);
          send(errorReply(-1, { code: 'failed', message: `internal error: ${e instanceof Error ? e.message : String(e)}` }));
        });
    });
    // Protocol errors (bad frames, invalid UTF-8, too big) close the socket with the right code; nothing to add.
    ws.on('error', () => {});
    ws.on('close', () => {
      off();
      conn.close();
      sockets.delete(ws);
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const target = req.url ?? '/';
      const q = target.indexOf('?');
      const rawPath = q < 0 ? target : target.slice(0, q);
      if (rawPath !== '/ws') return rejectUpgrade(socket, 404, 'Not Found', 'the contract socket is /ws');
      const no = refusal(req, socketToken(req));
      if (no) return rejectUpgrade(socket, no.status, no.status === 401 ? 'Unauthorized' : 'Forbidden', no.why);
      wss.handleUpgrade(req, socket, head, accept);
    } catch (e) {
      record('a WebSocket upgrade', e);
      rejectUpgrade(socket, 500, 'Internal Server Error', 'internal error');
    }
  });

  // The heartbeat: a small message every interval lets the page notice a silent server; a protocol
  // ping every 10 intervals lets us drop a page that stopped answering.
  let beat = 0;
  const heartbeat = setInterval(() => {
    beat++;
    const msg = JSON.stringify({ hb: beat } satisfies ServerMessage);
    for (const [ws, peer] of sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      try {
        if (beat % 10 === 0) {
          if (!peer.alive) {
            ws.terminate();
            continue;
          }
          peer.alive = false;
          ws.ping();
        }
        if (ws.bufferedAmount > MAX_BUFFERED) ws.terminate();
        else ws.send(msg);
      } catch (e) {
        record('the heartbeat', e);
      }
    }
  }, heartbeatMs);
  heartbeat.unref();

  server.on('clientError', (_e, socket: Socket) => socket.destroy());
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    host,
    port,
    token,
    server,
    get connections() {
      return sockets.size;
    },
    get failures() {
      return failures;
    },
    close: async () => {
      clearInterval(heartbeat);
      const closed = [...sockets.keys()].map((ws) => new Promise<void>((ok) => (ws.readyState === WebSocket.CLOSED ? ok() : ws.once('close', () => ok()))));
      for (const ws of sockets.keys()) ws.close(CLOSE.goingAway, 'server stopping');
      // Peers get a moment to answer the close; then the connections are dropped.
      await Promise.race([Promise.all(closed), new Promise((ok) => setTimeout(ok, 1000).unref())]);
      for (const ws of sockets.keys()) ws.terminate();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    },
  };
}

/** The request's path without its query (where a token may sit), cut short, for log lines. */
function rawPathOf(req: IncomingMessage): string {
  const target = req.url ?? '';
  const q = target.indexOf('?');
  return (q < 0 ? target : target.slice(0, q)).slice(0, 200);
}

function errorReply(id: number, error: ContractError): ReplyEnvelope & { error: ContractError } {
  return { id, ok: false, error };
}
