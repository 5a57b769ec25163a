/**
 * Test helpers for the web mode: starting the real `dplab serve`, a raw WebSocket client over
 * node:net (so tests can also send frames a browser never would) and malformed-message generators.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Requests, validateRequest, WS_PROTOCOL, WS_TOKEN_PREFIX, type RequestName } from '../../src-main/contract/index.ts';
import { QUICK_SETUP } from '../../src-main/common/presets.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The quick setup cut to 8 steps: the transport tests need a run, not its result. */
export const TINY_SETUP = { ...QUICK_SETUP, optim: { ...QUICK_SETUP.optim, epochs: 1, maxSteps: 8 } };

/** A running `dplab serve` child. */
export interface Served {
  child: ChildProcess;
  url: URL;
  token: string;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts `node [nodeArgs] bin/dplab.mjs serve --port 0 --no-open ...` and waits for its printed URL. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [...nodeArgs, 'bin/dplab.mjs', 'serve', ...(args.includes('--port') ? [] : ['--port', '0']), '--no-open', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dplab serve printed no URL in 90 s; stderr: ${err}`)), 90_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /DirectPred Lab at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(new URL(m[1]!));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dplab serve exited (${code}) before printing its URL; stderr: ${err}`));
    });
  });
  return {
    child,
    url,
    token: url.searchParams.get('token')!,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** The header that carries the access token on an HTTP request, as the page sends it. */
export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** The header that carries the access token on a WebSocket upgrade, as the page's socket sends it. */
export function wsAuth(token: string): Record<string, string> {
  return { 'Sec-WebSocket-Protocol': `${WS_PROTOCOL}, ${WS_TOKEN_PREFIX}${token}` };
}

/** Encodes a client frame (masked unless told otherwise). */
export function clientFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const fin = opts.fin ?? true;
  const masked = opts.mask ?? true;
  const n = payload.length;
  const lenBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (masked ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode;
  head[1] = (masked ? 0x80 : 0) | (n < 126 ? n : n < 65536 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(n, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(n), 2);
  let body = payload;
  if (masked) {
    const key = randomBytes(4);
    key.copy(head, 2 + lenBytes);
    body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i]! ^= key[i & 3]!;
  }
  return Buffer.concat([head, body]);
}

/** A frame as received from the server. */
export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** A raw WebSocket connection for tests. */
export class RawSocket {
  private buf = Buffer.alloc(0);
  private frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  /** Reply to pings with pongs, as browsers do. */
  answerPings = true;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Opens a socket; resolves with it, or with the HTTP status line and body when the upgrade is refused. */
  static async open(url: URL, headers: Record<string, string> = {}, path = '/ws'): Promise<RawSocket | { refused: string }> {
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((ok, no) => {
      socket.once('connect', ok);
      socket.once('error', no);
    });
    const key = randomBytes(16).toString('base64');
    const lines = [`GET ${path} HTTP/1.1`, `Host: ${url.host}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    let head = Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString('latin1');
        if (!status.startsWith('HTTP/1.1 101')) {
          socket.on('data', (more: Buffer) => (head = Buffer.concat([head, more])));
          socket.once('close', () => resolve({ refused: head.toString('utf8') }));
          return;
        }
        const rs = new RawSocket(socket);
        const rest = head.subarray(end + 4);
        if (rest.length) socket.emit('data', rest);
        resolve(rs);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private parse(): void {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (b.length < off + len) break;
      const frame = { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload: b.subarray(off, off + len) };
      // Like a browser, answer the server's keep-alive pings (unless a test wants a silent peer).
      if (frame.opcode === 0x9 && this.answerPings) this.write(clientFrame(0xa, Buffer.from(frame.payload)));
      this.frames.push(frame);
      this.buf = b.subarray(off + len);
    }
    this.wake();
  }

  /** Sends raw bytes. */
  write(b: Buffer): void {
    this.socket.write(b);
  }

  /** Sends a masked text message. */
  sendText(text: string): void {
    this.write(clientFrame(0x1, Buffer.from(text, 'utf8')));
  }

  /** The next frame matching `pred`; frames before it that do not match are dropped. Rejects on close or after `ms`. */
  async next(pred: (f: Frame) => boolean = () => true, ms = 30_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) {
        const f = this.frames[i]!;
        this.frames.splice(0, i + 1);
        return f;
      }
      if (this.closed) throw new Error('socket closed');
      if (Date.now() > deadline) throw new Error('no matching frame in time');
      await new Promise<void>((ok) => {
        const t = setTimeout(ok, Math.max(10, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          ok();
        });
      });
    }
  }

  /** The next reply (text frame without an `event` field) with this id. */
  async reply(id: number): Promise<{ id: number; ok: boolean; result?: unknown; error?: { code: string; message: string } }> {
    const f = await this.next((fr) => {
      if (fr.opcode !== 1) return false;
      const m = JSON.parse(fr.payload.toString('utf8')) as { id?: number; event?: unknown };
      return m.event === undefined && m.id === id;
    });
    return JSON.parse(f.payload.toString('utf8'));
  }

  /** Waits for the server's close frame or the end of the connection; resolves with the close code if any. */
  async closeCode(ms = 10_000): Promise<number | null> {
    try {
      const f = await this.next((fr) => fr.opcode === 8, ms);
      return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
    } catch {
      return null;
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

/** A seeded PRNG (mulberry32) so a failing fuzz case can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = Object.keys(Requests) as RequestName[];

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 8));
  switch (k) {
    case 0:
      return Math.floor(r() * 2000) - 1000;
    case 1:
      return r() < 0.5 ? -1.5 : 1e308 * 10; // Infinity serialises to null
    case 2:
      return ['', 'x', '../../etc/passwd', '\u0000', 'ü'.repeat(50), 'a'.repeat(300)][Math.floor(r() * 6)];
    case 3:
      return r() < 0.5;
    case 4:
      return null;
    case 5:
      return 'runs.start';
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(r() * 4); i++) o[['runId', 'setup', 'path', 'limit', 'name', 'status', '__proto__', 'constructor'][Math.floor(r() * 8)]!] = randomValue(r, depth + 1);
      return o;
    }
  }
}

/**
 * A malformed message: not JSON, not an envelope, an unknown name, or a known name with arguments
 * its schema rejects. Returns the text and the id a reply should carry (−1 when the envelope is bad).
 */
export function malformedMessage(r: () => number, id: number): { text: string; replyId: number } {
  for (;;) {
    const kind = Math.floor(r() * 5);
    if (kind === 0) {
      const junk = ['', '{', '}', 'null', '[1,2', '{"id":', 'garbage', '\u00ff\u00fe', '{"id":1,"name":"app.info","args":{}', '💥'];
      return { text: junk[Math.floor(r() * junk.length)]! + (r() < 0.5 ? '' : String(r())), replyId: -1 };
    }
    if (kind === 1) {
      const variants: unknown[] = [
        [id, 'app.info', {}],
        { id: -1, name: 'app.info', args: {} },
        { id: 1.5, name: 'app.info' },
        { id: String(id), name: 'app.info' },
        { name: 'app.info', args: {} },
        { id, name: 42 },
        { id, name: 'x'.repeat(101) },
        42,
        'text',
        null,
      ];
      const v = variants[Math.floor(r() * variants.length)];
      const replyId = typeof v === 'object' && v && !Array.isArray(v) && (v as { id?: unknown }).id === id && typeof (v as { name?: unknown }).name === 'string' ? id : -1;
      // `{id, name: 'x'*101}` fails the envelope's name limit but carries a valid id.
      const rid = typeof v === 'object' && v && (v as { id?: unknown }).id === id ? id : replyId;
      return { text: JSON.stringify(v), replyId: rid };
    }
    if (kind === 2) {
      const name = ['', 'runs', 'runs.*', 'app.info ', 'RUNS.LIST', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'runs.start.x'][Math.floor(r() * 10)]!;
      return { text: JSON.stringify({ id, name, args: {} }), replyId: id };
    }
    const name = NAMES[Math.floor(r() * NAMES.length)]!;
    const args = kind === 3 ? [1, 'x', true, [], [{}]][Math.floor(r() * 5)] : randomValue(r);
    // Keep only arguments the contract itself rejects (as they arrive, after JSON): those must never reach the lab.
    if (validateRequest(name, JSON.parse(JSON.stringify(args ?? null))).ok) continue;
    return { text: JSON.stringify({ id, name, args }), replyId: id };
  }
}
