import test from 'node:test';
import assert from 'node:assert/strict';
import { encodeCheckpoint, decodeCheckpoint, type Checkpoint } from '../../src-main/engine/checkpoint.ts';

const ck: Checkpoint = {
  step: 4,
  epoch: 0.5,
  setupHash: 'abc',
  state: { x: 1 },
  tensors: { 'online/a.w': { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }, fhat: { shape: [1], data: Float32Array.from([5]) } },
};

/** A checkpoint whose JSON header is replaced (the data part kept), as a damaged or hostile file would be. */
function withHeader(header: unknown): Buffer {
  const good = encodeCheckpoint(ck);
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const dataStart = Math.ceil((12 + h.length) / 8) * 8;
  const oldStart = Math.ceil((12 + good.readUInt32LE(8)) / 8) * 8;
  const out = Buffer.alloc(dataStart + (good.length - oldStart));
  good.copy(out, 0, 0, 8);
  out.writeUInt32LE(h.length, 8);
  h.copy(out, 12);
  good.copy(out, dataStart, oldStart);
  return out;
}

test('a checkpoint reads back exactly', () => {
  const back = decodeCheckpoint(encodeCheckpoint(ck));
  assert.equal(back.step, 4);
  assert.deepEqual(Array.from(back.tensors['online/a.w']!.data), [1, 2, 3, 4]);
  assert.deepEqual(back.tensors['fhat']!.shape, [1]);
});

test('the header is validated: missing fields, wrong types, shape/length mismatch, hostile names are named errors', () => {
  const base = { step: 4, epoch: 0.5, setupHash: 'abc', state: {}, tensors: [{ name: 'fhat', shape: [1], length: 1 }, { name: 'online/a.w', shape: [2, 2], length: 4 }] };
  assert.equal(decodeCheckpoint(withHeader(base)).step, 4);
  assert.throws(() => decodeCheckpoint(withHeader({ ...base, step: 'four' })), /header is invalid at step/);
  assert.throws(() => decodeCheckpoint(withHeader({ ...base, tensors: undefined })), /header is invalid at tensors/);
  assert.throws(() => decodeCheckpoint(withHeader({ ...base, tensors: [{ name: 'fhat', shape: [3], length: 1 }] })), /shape does not match length/);
  assert.throws(() => decodeCheckpoint(withHeader({ ...base, tensors: [{ name: 'fhat', shape: [1], length: -1 }] })), /header is invalid/);
  assert.throws(() => decodeCheckpoint(withHeader({ ...base, tensors: [{ name: '__proto__', shape: [1], length: 1 }] })), /not a tensor name/);
  assert.throws(() => decodeCheckpoint(withHeader({ ...base, tensors: [{ name: 'fhat', shape: [1], length: 1, dtype: 'int8' }] })), /header is invalid at tensors\.0\.dtype/);
  const bad = Buffer.from(encodeCheckpoint(ck));
  bad.write('{', 12, 'utf8');
  bad.write('x', 13, 'utf8');
  assert.throws(() => decodeCheckpoint(bad), /not valid JSON/);
});
