import test from 'node:test';
import assert from 'node:assert/strict';
import { checkSetup, defaultSetup, parseSetup, SetupError, canonicalJson, setAtPath, getAtPath } from '../../src-main/common/setup.ts';
import { setupHash } from '../../src-main/common/hash.ts';
import { deriveSeed, permutation } from '../../src-main/math/seeds.ts';

test('defaults follow the paper STL-10 setup', () => {
  const s = defaultSetup();
  assert.equal(s.optim.lr, 0.03);
  assert.equal(s.optim.momentum, 0.9);
  assert.equal(s.optim.weightDecay, 4e-4);
  assert.equal(s.emaMomentum, 0.996);
  assert.equal(s.optim.batchSize, 128);
  assert.deepEqual(s.predictor, { kind: 'directpred', rho: 0.3, eps: 0.1, freq: 1, freqPhase: 'last', bias: false });
  // The official code sums the two symmetric loss terms; so do the defaults (lr and wd mean what they mean there).
  assert.equal(s.lossReduction, 'sum');
  assert.equal(s.data.dataset, 'fashion-mnist-sample');
});

test('invalid setups are rejected with field paths', () => {
  const r = checkSetup({ optim: { lr: -1 }, predictor: { kind: 'directpred', rho: 2 } });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const paths = r.issues.map((i) => i.path).sort();
  assert.deepEqual(paths, ['optim.lr', 'predictor.rho']);
  assert.throws(() => parseSetup({ predictor: { kind: 'quadratic' } }), (e: unknown) => e instanceof SetupError && /predictor\.kind/.test(e.message));
  assert.throws(() => parseSetup({ bogus: 1 }), SetupError);
  assert.throws(() => parseSetup({ method: 'byol', stopGradient: false }), /stopGradient/);
  assert.throws(() => parseSetup({ version: 99 }), /newer/);
  assert.throws(() => parseSetup({ augment: { cropScale: [0.9, 0.1] } }), /augment\.cropScale/);
});

test('targetInit "random" with method "simsiam" (no separate target) is refused naming the field; archived setups still load', () => {
  const r = checkSetup({ method: 'simsiam', targetInit: 'random' });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.issues.map((i) => i.path), ['targetInit']);
  assert.match(r.issues[0]!.message, /simsiam/);
  assert.match(r.issues[0]!.message, /"random"/);
  assert.throws(() => parseSetup({ method: 'simsiam', targetInit: 'random', predictor: { kind: 'mlp' } }), (e: unknown) => e instanceof SetupError && /^targetInit: /.test(e.message));
  // 'copy' (the default) describes the SimSiam target, the online network itself: accepted, written or not.
  assert.equal(parseSetup({ method: 'simsiam' }).targetInit, 'copy');
  assert.equal(parseSetup({ method: 'simsiam', targetInit: 'copy' }).targetInit, 'copy');
  assert.equal(parseSetup({ method: 'byol', targetInit: 'random' }).targetInit, 'random');
  // A run an older lab accepted (and trained, ignoring the field) still loads as stored, with the same hash.
  const stored = { ...parseSetup({ method: 'simsiam', predictor: { kind: 'mlp' } }), targetInit: 'random' };
  const back = parseSetup(stored, { stored: true });
  assert.equal(back.targetInit, 'random');
  assert.equal(canonicalJson(back), canonicalJson(stored));
  // The rules every setup obeys still hold for stored ones.
  assert.throws(() => parseSetup({ ...stored, method: 'byol', stopGradient: false }, { stored: true }), /stopGradient/);
  // A version-1 SimSiam setup (no targetInit then) migrates to 'copy' and loads either way.
  for (const opts of [{}, { stored: true }]) assert.equal(parseSetup({ version: 1, method: 'simsiam', predictor: { kind: 'mlp' } }, opts).targetInit, 'copy');
});

test('predictor.cj: absent and 0 are the same setup, so setups written before the field keep their hash', () => {
  // Hashes of these setups as the lab computed them before predictor.cj existed (commit 039b13a).
  assert.equal(setupHash(parseSetup({})), '4946e87dd22aa11788d0afc3dce20c65f4c631d6378372e821cae8d89b9166a0');
  const old = { seed: 3, predictor: { kind: 'directpred', eps: 0, freq: 2 } };
  assert.equal(setupHash(parseSetup(old)), '3ea6bb26d8e416018732dc3acf56803e94954ff6209d829989a4cb8af788a97e');
  assert.equal(setupHash(parseSetup({ ...old, predictor: { ...old.predictor, cj: 0 } })), setupHash(parseSetup(old)));
  const cj = parseSetup({ predictor: { kind: 'directpred', eps: 0, cj: 0.1 } });
  assert.equal(cj.predictor.kind === 'directpred' && cj.predictor.cj, 0.1);
  assert.notEqual(setupHash(cj), setupHash(parseSetup({ predictor: { kind: 'directpred', eps: 0 } })));
  assert.throws(() => parseSetup({ predictor: { kind: 'directpred', cj: 2 } }), /predictor\.cj/);
});

test('canonical JSON ignores key order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
});

test('path helpers read and write nested fields without mutating', () => {
  const s = defaultSetup();
  const t = setAtPath(s, 'optim.lr', 0.1);
  assert.equal(getAtPath(t, 'optim.lr'), 0.1);
  assert.equal(s.optim.lr, 0.03);
});

test('component seeds are independent and stable', () => {
  assert.equal(deriveSeed(1, 'init'), deriveSeed(1, 'init'));
  assert.notEqual(deriveSeed(1, 'init'), deriveSeed(1, 'augment'));
  assert.notEqual(deriveSeed(1, 'init'), deriveSeed(2, 'init'));
  assert.notEqual(deriveSeed(1, 'augment', 0), deriveSeed(1, 'augment', 1));
  const p = permutation(100, 7);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(p, permutation(100, 7));
});
