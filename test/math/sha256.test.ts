import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../../src-main/math/sha256.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { canonicalJson, defaultSetup } from '../../src-main/common/setup.ts';
import { Rng } from '../../src-main/math/seeds.ts';

const node = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

test('SHA-256 equals node:crypto on the padding edges, multi-byte UTF-8 and seeded random texts', () => {
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000]) assert.equal(sha256Hex('a'.repeat(n)), node('a'.repeat(n)), `length ${n}`);
  assert.equal(sha256Hex('F̂ ≈ E[ffᵀ] 日本 🙂'), node('F̂ ≈ E[ffᵀ] 日本 🙂'));
  const rng = new Rng(7);
  for (let k = 0; k < 50; k++) {
    const s = Array.from({ length: Math.floor(rng.next() * 300) }, () => String.fromCharCode(32 + Math.floor(rng.next() * 2000))).join('');
    assert.equal(sha256Hex(s), node(s));
  }
});

test('the setup hash ignores the display name and is the sha256 of the canonical JSON', () => {
  const s = defaultSetup();
  const { name: _n, ...rest } = s;
  assert.equal(setupHash(s), node(canonicalJson(rest)));
  assert.equal(setupHash({ ...s, name: 'other' }), setupHash(s));
  assert.notEqual(setupHash({ ...s, seed: s.seed + 1 }), setupHash(s));
});
