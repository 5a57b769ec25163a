/**
 * encodeReply (the transports' sliced encoding of a reply carrying a file): the same JSON value as
 * JSON.stringify, for ASCII, quotes and control characters, text in other scripts, and a surrogate
 * pair cut by a slice boundary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeReply } from '../../src-main/server/encode.ts';

test('a large result.content is encoded in slices to the same JSON value', async () => {
  const slice = 1 << 18;
  // A 😀 (two UTF-16 units) straddles the first slice boundary; quotes, backslashes, newlines and NULs throughout.
  const content = 'x'.repeat(slice - 1) + '😀' + 'a"b\\c\nd\u0000é漢'.repeat(100_000) + '\ud800';
  const reply = { id: 7, ok: true, result: { filename: 'runs "all".json', mime: 'application/json', content } };
  const wire = await encodeReply(reply);
  assert.ok(Buffer.isBuffer(wire), 'a large reply comes back as UTF-8 bytes');
  assert.deepEqual(JSON.parse(wire.toString('utf8')), JSON.parse(JSON.stringify(reply)));
  assert.equal((JSON.parse(wire.toString('utf8')) as typeof reply).result.content, content);
});

test('small replies and replies without content are plain JSON.stringify', async () => {
  for (const r of [{ id: 1, ok: true, result: { content: 'short' } }, { id: 2, ok: true, result: null }, { id: 3, ok: false, error: { code: 'failed', message: 'm' } }, { id: 4, ok: true, result: [1, 2] }]) {
    assert.equal(await encodeReply(r), JSON.stringify(r));
  }
});
