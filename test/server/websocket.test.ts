/**
 * The RFC 6455 pieces on their own: the handshake's accept key (the RFC's own example) and frame
 * headers at the 7-bit / 16-bit / 64-bit length boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptKey, encodeFrame } from '../../src-main/server/websocket.ts';

test('Sec-WebSocket-Accept matches RFC 6455 §1.3', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('frame headers at the length boundaries', () => {
  const cases: [number, number[]][] = [
    [0, [0x81, 0]],
    [125, [0x81, 125]],
    [126, [0x81, 126, 0, 126]],
    [65535, [0x81, 126, 0xff, 0xff]],
    [65536, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
  ];
  for (const [n, head] of cases) {
    const f = encodeFrame(0x1, Buffer.alloc(n, 0x61));
    assert.deepEqual([...f.subarray(0, head.length)], head, `length ${n}`);
    assert.equal(f.length, head.length + n);
    if (n) assert.equal(f[f.length - 1], 0x61);
  }
  assert.equal(encodeFrame(0x8, Buffer.alloc(2), true)[0], 0x88, 'close frame, FIN set');
  assert.equal(encodeFrame(0x1, Buffer.alloc(1), false)[0], 0x01, 'first fragment without FIN');
});
