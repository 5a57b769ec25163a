/**
 * `dplab serve`'s HTTP server: the built renderer as static files and the contract over a
 * WebSocket (`/ws`: requests → replies, events pushed) and plain HTTP (`POST /api/request`).
 * Every request and socket needs the random token of the printed URL (as `?token=`, or the
 * HttpOnly cookie the first page load sets); a foreign Origin is refused, and while bound to
 * loopback a Host header other than a loopback name is refused too (DNS rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { RequestEnvelope, type ContractError, type ReplyEnvelope, type ServerMessage } from '../contract/index.ts';
import type { LabService } from '../service/service.ts';
import { acceptWebSocket, CloseCode, rejectUpgrade, type LabWebSocket } from './websocket.ts';

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
  close(): Promise<void>;
}

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Same policy as index.html's meta tag, sent as a header so it also covers every other response. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Starts the server; resolves once it listens. */
export async function startLabServer(opts: LabServerOptions): Promise<LabServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(16).toString('hex');
  const root = resolve(opts.rootDir);
  const maxMessage = opts.maxMessageBytes ?? 4 * 1024 * 1024;
  const service = opts.service;
  const sockets = new Set<LabWebSocket>();
  let port = opts.port ?? 0;
  const cookieName = () => `dplab_token_${port}`;

  /** Why a request is refused, or null when it may proceed. */
  const refusal = (req: IncomingMessage, url: URL): { status: number; why: string } | null => {
    const hostHeader = req.headers.host ?? '';
    const hostName = hostHeader.replace(/:\d+$/, '');
    if (isLoopback(host) && !isLoopback(hostName)) return { status: 403, why: `Host '${hostHeader.slice(0, 100)}' is not this machine` };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${hostHeader}`) return { status: 403, why: `Origin '${String(origin).slice(0, 100)}' is not this lab's` };
    if (!tokenMatches(token, url.searchParams.get('token')) && !tokenMatches(token, cookieValue(req, cookieName()))) {
      return { status: 401, why: 'missing or wrong token: open the URL dplab serve printed (with its ?token=…)' };
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

  const serveStatic = (url: URL, res: ServerResponse) => {
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return plain(res, 400, 'bad path');
    }
    if (rel.includes('\0')) return plain(res, 400, 'bad path');
    if (rel === '/' || rel === '') rel = '/index.html';
    if (rel === '/favicon.ico' && !existsSync(join(root, 'favicon.ico')) && opts.faviconFile && existsSync(opts.faviconFile)) {
      res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'public, max-age=86400' });
      return res.end(readFileSync(opts.faviconFile));
    }
    const file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return plain(res, 404, 'not found');
    if (!existsSync(file) || !statSync(file).isFile()) return plain(res, 404, `not found: ${rel.slice(0, 200)}`);
    const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
    // Built assets have content hashes in their names; index.html must always be fetched anew.
    const cache = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-store';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': cache });
    res.end(readFileSync(file));
  };

  const handleApi = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return plain(res, 405, 'POST a JSON {name, args} here');
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > maxMessage) {
        tooBig = true;
        req.destroy();
        return;
      }
      chunks.push(d);
    });
    req.on('end', () => {
      if (tooBig) return;
      void answer(Buffer.concat(chunks).toString('utf8')).then((reply) => {
        res.writeHead(reply.ok ? 200 : reply.error.code === 'invalid-args' || reply.error.code === 'unknown-request' ? 400 : reply.error.code === 'not-found' ? 404 : 500, {
          'Content-Type': 'application/json; charset=utf-8',
          'Cache-Control': 'no-store',
        });
        res.end(JSON.stringify(reply));
      });
    });
    req.on('close', () => {
      if (tooBig && !res.headersSent) {
        res.writeHead(413, { Connection: 'close' });
        res.end();
      }
    });
  };

  /** Parses one request message and runs it; every failure becomes an error reply. */
  const answer = async (text: string): Promise<ReplyEnvelope> => {
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
    const reply = await service.handle(env.data.name, env.data.args);
    return reply.ok ? { id: env.data.id, ok: true, result: reply.result } : { id: env.data.id, ok: false, error: reply.error };
  };

  const server = createServer((req, res) => {
    security(res);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return plain(res, 400, 'bad URL');
    }
    const no = refusal(req, url);
    if (no) return plain(res, no.status, no.why);
    if (url.searchParams.has('token')) {
      res.setHeader('Set-Cookie', `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    if (url.pathname === '/api/request') return handleApi(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
    serveStatic(url, res);
  });

  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return rejectUpgrade(socket, 400, 'Bad Request', 'bad URL');
    }
    if (url.pathname !== '/ws') return rejectUpgrade(socket, 404, 'Not Found', 'the contract socket is /ws');
    const no = refusal(req, url);
    if (no) return rejectUpgrade(socket, no.status, no.status === 401 ? 'Unauthorized' : 'Forbidden', no.why);
    const ws = acceptWebSocket(req, socket, head, { maxMessageBytes: maxMessage });
    if (!ws) return;
    sockets.add(ws);
    const send = (m: ServerMessage) => ws.send(JSON.stringify(m));
    const off = service.onEvent((event) => send({ event }));
    ws.onMessage((text) => {
      void answer(text).then(send, (e: unknown) => send(errorReply(-1, { code: 'failed', message: String(e) })));
    });
    ws.onClose(() => {
      off();
      sockets.delete(ws);
    });
  });

  server.on('clientError', (_e, socket) => socket.destroy());
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
    close: async () => {
      for (const ws of sockets) ws.close(CloseCode.goingAway, 'server stopping');
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
    },
  };
}

function errorReply(id: number, error: ContractError): ReplyEnvelope {
  return { id, ok: false, error };
}
