/**
 * The server side of RFC 6455 WebSockets on node:http's 'upgrade' event, just what the lab needs:
 * text messages (fragmented or not), masking, ping/pong, close handshake, a maximum message size and
 * a keep-alive ping. Written here because no WebSocket package is a dependency of the lab.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Close codes the lab uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
} as const;

/** Options of an accepted socket. */
export interface WebSocketOptions {
  /** Largest message (after joining fragments) in bytes; larger ones close the socket with 1009. */
  maxMessageBytes?: number;
  /** Ping interval; a socket that has not answered the previous ping by the next one is dropped. */
  pingMs?: number;
  /** Outgoing bytes buffered before the peer is considered stuck and dropped. */
  maxBufferedBytes?: number;
}

/** The Sec-WebSocket-Accept value for a client's key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/**
 * Completes the opening handshake on an upgrade request and returns the socket, or answers with an
 * HTTP error and returns null when the request is not a valid WebSocket handshake.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, opts: WebSocketOptions = {}): LabWebSocket | null {
  const key = req.headers['sec-websocket-key'];
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (req.method !== 'GET' || upgrade !== 'websocket' || typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)) {
    rejectUpgrade(socket, 400, 'Bad Request', 'not a WebSocket handshake');
    return null;
  }
  if (req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return null;
  }
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`, '', ''].join('\r\n'));
  const ws = new LabWebSocket(socket, opts);
  if (head.length) ws.feed(head);
  return ws;
}

/** Answers an upgrade request with an HTTP error and closes the connection. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  const b = Buffer.from(body, 'utf8');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n${body}`);
}

/** Encodes one unmasked server frame. */
export function encodeFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const n = payload.length;
  const headLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headLen + n);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) out[1] = n;
  else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(out, headLen);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One accepted WebSocket connection. */
export class LabWebSocket {
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private fragmentOpcode = 0;
  private closing = false;
  private closed = false;
  private awaitingPong = false;
  private readonly maxMessage: number;
  private readonly maxBuffered: number;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly messageHandlers: ((text: string) => void)[] = [];
  private readonly closeHandlers: ((code: number, reason: string) => void)[] = [];

  constructor(
    private readonly socket: Duplex,
    opts: WebSocketOptions = {},
  ) {
    this.maxMessage = opts.maxMessageBytes ?? 4 * 1024 * 1024;
    this.maxBuffered = opts.maxBufferedBytes ?? 64 * 1024 * 1024;
    socket.on('data', (d: Buffer) => this.feed(d));
    socket.on('close', () => this.finish(CloseCode.goingAway, 'connection closed'));
    socket.on('error', () => this.finish(CloseCode.goingAway, 'connection error'));
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.terminate();
        return;
      }
      this.awaitingPong = true;
      this.write(encodeFrame(0x9, Buffer.alloc(0)));
    }, opts.pingMs ?? 30_000);
    this.pingTimer.unref();
  }

  /** True once the socket no longer carries messages. */
  get isClosed(): boolean {
    return this.closed || this.closing;
  }

  /** Calls `h` with every complete text message. */
  onMessage(h: (text: string) => void): () => void {
    this.messageHandlers.push(h);
    return () => {
      const i = this.messageHandlers.indexOf(h);
      if (i >= 0) this.messageHandlers.splice(i, 1);
    };
  }

  /** Calls `h` once when the connection ends (whatever the cause). */
  onClose(h: (code: number, reason: string) => void): () => void {
    this.closeHandlers.push(h);
    return () => {
      const i = this.closeHandlers.indexOf(h);
      if (i >= 0) this.closeHandlers.splice(i, 1);
    };
  }

  /** Sends a text message; false when the socket is closed. */
  send(text: string): boolean {
    if (this.isClosed) return false;
    return this.write(encodeFrame(0x1, Buffer.from(text, 'utf8')));
  }

  /** Starts the closing handshake. */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.isClosed) return;
    this.closing = true;
    const r = Buffer.from(reason.slice(0, 100), 'utf8');
    const p = Buffer.allocUnsafe(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.write(encodeFrame(0x8, p));
    // The peer should answer with its close frame; do not wait for it forever.
    setTimeout(() => this.terminate(), 2000).unref();
    this.socket.end();
  }

  /** Drops the connection without a handshake. */
  terminate(): void {
    this.socket.destroy();
    this.finish(CloseCode.goingAway, 'terminated');
  }

  private write(frame: Buffer): boolean {
    if (this.socket.destroyed) return false;
    if ((this.socket as unknown as { writableLength?: number }).writableLength! > this.maxBuffered) {
      // A peer that reads nothing must not make the server hold unbounded memory.
      this.terminate();
      return false;
    }
    this.socket.write(frame);
    return true;
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    this.buf = Buffer.alloc(0);
    this.fragments = [];
    for (const h of this.closeHandlers.splice(0)) h(code, reason);
  }

  private fail(code: number, reason: string): void {
    this.buf = Buffer.alloc(0);
    this.close(code, reason);
    this.finish(code, reason);
  }

  /** Parses as many complete frames as the buffer holds. */
  feed(chunk: Buffer): void {
    if (this.closed) return;
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (!this.closed) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0]! & 0x80) !== 0;
      const rsv = b[0]! & 0x70;
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (rsv) return this.fail(CloseCode.protocolError, 'reserved bits set (no extension was negotiated)');
      if (!masked) return this.fail(CloseCode.protocolError, 'client frames must be masked');
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(this.maxMessage)) return this.fail(CloseCode.tooBig, 'message too big');
        len = Number(big);
        off = 10;
      }
      const control = opcode >= 0x8;
      if (control && (len > 125 || !fin)) return this.fail(CloseCode.protocolError, 'invalid control frame');
      if (!control && this.fragmentBytes + len > this.maxMessage) return this.fail(CloseCode.tooBig, 'message too big');
      if (b.length < off + 4 + len) return;
      const mask = b.subarray(off, off + 4);
      const payload = Buffer.from(b.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      this.buf = b.subarray(off + 4 + len);
      this.frame(fin, opcode, payload);
    }
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0: // continuation
        if (!this.fragmentOpcode) return this.fail(CloseCode.protocolError, 'continuation without a message');
        this.fragments.push(payload);
        this.fragmentBytes += payload.length;
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          const op = this.fragmentOpcode;
          this.fragments = [];
          this.fragmentBytes = 0;
          this.fragmentOpcode = 0;
          this.message(op, whole);
        }
        return;
      case 0x1:
      case 0x2:
        if (this.fragmentOpcode) return this.fail(CloseCode.protocolError, 'new message before the previous one ended');
        if (fin) return this.message(opcode, payload);
        this.fragmentOpcode = opcode;
        this.fragments = [payload];
        this.fragmentBytes = payload.length;
        return;
      case 0x8: {
        if (payload.length === 1) return this.fail(CloseCode.protocolError, 'invalid close payload');
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : CloseCode.normal;
        if (!this.closing) this.close(code === 1005 || code === 1006 || code === 1015 || code < 1000 ? CloseCode.normal : code, '');
        this.finish(code, payload.length > 2 ? payload.subarray(2).toString('utf8') : '');
        return;
      }
      case 0x9:
        this.write(encodeFrame(0xa, payload));
        return;
      case 0xa:
        this.awaitingPong = false;
        return;
      default:
        return this.fail(CloseCode.protocolError, `unknown opcode ${opcode}`);
    }
  }

  private message(opcode: number, payload: Buffer): void {
    if (opcode === 0x2) return this.fail(CloseCode.unsupportedData, 'binary messages are not part of the contract');
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      return this.fail(CloseCode.invalidPayload, 'text message is not valid UTF-8');
    }
    for (const h of [...this.messageHandlers]) h(text);
  }
}
